/**
 * The server machine driven through its two ports with raw frames: a fake LFD on the peer port
 * (hello, heartbeats, `ready`), fake clients on the client port, and fake peers where a test needs
 * one. Real server machines only where two replicas talk to each other (checkpoints).
 */
import { expect } from 'chai';
import { encodeFrame } from '../../src/protocol/codec.js';
import type { ClientEntry, Frame } from '../../src/protocol/frames.js';
import { MAX_FUTURE_FRAMES } from '../../src/actors/server.js';
import { describeBoth, phaseOf, ready, request, type Fake, type Harness } from './harness.js';

const wire = (frames: { frame: Frame }[]) => frames.map((g) => encodeFrame(g.frame));

describeBoth('server', (harness, kind) => {
  /** A server with its (fake) LFD and a fake client C1 on its client port, all linked. */
  async function boot(h: Harness, name = 'S1', pid = 4242, beating: () => boolean = () => true) {
    const server = h.server(name, pid);
    const lfd = h.fakeLfd(name, beating);
    const client = clientOf(h, name, 'C1');
    await h.until(() => lfd.of('frame.hello').length > 0 && client.of('link.up').length > 0, `links to ${name}`);
    return { server, lfd, client };
  }

  function clientOf(h: Harness, server: string, name: string): Fake {
    return h.fake(`${name}-${server}`).link('srv', h.serverConfig(server).port, { name, role: 'client' }, 'server', false);
  }

  /** What a client was answered (replies and errors), as wire text. */
  const answers = (client: Fake) =>
    client.events.filter((e) => e.event.type === 'frame.reply' || e.event.type === 'frame.error').map((e) => encodeFrame((e.event as { frame: Frame }).frame));

  /** The server's status, asked on its client port. */
  async function status(h: Harness, client: Fake, server = 'S1'): Promise<string> {
    const before = client.frames('serverStatus').length;
    client.send('srv', { kind: 'statusQuery', from: 'ops', target: server });
    await h.until(() => client.frames('serverStatus').length > before, `status of ${server}`);
    return encodeFrame(client.frames('serverStatus').at(-1)!.frame);
  }

  /** `before`/`after` lines of a server, without the time. */
  const processing = (h: Harness, server: string) =>
    h.lines(server).filter((l) => l.startsWith(`my_state_${server} = `));

  it('holds requests while booting and answers them once ready', async () => {
    const h = harness();
    const { lfd, client } = await boot(h);
    client.send('srv', request('S1', 1, 'one'));
    await h.pass(3 * h.freqMs);
    expect(answers(client)).to.deep.equal([]);
    expect(processing(h, 'S1')).to.deep.equal([]);
    expect(await status(h, client)).to.match(/^<S1, -, -, booting, /);
    lfd.send('server', ready('S1', 'passive', 'primary', 1, []));
    await h.until(() => answers(client).length === 1, 'the held reply');
    expect(answers(client)).to.deep.equal(['<C1, S1, 1, one, reply>']);
    expect(processing(h, 'S1')).to.deep.equal([
      'my_state_S1 =  before processing <C1, S1, 1, request>',
      'my_state_S1 = one after processing <C1, S1, 1, request>',
    ]);
  });

  it('serves at once as a passive primary without peers, prints that it is ready and reports serving', async () => {
    const h = harness();
    const { lfd, client } = await boot(h);
    lfd.send('server', ready('S1', 'passive', 'primary', 1, []));
    await h.until(() => lfd.frames('serving').length === 1, 'serving at the LFD');
    expect(wire(lfd.frames('serving'))).to.deep.equal(['<S1, 1, serving>']);
    expect(h.lines('S1').filter((l) => l.startsWith('S1 is ready'))).to.have.length(1);
    expect(h.logged('server.ready', 'S1')[0]!.line).to.match(/^\[\d\d:\d\d:\d\d\] S1 is ready \[passive\] \[primary\]/);
    const sent = h.now();
    client.send('srv', request('S1', 1, 'one'));
    await h.until(() => answers(client).length === 1, 'reply');
    expect(answers(client)).to.deep.equal(['<C1, S1, 1, one, reply>']);
    // There and back (2 ms) and the end of the server's turn: a zero-delay timer, which fake timers
    // fire 1 ms later. Nothing held.
    if (kind === 'memory') expect(h.now() - sent).to.equal(3);
  });

  it('answers its LFD heartbeats and prints each', async () => {
    const h = harness();
    const { lfd } = await boot(h);
    await h.until(() => lfd.frames('heartbeat').length >= 2, 'two heartbeat answers');
    expect(wire(lfd.frames('heartbeat')).slice(0, 2)).to.deep.equal(['<S1, LFD1, 1, heartbeat>', '<S1, LFD1, 2, heartbeat>']);
    expect(h.lines('S1').filter((l) => l.includes('receives heartbeat')).slice(0, 2)).to.deep.equal([
      '[1] S1 receives heartbeat from LFD1',
      '[2] S1 receives heartbeat from LFD1',
    ]);
  });

  it('applies each request once: a repeated number gets the saved reply, a lower one is refused', async () => {
    const h = harness();
    const { lfd, client } = await boot(h);
    lfd.send('server', ready('S1', 'passive', 'primary', 1, []));
    client.send('srv', request('S1', 1, 'one'));
    await h.until(() => answers(client).length === 1, 'reply 1');
    // The same number again, with another string: the saved reply, nothing applied.
    client.send('srv', request('S1', 1, 'other'));
    await h.until(() => answers(client).length === 2, 'reply 1 again');
    expect(answers(client)[1]).to.equal('<C1, S1, 1, one, reply>');
    expect(processing(h, 'S1')).to.have.length(2);
    expect(await status(h, client)).to.equal('<S1, passive, primary, ready, one, C1:1:one, 0, 1, 4242, status>');
    client.send('srv', request('S1', 2, 'two'));
    client.send('srv', request('S1', 1, 'late'));
    await h.until(() => answers(client).length === 4, 'reply 2 and the refusal');
    expect(answers(client).slice(2)).to.deep.equal(['<C1, S1, 2, two, reply>', '<S1, C1 last 2, error>']);
    expect(processing(h, 'S1')).to.have.length(4);
    expect(await status(h, client)).to.equal('<S1, passive, primary, ready, two, C1:2:two, 0, 1, 4242, status>');
  });

  it('reports mode, role, phase, state, clients, checkpoint, epoch and pid in status, whatever the phase', async () => {
    const h = harness();
    const { lfd, client } = await boot(h, 'S1', 4711);
    expect(await status(h, client)).to.equal('<S1, -, -, booting, , , 0, 0, 4711, status>');
    lfd.send('server', ready('S1', 'active', 'primary', 3, []));
    const c2 = clientOf(h, 'S1', 'C2');
    await h.until(() => c2.of('link.up').length > 0, 'C2 linked');
    client.send('srv', request('S1', 1, 'a,b'));
    c2.send('srv', request('S1', 1, 'x:y', 'C2'));
    await h.until(() => answers(client).length === 1 && answers(c2).length === 1, 'replies');
    // Free text in a client table is item-encoded, then field-encoded (SPEC §4).
    expect(await status(h, client)).to.equal('<S1, active, primary, ready, x:y, C1:1:a%2Cb;C2:1:x%253Ay, 0, 3, 4711, status>');
  });

  it('holds at most MAX_FUTURE_FRAMES frames of a later epoch: past that it drops one and closes its link, and serves on', async () => {
    const h = harness();
    const { server, lfd, client } = await boot(h);
    lfd.send('server', ready('S1', 'passive', 'primary', 1, []));
    const flood = h.fake('S2').link('peer', h.serverConfig('S1').peerPort, { name: 'S2', role: 'server' }, 'server', true);
    await h.until(() => flood.of('frame.hello').length > 0, 'S2 linked');
    for (let i = 1; i <= MAX_FUTURE_FRAMES + 5; i++) flood.send('peer', { kind: 'commit', from: 'S2', to: 'S1', position: i, epoch: 9 });
    await h.until(() => flood.of('link.down').length > 0, 'the flood link closed', 10_000);
    const held = () => (server.actor.getSnapshot().context as { future: unknown[] }).future.length;
    expect(held()).to.equal(MAX_FUTURE_FRAMES);
    expect(h.lines('S1')).to.include(`S1: holds ${MAX_FUTURE_FRAMES} frames of a later epoch already; drops commit from S2 and closes its link`);
    client.send('srv', request('S1', 1, 'one'));
    await h.until(() => answers(client).includes('<C1, S1, 1, one, reply>'), 'a reply after the flood');
  });

  it('refuses a frame not allowed on its link with an error frame and keeps serving', async () => {
    const h = harness();
    const { lfd, client } = await boot(h);
    // A `checkpoint` on the client port.
    client.send('srv', { kind: 'checkpoint', from: 'S2', to: 'S1', number: 1, state: 'evil', clients: [], epoch: 9 });
    await h.until(() => answers(client).length === 1, 'error frame on the client port');
    expect(answers(client)).to.deep.equal(["<S1, frame 'checkpoint' not allowed on this link, error>"]);
    // A `ready` on the peer port before any hello.
    const stranger = h.fake('stranger').link('peer', h.serverConfig('S1').peerPort, { name: 'X', role: 'lfd' }, 'server', false);
    await h.until(() => stranger.of('link.up').length > 0, 'stranger linked');
    stranger.send('peer', ready('S1', 'passive', 'primary', 9, []));
    await h.until(() => stranger.frames('error').length === 1, 'error frame on the peer port');
    expect(wire(stranger.frames('error'))).to.deep.equal(["<S1, frame 'ready' not allowed on this link, error>"]);
    expect(await status(h, client)).to.equal('<S1, -, -, booting, , , 0, 0, 4242, status>');
    // Still serving: its LFD's `ready` works, requests are answered.
    lfd.send('server', ready('S1', 'passive', 'primary', 1, []));
    client.send('srv', request('S1', 1, 'one'));
    await h.until(() => answers(client).length === 2, 'reply');
    expect(answers(client)[1]).to.equal('<C1, S1, 1, one, reply>');
  });

  it('as a passive primary with a backup, checkpoints to it at once and then every checkpoint_freq', async () => {
    const h = harness();
    const s1 = await boot(h, 'S1', 4242);
    const s2 = await boot(h, 'S2', 4243);
    s1.lfd.send('server', ready('S1', 'passive', 'primary', 1, ['S2']));
    s2.lfd.send('server', ready('S2', 'passive', 'backup', 1, ['S1']));
    s1.client.send('srv', request('S1', 1, 'one'));
    await h.until(() => h.logged('checkpoint.taken', 'S2').length >= 3, 'three checkpoints at S2', 5000);
    const sent = h.logged('checkpoint.sent', 'S1');
    const taken = h.logged('checkpoint.taken', 'S2').slice(0, 3);
    expect(sent.slice(0, 3).map((l) => l.line.slice(11))).to.deep.equal([
      `[1] [${sent[0]!.event.state}] S1 sending checkpoint to S2`,
      '[2] [one] S1 sending checkpoint to S2',
      '[3] [one] S1 sending checkpoint to S2',
    ]);
    expect(taken.map((l) => l.line.slice(11))).to.deep.equal([
      `[1] [${sent[0]!.event.state}] S2 receives checkpoint from S1`,
      '[2] [one] S2 receives checkpoint from S1',
      '[3] [one] S2 receives checkpoint from S1',
    ]);
    // The first goes as soon as the backup's link is up; then one every checkpoint_freq.
    const gap = sent[2]!.at - sent[1]!.at;
    h.took(gap, h.checkpointMs, 'checkpoint_freq');
    expect(sent[0]!.at - h.logged('server.ready', 'S1')[0]!.at).to.be.lessThan(h.checkpointMs);
    // The backup serves as a backup: ready, serving, and it refuses clients.
    expect(h.lines('S2').filter((l) => l.startsWith('S2 is ready'))[0]).to.match(/^S2 is ready \[passive\] \[backup\]/);
    expect(wire(s2.lfd.frames('serving'))).to.deep.equal(['<S2, 1, serving>']);
    s2.client.send('srv', request('S2', 1, 'one'));
    await h.until(() => answers(s2.client).length === 1, 'refusal at S2');
    expect(answers(s2.client)).to.deep.equal(['<S2, not primary, error>']);
    expect(await status(h, s2.client, 'S2')).to.match(/^<S2, passive, backup, ready, one, C1:1:one, \d+, 1, 4243, status>$/);
  });

  it('recovers as a passive backup: holds requests until its primary checkpoints, then refuses them', async () => {
    const h = harness();
    const { lfd, client } = await boot(h, 'S2', 4243);
    lfd.send('server', ready('S2', 'passive', 'backup', 2, ['S1']));
    client.send('srv', request('S2', 7, 'seven'));
    await h.pass(3 * h.freqMs);
    expect(answers(client)).to.deep.equal([]);
    expect(await status(h, client, 'S2')).to.match(/^<S2, passive, backup, recovering, /);
    // A checkpoint from a server that is not its primary is not taken.
    const s3 = h.fake('S3').link('peer', h.serverConfig('S2').peerPort, { name: 'S3', role: 'server' }, 'server', true);
    const s1 = h.fake('S1').link('peer', h.serverConfig('S2').peerPort, { name: 'S1', role: 'server' }, 'server', true);
    await h.until(() => s1.of('frame.hello').length > 0 && s3.of('frame.hello').length > 0, 'peers greeted');
    const table: ClientEntry[] = [{ client: 'C1', num: 6, reply: 'six' }];
    s3.send('peer', { kind: 'checkpoint', from: 'S3', to: 'S2', number: 9, state: 'wrong', clients: [], epoch: 2 });
    await h.pass(3 * h.freqMs);
    expect(await status(h, client, 'S2')).to.match(/^<S2, passive, backup, recovering, , /);
    s1.send('peer', { kind: 'checkpoint', from: 'S1', to: 'S2', number: 4, state: 'six', clients: table, epoch: 2 });
    await h.until(() => answers(client).length === 1, 'the held request answered');
    expect(answers(client)).to.deep.equal(['<S2, not primary, error>']);
    expect(h.lines('S2')).to.include('[4] [six] S2 receives checkpoint from S1');
    expect(h.lines('S2').filter((l) => l.startsWith('S2 is ready'))[0]).to.match(/^S2 is ready \[passive\] \[backup\]/);
    expect(await status(h, client, 'S2')).to.equal('<S2, passive, backup, ready, six, C1:6:six, 4, 2, 4243, status>');
    expect(processing(h, 'S2')).to.deep.equal([]);
    await h.until(() => lfd.frames('serving').length === 1, 'serving');
    expect(wire(lfd.frames('serving'))).to.deep.equal(['<S2, 2, serving>']);
  });

  it('recovers as an active replica: holds requests and forwards, orders them through the sequencer after the recovery frame', async () => {
    const h = harness();
    const { lfd, client } = await boot(h, 'S2', 4243);
    // S1 stands in as the sequencer that sends the snapshot; it also listens for S2's forwards and acks.
    const s1 = h.fake('S1').listen('server-peer', h.serverConfig('S1').peerPort, { name: 'S1', role: 'server' });
    s1.link('peer', h.serverConfig('S2').peerPort, { name: 'S1', role: 'server' }, 'server', true);
    await h.until(() => s1.of('frame.hello').some((e) => e.event.origin.via === 'peer'), 'S1 linked to S2');
    lfd.send('server', ready('S2', 'active', 'backup', 1, ['S1']));
    await h.until(() => s1.linkOf('S2') !== null, "S2's peer link to S1");
    // Held: C1's 4 (in the snapshot already), C1's 5 (not), and C2's 3 forwarded by S1.
    client.send('srv', request('S2', 4, 'four'));
    client.send('srv', request('S2', 5, 'five'));
    s1.send('peer', { kind: 'forward', from: 'S1', to: 'S2', client: 'C2', num: 3, body: 'three', epoch: 1 });
    await h.pass(3 * h.freqMs);
    expect(answers(client)).to.deep.equal([]);
    expect(await status(h, client, 'S2')).to.match(/^<S2, active, backup, recovering, /);
    const table: ClientEntry[] = [
      { client: 'C1', num: 4, reply: 'four' },
      { client: 'C2', num: 2, reply: 'two' },
    ];
    s1.send('peer', { kind: 'recovery', from: 'S1', to: 'S2', state: 'four', clients: table, applied: 6, epoch: 1 });
    // C1's 4 is answered from the client table at once; C1's 5 waits for its position.
    await h.until(() => answers(client).length === 1, 'the held duplicate answered');
    expect(answers(client)).to.deep.equal(['<C1, S2, 4, four, reply>']);
    await h.until(() => lfd.frames('serving').length === 1, 'serving');
    expect(wire(lfd.frames('serving'))).to.deep.equal(['<S2, 1, serving>']);
    // What S2 took from its client waits for S2 to learn its sequencer (docs/ordering.md).
    await h.pass(h.freqMs);
    expect(s1.frames('forward')).to.deep.equal([]);
    expect(processing(h, 'S2')).to.deep.equal([]);
    // The sequencer's probe (commit 0): S2 learns its sequencer, acknowledges the snapshot's point and passes on what waits.
    s1.send('peer', { kind: 'commit', from: 'S1', to: 'S2', position: 0, epoch: 1 });
    await h.until(() => s1.frames('ack').length > 0, "S2's ack");
    expect(wire(s1.frames('ack'))).to.deep.equal(['<S2, S1, 6, 1, ack>']);
    await h.until(() => s1.frames('forward').some((g) => g.frame.num === 5), 'forward of C1 5 at S1');
    expect(wire(s1.frames('forward').filter((g) => g.frame.num === 5))).to.deep.equal(['<S2, S1, C1, 5, five, 1, forward>']);
    // Ordered, not yet committed: held, acknowledged, not applied.
    s1.send('peer', { kind: 'order', from: 'S1', to: 'S2', position: 7, client: 'C2', num: 3, body: 'three', epoch: 1 });
    s1.send('peer', { kind: 'order', from: 'S1', to: 'S2', position: 8, client: 'C1', num: 5, body: 'five', epoch: 1 });
    await h.until(() => s1.frames('ack').some((g) => g.frame.seq === 8), 'ack of position 8');
    expect(processing(h, 'S2')).to.deep.equal([]);
    const acks = s1.frames('ack').length;
    s1.send('peer', { kind: 'commit', from: 'S1', to: 'S2', position: 8, epoch: 1 });
    await h.until(() => answers(client).length === 2, 'C1 5 answered once applied');
    // Only a probe is answered: the acks of the orders told the sequencer all it needs.
    await h.pass(h.freqMs);
    expect(s1.frames('ack')).to.have.length(acks);
    expect(answers(client)[1]).to.equal('<C1, S2, 5, five, reply>');
    expect(processing(h, 'S2')).to.deep.equal([
      'my_state_S2 = four before processing <C2, S2, 3, request>',
      'my_state_S2 = three after processing <C2, S2, 3, request>',
      'my_state_S2 = three before processing <C1, S2, 5, request>',
      'my_state_S2 = five after processing <C1, S2, 5, request>',
    ]);
    expect(await status(h, client, 'S2')).to.equal('<S2, active, backup, ready, five, C1:5:five;C2:3:three, 0, 1, 4243, status>');
  });

  it('in active mode applies a request more than one above its client’s last only once the gap is filled', async () => {
    const h = harness();
    const { lfd, client } = await boot(h);
    lfd.send('server', ready('S1', 'active', 'primary', 1, []));
    client.send('srv', request('S1', 1, 'one'));
    await h.until(() => answers(client).length === 1, 'the first reply');
    client.send('srv', request('S1', 3, 'three'));
    await h.pass(3 * h.freqMs);
    expect(answers(client)).to.have.length(1);
    client.send('srv', request('S1', 2, 'two'));
    await h.until(() => answers(client).length === 3, 'all replies');
    expect(answers(client)).to.deep.equal(['<C1, S1, 1, one, reply>', '<C1, S1, 2, two, reply>', '<C1, S1, 3, three, reply>']);
  });

  it('in active mode starts a client it does not know (new, or forgotten by the bounded table) at any number', async () => {
    const h = harness();
    const { lfd, client } = await boot(h);
    lfd.send('server', ready('S1', 'active', 'primary', 1, []));
    client.send('srv', request('S1', 7, 'seven'));
    await h.until(() => answers(client).length === 1, 'the reply');
    expect(answers(client)).to.deep.equal(['<C1, S1, 7, seven, reply>']);
  });

  it('drops peer frames of an older epoch and holds those of a newer one until its ready', async () => {
    const h = harness();
    const { lfd, client } = await boot(h, 'S2', 4243);
    const s1 = h.fake('S1').link('peer', h.serverConfig('S2').peerPort, { name: 'S1', role: 'server' }, 'server', true);
    await h.until(() => s1.of('frame.hello').length > 0, 'S1 greeted');
    lfd.send('server', ready('S2', 'passive', 'backup', 2, ['S1']));
    const checkpoint = (number: number, state: string, epoch: number): Frame => ({
      kind: 'checkpoint',
      from: 'S1',
      to: 'S2',
      number,
      state,
      clients: [],
      epoch,
    });
    s1.send('peer', checkpoint(1, 'old', 1));
    await h.pass(3 * h.freqMs);
    expect(await status(h, client, 'S2')).to.match(/^<S2, passive, backup, recovering, , /);
    expect(s1.frames('error')).to.deep.equal([]); // dropped silently
    s1.send('peer', checkpoint(2, 'new', 3));
    await h.pass(3 * h.freqMs);
    expect(await status(h, client, 'S2')).to.match(/^<S2, passive, backup, recovering, , /);
    lfd.send('server', ready('S2', 'passive', 'backup', 3, ['S1']));
    await h.until(() => h.logged('checkpoint.taken', 'S2').length === 1, 'the held checkpoint taken');
    expect(await status(h, client, 'S2')).to.equal('<S2, passive, backup, ready, new, , 2, 3, 4243, status>');
  });
  /** S1, a primary that answered request 1, heartbeated by its (fake) LFD while `beats.on`. */
  async function answeredPrimary(h: Harness) {
    const beats = { on: true };
    const { server, lfd, client } = await boot(h, 'S1', 4242, () => beats.on);
    lfd.send('server', ready('S1', 'passive', 'primary', 1, []));
    client.send('srv', request('S1', 1, 'one'));
    await h.until(() => answers(client).length === 1, 'reply');
    return { server, lfd, client, beats };
  }

  it('is suspended when its LFD heartbeats stop for heartbeat_timeout (the lease): it keeps role and state and answers no client', async () => {
    const h = harness();
    const { server, lfd, client, beats } = await answeredPrimary(h);
    const heartbeats = () => server.received.filter((r) => r.event.type === 'frame.heartbeat');
    await h.until(() => heartbeats().length >= 2, 'two heartbeats');
    beats.on = false;
    const last = heartbeats().at(-1)!.at;
    if (kind === 'memory') {
      await h.tickTo(last + h.timeoutMs - 1);
      expect(phaseOf(server)).to.equal('ready');
      await h.pass(1);
      expect(phaseOf(server)).to.equal('suspended');
    } else {
      await h.until(() => phaseOf(server) === 'suspended', 'suspended', 3000);
    }
    const suspended = h.logged('server.phase', 'S1')[0]!;
    expect(suspended.line).to.match(/ S1: suspended \(.*lease.*\)$/);
    h.took(suspended.at - last, h.timeoutMs, 'lease after the last heartbeat');
    expect(await status(h, client)).to.equal('<S1, passive, primary, suspended, one, C1:1:one, 0, 1, 4242, status>');
    client.send('srv', request('S1', 2, 'two'));
    await h.until(() => answers(client).length === 2, 'refusal');
    expect(answers(client)[1]).to.equal('<S1, suspended: its lease ran out, error>');
    // A `ready` before its lease is renewed changes nothing: its LFD may still hear no GFD.
    lfd.send('server', ready('S1', 'passive', 'primary', 1, [], true));
    await h.pass(3 * h.freqMs);
    expect(phaseOf(server)).to.equal('suspended');
    // Renewed, it tells its LFD (which reports it again); the RM's `ready` makes it serve on.
    expect(lfd.frames('serverStatus'), 'nothing told while no heartbeat came').to.deep.equal([]);
    beats.on = true;
    await h.until(() => lfd.frames('serverStatus').length > 0, 'its status told to the LFD');
    expect(lfd.frames('serverStatus').map((f) => f.frame.phase)).to.deep.equal(['suspended']);
    lfd.send('server', ready('S1', 'passive', 'primary', 1, [], true));
    await h.until(() => phaseOf(server) === 'ready', 'serving again');
    client.send('srv', request('S1', 2, 'two'));
    await h.until(() => answers(client).length === 3, 'reply');
    expect(answers(client)[2]).to.equal('<C1, S1, 2, two, reply>');
    expect(await status(h, client)).to.equal('<S1, passive, primary, ready, two, C1:2:two, 0, 1, 4242, status>');
  });

  it('suspended, and no longer counted as serving by the RM: a backup`s `ready` makes it recover, a primary`s makes it serve what it holds', async () => {
    const h = harness();
    const { server, lfd, client, beats } = await answeredPrimary(h);
    await h.until(() => server.received.some((r) => r.event.type === 'frame.heartbeat'), 'a heartbeat (the lease starts)');
    beats.on = false;
    await h.until(() => phaseOf(server) === 'suspended', 'suspended', 3000);
    beats.on = true;
    await h.until(() => lfd.frames('serverStatus').length > 0, 'its status told to the LFD');
    // Deleted and added again meanwhile: a backup of S2's epoch, not serving. It may have missed
    // updates, so it waits for S2's checkpoint (which replaces its state) and holds what it is sent.
    lfd.send('server', ready('S1', 'passive', 'backup', 2, ['S2']));
    await h.until(() => phaseOf(server) === 'recovering', 'recovering');
    expect(await status(h, client)).to.equal('<S1, passive, backup, recovering, one, C1:1:one, 0, 2, 4242, status>');
    // The same again, named primary with nobody serving: it serves its own state.
    beats.on = false;
    lfd.send('server', ready('S1', 'passive', 'primary', 3, []));
    await h.until(() => phaseOf(server) === 'ready', 'serving');
    expect(server.actor.getSnapshot().context.role).to.equal('primary');
  });

  it('serves on without a lease when no LFD ever heartbeated it (started by hand)', async () => {
    const h = harness();
    const { server, lfd, client } = await boot(h, 'S1', 4242, () => false);
    lfd.send('server', ready('S1', 'passive', 'primary', 1, []));
    await h.until(() => phaseOf(server) === 'ready', 'ready');
    await h.pass(3 * h.timeoutMs);
    expect(phaseOf(server)).to.equal('ready');
    client.send('srv', request('S1', 1, 'one'));
    await h.until(() => answers(client).length === 1, 'reply');
    expect(answers(client)).to.deep.equal(['<C1, S1, 1, one, reply>']);
  });

  it('durability = sync: a passive primary replies only once its backup acknowledged the update, a repeat included', async () => {
    const h = harness().use({ durability: 'sync' });
    const { lfd, client } = await boot(h);
    let acking = false;
    const s2 = h.fake('S2').listen('server-peer', h.serverConfig('S2').peerPort, { name: 'S2', role: 'server' });
    const ack = (origin: Parameters<Fake['reply']>[0], seq: number, epoch: number) =>
      s2.reply(origin, { kind: 'ack', from: 'S2', to: 'S1', seq, epoch });
    s2.onEvent = (event) => {
      if (event.type === 'frame.update' && acking) ack(event.origin, event.frame.seq, event.frame.epoch);
    };
    lfd.send('server', ready('S1', 'passive', 'primary', 1, ['S2']));
    await h.until(() => s2.frames('checkpoint').length === 1, 'the first checkpoint at S2');
    client.send('srv', request('S1', 1, 'one'));
    await h.until(() => s2.frames('update').length === 1, 'update at S2');
    expect(wire(s2.frames('update'))).to.deep.equal([`<S1, S2, ${s2.frames('update')[0]!.frame.seq}, C1, 1, one, 1, update>`]);
    await h.pass(3 * h.freqMs);
    expect(answers(client)).to.deep.equal([]);
    const update = s2.frames('update')[0]!;
    ack(update.origin, update.frame.seq, 1);
    await h.until(() => answers(client).length === 1, 'reply after the ack');
    expect(answers(client)).to.deep.equal(['<C1, S1, 1, one, reply>']);
    // The same number again: sent to the backup again, answered with the saved reply after its ack.
    acking = true;
    client.send('srv', request('S1', 1, 'other'));
    await h.until(() => answers(client).length === 2, 'saved reply');
    expect(answers(client)[1]).to.equal('<C1, S1, 1, one, reply>');
    expect(s2.frames('update').length).to.equal(2);
    expect(s2.frames('update')[1]!.frame).to.include({ client: 'C1', num: 1 });
    expect(processing(h, 'S1')).to.have.length(2);
  });

  it('durability = sync: one ack of update N answers every request up to N, and none after it', async () => {
    const h = harness().use({ durability: 'sync' });
    const { lfd, client } = await boot(h);
    const s2 = h.fake('S2').listen('server-peer', h.serverConfig('S2').peerPort, { name: 'S2', role: 'server' });
    lfd.send('server', ready('S1', 'passive', 'primary', 1, ['S2']));
    await h.until(() => s2.frames('checkpoint').length === 1, 'the first checkpoint at S2');
    for (const [num, body] of [[1, 'one'], [2, 'two'], [3, 'three']] as const) client.send('srv', request('S1', num, body));
    await h.until(() => s2.frames('update').length === 3, 'three updates at S2');
    const [, second, third] = s2.frames('update');
    s2.reply(second!.origin, { kind: 'ack', from: 'S2', to: 'S1', seq: second!.frame.seq, epoch: 1 });
    await h.until(() => answers(client).length === 2, 'replies up to the second');
    await h.pass(3 * h.freqMs);
    expect(answers(client)).to.deep.equal(['<C1, S1, 1, one, reply>', '<C1, S1, 2, two, reply>']);
    s2.reply(third!.origin, { kind: 'ack', from: 'S2', to: 'S1', seq: third!.frame.seq, epoch: 1 });
    await h.until(() => answers(client).length === 3, 'the third reply');
    expect(answers(client)[2]).to.equal('<C1, S1, 3, three, reply>');
  });

  it("as a passive backup applies its primary's updates once and acknowledges them cumulatively", async () => {
    const h = harness().use({ durability: 'sync' });
    const { lfd, client } = await boot(h, 'S2', 4243);
    const s1 = h.fake('S1').link('peer', h.serverConfig('S2').peerPort, { name: 'S1', role: 'server' }, 'server', true);
    await h.until(() => s1.of('frame.hello').length > 0, 'S1 greeted');
    lfd.send('server', ready('S2', 'passive', 'backup', 1, ['S1']));
    s1.send('peer', { kind: 'checkpoint', from: 'S1', to: 'S2', number: 1, state: '', clients: [], epoch: 1 });
    await h.until(() => h.logged('checkpoint.taken', 'S2').length === 1, 'checkpoint taken');
    const update = (seq: number, num: number, body: string): Frame => ({ kind: 'update', from: 'S1', to: 'S2', seq, client: 'C1', num, body, epoch: 1 });
    s1.send('peer', update(1, 1, 'one'));
    s1.send('peer', update(2, 2, 'two'));
    s1.send('peer', update(1, 1, 'one')); // resent after a reconnect: skipped, acknowledged again
    await h.until(() => processing(h, 'S2').length === 4 && s1.frames('ack').some((g) => g.frame.seq === 2), 'acks up to 2');
    await h.pass(h.freqMs);
    // An ack says the highest update taken in this epoch, so the one for the resent 1 says 2. Over
    // TCP the acks written in one turn go out as the last of them.
    const acks = s1.frames('ack').map((g) => g.frame.seq);
    expect(acks.at(-1)).to.equal(2);
    expect(acks).to.deep.equal([...acks].sort((a, b) => a - b));
    if (h.kind === 'memory') expect(wire(s1.frames('ack'))).to.deep.equal(['<S2, S1, 1, 1, ack>', '<S2, S1, 2, 1, ack>', '<S2, S1, 2, 1, ack>']);
    expect(processing(h, 'S2')).to.deep.equal([
      'my_state_S2 =  before processing <C1, S2, 1, request>',
      'my_state_S2 = one after processing <C1, S2, 1, request>',
      'my_state_S2 = one before processing <C1, S2, 2, request>',
      'my_state_S2 = two after processing <C1, S2, 2, request>',
    ]);
    expect(await status(h, client, 'S2')).to.equal('<S2, passive, backup, ready, two, C1:2:two, 1, 1, 4243, status>');
  });
});

