/**
 * The client machine against a fake RM (which tells it where to send, and can change its mind) and
 * fake servers on the servers' client ports (which reply with the request's string, when told to).
 */
import { expect } from 'chai';
import { REFUSAL_RETRY_MS } from '../../src/actors/client.js';
import { encodeFrame } from '../../src/protocol/codec.js';
import type { Frame, Mode, RequestFrame } from '../../src/protocol/frames.js';
import type { Origin } from '../../src/transport/types.js';
import { describeBoth, type Fake, type Harness } from './harness.js';

interface FakeRm {
  fake: Fake;
  /** Tell every client that asked: `ready` with these servers, or `wait` when empty. */
  view(mode: Mode, servers: string[]): void;
}

function rmFake(h: Harness, mode: Mode, servers: string[]): FakeRm {
  const fake = h.fake('RM').listen('rm', h.config.rms[0]!.port, { name: 'RM', role: 'rm' });
  let current = { mode, servers };
  const clients: { client: string; origin: Origin }[] = [];
  const tell = (client: string, origin: Origin) => fake.reply(origin, { kind: 'clientView', client, ...current });
  fake.onEvent = (event) => {
    if (event.type !== 'frame.clientHello') return;
    clients.push({ client: event.frame.client, origin: event.origin });
    tell(event.frame.client, event.origin);
  };
  return {
    fake,
    view(mode, servers) {
      current = { mode, servers };
      for (const c of clients) tell(c.client, c.origin);
    },
  };
}

interface FakeServer {
  fake: Fake;
  /** Requests received, in order. */
  requests(): RequestFrame[];
  /** Whether it replies (default yes); `answer` may replace the reply with any frame. */
  answering: boolean;
  answer: ((req: RequestFrame) => Frame | null) | null;
}

function serverFake(h: Harness, name: string): FakeServer {
  const fake = h.fake(name).listen('server-client', h.serverConfig(name).port, { name, role: 'server' });
  const s: FakeServer = {
    fake,
    requests: () => fake.frames('request').map((g) => g.frame),
    answering: true,
    answer: null,
  };
  fake.onEvent = (event) => {
    if (event.type !== 'frame.request' || !s.answering) return;
    const f = event.frame;
    const frame = s.answer?.(f) ?? { kind: 'reply', client: f.client, server: name, num: f.num, result: f.body };
    fake.reply(event.origin, frame);
  };
  return s;
}