// Turns exist on the in-memory network only as the harness makes them (a zero-delay timer), so that
// what arrives at one instant is one batch; over TCP, what one read of the poll phase finds is.
describeBoth('server: batches', (harness) => {
  it('takes the requests that arrive in one turn in one step, with the lines, updates and answers of one by one', async () => {
    const h = harness().use({ durability: 'sync' });
    const server = h.server('S1', 4242);
    const lfd = h.fakeLfd('S1', () => true);
    const clients = ['C1', 'C2', 'C3'].map((name) => h.fake(`${name}-S1`).link('srv', h.serverConfig('S1').port, { name, role: 'client' }, 'server', false));
    const s2 = h.fake('S2').listen('server-peer', h.serverConfig('S2').peerPort, { name: 'S2', role: 'server' });
    s2.onEvent = (event) => {
      if (event.type === 'frame.update') s2.reply(event.origin, { kind: 'ack', from: 'S2', to: 'S1', seq: event.frame.seq, epoch: event.frame.epoch });
    };
    await h.until(() => lfd.of('frame.hello').length > 0 && clients.every((c) => c.of('link.up').length > 0), 'links to S1');
    lfd.send('server', ready('S1', 'passive', 'primary', 1, ['S2']));
    await h.until(() => s2.frames('checkpoint').length === 1, 'the first checkpoint at S2');
    clients.forEach((c, i) => c.send('srv', request('S1', 1, `v${i}`, `C${i + 1}`)));
    const answered = (c: Fake) => c.frames('reply').map((f) => encodeFrame(f.frame));
    await h.until(() => clients.every((c) => answered(c).length === 1), 'three answers');
    const batches = server.received.filter((r) => r.event.type === 'batch.request').map((r) => (r.event.events as unknown[]).length);
    expect(batches).to.deep.equal([3]);
    expect(clients.map(answered)).to.deep.equal([['<C1, S1, 1, v0, reply>'], ['<C2, S1, 1, v1, reply>'], ['<C3, S1, 1, v2, reply>']]);
    expect(h.lines('S1').filter((l) => l.startsWith('my_state_S1 = '))).to.deep.equal([
      'my_state_S1 =  before processing <C1, S1, 1, request>',
      'my_state_S1 = v0 after processing <C1, S1, 1, request>',
      'my_state_S1 = v0 before processing <C2, S1, 1, request>',
      'my_state_S1 = v1 after processing <C2, S1, 1, request>',
      'my_state_S1 = v1 before processing <C3, S1, 1, request>',
      'my_state_S1 = v2 after processing <C3, S1, 1, request>',
    ]);
    // The replies waited for the backup's acks of these updates, sent in the order applied.
    expect(s2.frames('update').map((f) => [f.frame.seq, f.frame.client])).to.deep.equal([[1, 'C1'], [2, 'C2'], [3, 'C3']]);
  });

  it('takes the acks of both backups that come back in one turn in one step', async () => {
    const h = harness().use({ durability: 'sync' });
    const server = h.server('S1', 4242);
    const lfd = h.fakeLfd('S1', () => true);
    const client = h.fake('C1-S1').link('srv', h.serverConfig('S1').port, { name: 'C1', role: 'client' }, 'server', false);
    const backups = ['S2', 'S3'].map((name) => {
      const b = h.fake(name).listen('server-peer', h.serverConfig(name).peerPort, { name, role: 'server' });
      b.onEvent = (event) => {
        if (event.type === 'frame.update') b.reply(event.origin, { kind: 'ack', from: name, to: 'S1', seq: event.frame.seq, epoch: event.frame.epoch });
      };
      return b;
    });
    await h.until(() => lfd.of('frame.hello').length > 0 && client.of('link.up').length > 0, 'links to S1');
    lfd.send('server', ready('S1', 'passive', 'primary', 1, ['S2', 'S3']));
    await h.until(() => backups.every((b) => b.frames('checkpoint').length === 1), 'the first checkpoints');
    client.send('srv', request('S1', 1, 'one', 'C1'));
    await h.until(() => client.frames('reply').length === 1, 'the answer');
    const acks = server.received.filter((r) => r.event.type === 'batch.ack').map((r) => (r.event.events as { frame: { from: string } }[]).map((e) => e.frame.from).sort());
    expect(acks).to.deep.equal([['S2', 'S3']]);
  });
}, ['memory']);