describeBoth('client', (harness, kind) => {
  const nums = (s: FakeServer) => s.requests().map((r) => r.num);

  it('active: sends each request to every serving replica, keeps the first reply, discards the others; --count ends with 0', async () => {
    const h = harness().use({ mode: 'active' });
    rmFake(h, 'active', ['S1', 'S2', 'S3']);
    const servers = ['S1', 'S2', 'S3'].map((s) => serverFake(h, s));
    const c1 = h.client('C1', { count: 3 });
    await h.until(() => c1.actor.getSnapshot().status === 'done', 'the client done', 5000);
    expect(c1.actor.getSnapshot().output).to.deep.equal({ exitCode: 0 });
    for (const s of servers) {
      expect(nums(s)).to.deep.equal([1, 2, 3]);
      expect(s.requests().map((r) => r.body)).to.deep.equal(['hello_world1', 'hello_world2', 'hello_world3']);
    }
    const lines = h.lines('C1');
    for (const n of [1, 2, 3]) {
      expect(lines.filter((l) => l.startsWith(`Sent <C1, S`) && l.includes(`, ${n}, request>`))).to.have.members([
        `Sent <C1, S1, ${n}, request>`,
        `Sent <C1, S2, ${n}, request>`,
        `Sent <C1, S3, ${n}, request>`,
      ]);
      const received = lines.filter((l) => new RegExp(`^Received <C1, S\\d, ${n}, reply>$`).test(l));
      expect(received, `one reply kept for ${n}`).to.have.length(1);
      const kept = received[0]!.slice('Received <C1, '.length, 'Received <C1, S1'.length);
      const discarded = lines.filter((l) => l.startsWith(`request_num ${n}: Discarded duplicate reply from `));
      // The last number's duplicates may come after the client finished.
      if (n < 3) {
        expect(discarded).to.have.members(
          ['S1', 'S2', 'S3'].filter((s) => s !== kept).map((s) => `request_num ${n}: Discarded duplicate reply from ${s}.`),
        );
      }
    }
  });

  it('passive: sends to the primary only', async () => {
    const h = harness();
    rmFake(h, 'passive', ['S2']);
    const [s1, s2, s3] = ['S1', 'S2', 'S3'].map((s) => serverFake(h, s));
    const c1 = h.client('C1', { count: 3 });
    await h.until(() => c1.actor.getSnapshot().status === 'done', 'the client done', 5000);
    expect(nums(s2!)).to.deep.equal([1, 2, 3]);
    expect(nums(s1!)).to.deep.equal([]);
    expect(nums(s3!)).to.deep.equal([]);
    expect(h.lines('C1').filter((l) => l.startsWith('Received'))).to.deep.equal([
      'Received <C1, S2, 1, reply>',
      'Received <C1, S2, 2, reply>',
      'Received <C1, S2, 3, reply>',
    ]);
    expect(h.logged('client.duplicate')).to.deep.equal([]);
  });

  it('passive: after a failover, sends the unanswered number again to the new primary', async () => {
    const h = harness();
    const rm = rmFake(h, 'passive', ['S2']);
    const s1 = serverFake(h, 'S1');
    const s2 = serverFake(h, 'S2');
    const c1 = h.client('C1', { count: 4 });
    await h.until(() => nums(s2).length === 1, 'request 1 at S2');
    s2.answering = false;
    await h.until(() => nums(s2).includes(2), 'request 2 at S2');
    rm.view('passive', ['S1']);
    await h.until(() => c1.actor.getSnapshot().status === 'done', 'the client done', 5000);
    expect(nums(s1)).to.deep.equal([2, 3, 4]);
    expect(h.lines('C1').filter((l) => l.startsWith('Received'))).to.deep.equal([
      'Received <C1, S2, 1, reply>',
      'Received <C1, S1, 2, reply>',
      'Received <C1, S1, 3, reply>',
      'Received <C1, S1, 4, reply>',
    ]);
  });

  it('asks the RM\'s directory for a server its configuration does not name (one a reload added), then sends there', async () => {
    const h = harness();
    const rm = rmFake(h, 'passive', ['S3']);
    const directory = h.config.servers.map((s) => ({ server: s.name, host: s.host, port: s.port }));
    const answer = rm.fake.onEvent!;
    rm.fake.onEvent = (event) => {
      if (event.type === 'frame.directoryQuery') rm.fake.reply(event.origin, { kind: 'directory', servers: directory });
      answer(event);
    };
    const s3 = serverFake(h, 'S3');
    const c1 = h.client('C1', { count: 2, config: { ...h.config, servers: h.config.servers.filter((s) => s.name !== 'S3') } });
    await h.until(() => c1.actor.getSnapshot().status === 'done', 'the client done', 5000);
    expect(nums(s3)).to.deep.equal([1, 2]);
    expect(rm.fake.frames('directoryQuery').map((g) => g.frame.client)).to.deep.equal(['C1']);
  });

  it('passive: without a reply within heartbeat_timeout, sends the same number to the primary again', async () => {
    const h = harness();
    rmFake(h, 'passive', ['S1']);
    const s1 = serverFake(h, 'S1');
    s1.answering = false;
    const c1 = h.client('C1', { count: 1 });
    await h.until(() => nums(s1).length === 2, 'request 1 twice', 3000);
    // Timed where they were sent: the network's delays are not the client's.
    const [first, second] = h.logged('client.sent', 'C1');
    expect([first!.line, second!.line].map((l) => l.slice(11))).to.deep.equal(['Sent <C1, S1, 1, request>', 'Sent <C1, S1, 1, request>']);
    h.took(second!.at - first!.at, h.timeoutMs, 'resend after heartbeat_timeout');
    expect(nums(s1)).to.deep.equal([1, 1]);
    s1.answering = true;
    await h.until(() => c1.actor.getSnapshot().status === 'done', 'the client done', 3000);
    expect(c1.actor.getSnapshot().output).to.deep.equal({ exitCode: 0 });
  });

  it('goes on above its last number when a server says `C1 last 15`', async () => {
    const h = harness();
    rmFake(h, 'passive', ['S1']);
    const s1 = serverFake(h, 'S1');
    s1.answer = (req) => (req.num <= 15 ? { kind: 'error', name: 'S1', message: 'C1 last 15' } : null);
    const c1 = h.client('C1', { count: 2 });
    await h.until(() => c1.actor.getSnapshot().status === 'done', 'the client done', 3000);
    expect(s1.requests().map((r) => encodeFrame(r))).to.deep.equal([
      '<C1, S1, 1, hello_world1, request>',
      '<C1, S1, 16, hello_world16, request>',
      '<C1, S1, 17, hello_world17, request>',
    ]);
    expect(h.lines('C1').filter((l) => l.startsWith('Received'))).to.deep.equal(['Received <C1, S1, 16, reply>', 'Received <C1, S1, 17, reply>']);
  });

  it('passive: the named primary\'s `not primary` (its `ready` not there yet) or `suspended` is sent again within milliseconds, not after heartbeat_timeout', async () => {
    const h = harness();
    rmFake(h, 'passive', ['S1']);
    const s1 = serverFake(h, 'S1');
    const refusals = ['not primary', 'not primary', 'suspended: its lease ran out'];
    let refused = 0;
    s1.answer = (req) => (req.num === 1 && refused < refusals.length ? { kind: 'error', name: 'S1', message: refusals[refused++]! } : null);
    const c1 = h.client('C1', { count: 1 });
    await h.until(() => c1.actor.getSnapshot().status === 'done', 'the client done', h.timeoutMs / 2);
    expect(s1.requests().map((r) => r.num)).to.deep.equal([1, 1, 1, 1]);
    expect(h.lines('C1').filter((l) => l.startsWith('Received'))).to.deep.equal(['Received <C1, S1, 1, reply>']);
    if (kind === 'memory') {
      const at = s1.fake.frames('request').map((r) => r.at);
      // Each refusal takes a millisecond back, then the retry waits REFUSAL_RETRY_MS and takes one there.
      expect(at.slice(1).map((t, i) => t - at[i]!)).to.deep.equal(refusals.map(() => REFUSAL_RETRY_MS + 2));
    }
  });

  it('passive: another server\'s `not primary` is not sent again before heartbeat_timeout', async () => {
    const h = harness();
    const rm = rmFake(h, 'passive', ['S1']);
    const s1 = serverFake(h, 'S1');
    serverFake(h, 'S2');
    s1.answering = false;
    const c1 = h.client('C1', { count: 1 });
    await h.until(() => s1.requests().length === 1, 'the request at S1');
    // A refusal from a server the view does not name (a stale one) changes nothing.
    s1.fake.reply(s1.fake.frames('request')[0]!.origin, { kind: 'error', name: 'S2', message: 'not primary' });
    await h.pass(10 * REFUSAL_RETRY_MS);
    expect(s1.requests()).to.have.length(1);
    s1.answering = true;
    rm.view('passive', ['S1']);
    await h.until(() => c1.actor.getSnapshot().status === 'done', 'the client done', h.timeoutMs);
  });

  it('gives up (all servers are dead, exit 1) after three empty rounds while the RM offers no serving replica', async () => {
    const h = harness();
    rmFake(h, 'passive', []);
    const start = h.now();
    const c1 = h.client('C1');
    const interval = h.config.clients[0]!.intervalMs;
    // Before a replica was ever offered the rounds start counting only after 2 × heartbeat_timeout,
    // the time a cluster started together with its clients needs to name one.
    const startup = 2 * h.config.cluster.heartbeatTimeoutMs;
    const done = () => c1.actor.getSnapshot().status === 'done';
    if (kind === 'memory') {
      await h.tickTo(start + startup + 3 * interval - 1);
      expect(done()).to.equal(false);
      await h.pass(1);
      expect(done()).to.equal(true);
    } else {
      await h.until(done, 'the client done', 3000);
      expect(h.now() - start).to.be.at.least(startup + 1.5 * interval); // three rounds, roughly (see Harness.took)
    }
    expect(c1.actor.getSnapshot().output).to.deep.equal({ exitCode: 1 });
    expect(h.lines('C1').at(-1)).to.equal('C1: all servers are dead');
  });

  it('does not give up after two empty rounds when a replica is offered in time', async () => {
    const h = harness();
    const rm = rmFake(h, 'passive', []);
    serverFake(h, 'S1');
    const c1 = h.client('C1');
    const interval = h.config.clients[0]!.intervalMs;
    await h.pass(2 * interval + interval / 2);
    rm.view('passive', ['S1']);
    await h.pass(8 * interval);
    expect(c1.actor.getSnapshot().status).to.equal('active');
    expect(h.logged('client.received').length).to.be.at.least(3);
    expect(h.logged('client.allDead')).to.deep.equal([]);
  });

  it('does not give up while a server keeps answering, even with the RM gone; gives up once that server is gone too', async () => {
    const h = harness();
    const rm = rmFake(h, 'active', ['S1']);
    const s1 = serverFake(h, 'S1');
    const c1 = h.client('C1');
    const interval = h.config.clients[0]!.intervalMs;
    await h.until(() => h.logged('client.received').length >= 2, 'two replies');
    rm.fake.stop();
    const answered = h.logged('client.received').length;
    await h.pass(8 * interval);
    expect(c1.actor.getSnapshot().status).to.equal('active');
    expect(h.logged('client.received').length).to.be.at.least(answered + 3);
    const gone = h.now();
    s1.fake.stop();
    await h.until(() => c1.actor.getSnapshot().status === 'done', 'the client done', 3000);
    expect(c1.actor.getSnapshot().output).to.deep.equal({ exitCode: 1 });
    // Three rounds, the first of them maybe begun before the server went.
    if (kind === 'memory') expect(h.now() - gone).to.be.within(2 * interval, 3 * interval);
    else expect(h.now() - gone).to.be.within(interval, 4 * interval + 500);
    expect(h.lines('C1').at(-1)).to.equal('C1: all servers are dead');
  });
});
