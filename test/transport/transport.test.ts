/**
 * The same cases over real TCP (127.0.0.1, port 0) and over the in-memory network under fake
 * timers: a machine cannot tell the two transports apart.
 */
import { expect } from 'chai';
import type { AckFrame, CheckpointFrame, HeartbeatFrame, RequestFrame } from '../../src/protocol/frames.js';
import { joinText } from '../../src/protocol/state-text.js';
import { CLOSE_REASONS } from '../../src/transport/actors.js';
import { memoryHarness, peer, Proc, rawConnect, readyPort, tcpHarness, type Harness } from './helpers.js';

const S1 = peer('S1', 'server');
const S2 = peer('S2', 'server');
const S3 = peer('S3', 'server');
const LFD1 = peer('LFD1', 'lfd');
const C1 = peer('C1', 'client');

const heartbeat = (from: string, to: string, count: number): HeartbeatFrame => ({ kind: 'heartbeat', from, to, count });
const ack = (to: string, seq: number): AckFrame => ({ kind: 'ack', from: 'S3', to, seq, epoch: 1 });
const request = (num: number): RequestFrame => ({ kind: 'request', client: 'C1', server: 'S1', num, body: `hello_world${num}` });

function transportSuite(h: Harness): void {
  describe(`transport over ${h.name}`, () => {
    let procs: Proc[] = [];

    const proc = (name: string): Proc => {
      const p = new Proc(name, h.transport(name));
      procs.push(p);
      return p;
    };

    /** A process listening on a port of `kind`; resolves with the real port. */
    const listening = async (p: Proc, kind: 'server-peer' | 'server-client', port = 0, self = S1): Promise<number> => {
      const before = p.of('listen.ready').length;
      p.listen({ id: 'port', host: h.host, port, kind, self });
      await h.until(() => p.of('listen.ready').length > before || p.of('listen.failed').length > 0, 'listen.ready');
      expect(p.of('listen.failed')).to.deep.equal([]);
      const real = readyPort(p, 'port');
      if (real === null) throw new Error('no port');
      if (port !== 0) expect(real).to.equal(port);
      return real;
    };

    beforeEach(() => {
      procs = [];
      h.setup();
    });

    afterEach(async () => {
      for (const p of procs) {
        p.stop();
        expect(p.errors, `${p.name} actor errors`).to.deep.equal([]);
      }
      await h.pass(10);
      await h.teardown();
    });

    it('reports the real port of a port-0 listener and refuses a second listen on the same address', async () => {
      const s1 = proc('S1');
      const port = await listening(s1, 'server-peer');
      expect(port).to.be.greaterThan(0);
      const other = proc('S1b');
      other.listen({ id: 'port', host: h.host, port, kind: 'server-peer', self: S1 });
      await h.until(() => other.of('listen.failed').length > 0, 'listen.failed');
      expect(other.of('listen.failed')).to.deep.equal([
        { type: 'listen.failed', via: 'port', reason: `${h.host}:${port}: address in use` },
      ]);
      expect(other.of('listen.ready')).to.deep.equal([]);
    });

    it('opens a link with the hello handshake and delivers frames with origin.peer set', async () => {
      const s1 = proc('S1');
      const port = await listening(s1, 'server-peer');
      const lfd = proc('LFD1');
      lfd.link({ id: 'server', host: h.host, port, self: LFD1, target: 'server', hello: true });

      await h.until(() => s1.of('frame.hello').length > 0 && lfd.of('frame.hello').length > 0, 'hello both ways');
      // listener side: link.up before the hello is known, then the peer's hello
      expect(s1.events.map((e) => e.type)).to.deep.equal(['listen.ready', 'link.up', 'frame.hello']);
      expect(s1.of('link.up')[0]?.origin).to.deep.equal({ via: 'port', link: 'L1', peer: null });
      expect(s1.of('frame.hello')[0]).to.deep.include({
        frame: { kind: 'hello', name: 'LFD1', role: 'lfd', version: 1 },
        origin: { via: 'port', link: 'L1', peer: LFD1 },
      });
      // link side: link.up once connected (hello sent), then the listener's answer
      expect(lfd.events.map((e) => e.type)).to.deep.equal(['link.up', 'frame.hello']);
      expect(lfd.of('link.up')[0]?.origin).to.deep.equal({ via: 'server', link: '', peer: null });
      expect(lfd.of('frame.hello')[0]?.origin).to.deep.equal({ via: 'server', link: '', peer: S1 });

      lfd.send('server', heartbeat('LFD1', 'S1', 1));
      await h.until(() => s1.of('frame.heartbeat').length > 0, 'heartbeat at S1');
      expect(s1.of('frame.heartbeat')[0]).to.deep.equal({
        type: 'frame.heartbeat',
        frame: heartbeat('LFD1', 'S1', 1),
        origin: { via: 'port', link: 'L1', peer: LFD1 },
      });

      s1.send('port', heartbeat('S1', 'LFD1', 1), 'L1');
      await h.until(() => lfd.of('frame.heartbeat').length > 0, 'heartbeat answer at LFD1');
      expect(lfd.of('frame.heartbeat')[0]).to.deep.equal({
        type: 'frame.heartbeat',
        frame: heartbeat('S1', 'LFD1', 1),
        origin: { via: 'server', link: '', peer: S1 },
      });
      expect(s1.of('link.refused')).to.deep.equal([]);
      expect(lfd.of('link.refused')).to.deep.equal([]);
    });

    it('with a secret: what the link sends waits until both sides proved it, then goes in order', async () => {
      const secret = 'a-secret-of-the-cluster';
      const s1 = proc('S1');
      const before = s1.of('listen.ready').length;
      s1.listen({ id: 'port', host: h.host, port: 0, kind: 'server-peer', self: S1, secret });
      await h.until(() => s1.of('listen.ready').length > before, 'listen.ready');
      const port = readyPort(s1, 'port')!;
      const lfd = proc('LFD1');
      lfd.link({ id: 'server', host: h.host, port, self: LFD1, target: 'server', hello: true, secret });
      await h.until(() => lfd.of('link.up').length > 0, 'connected');
      // Sent before the proofs: held by the link, not refused by the listener.
      lfd.send('server', heartbeat('LFD1', 'S1', 0));
      await h.until(() => s1.of('frame.hello').length > 0 && lfd.of('frame.hello').length > 0, 'proven both ways');
      expect(lfd.events.map((e) => e.type)).to.deep.equal(['link.up', 'frame.hello']);
      expect(lfd.of('frame.hello')[0]?.origin.peer).to.deep.equal(S1);
      expect(s1.of('frame.hello')[0]?.origin.peer).to.deep.equal(LFD1);
      lfd.send('server', heartbeat('LFD1', 'S1', 1));
      await h.until(() => s1.of('frame.heartbeat').length > 1, 'heartbeats at S1');
      expect(s1.of('frame.heartbeat').map((e) => e.frame)).to.deep.equal([heartbeat('LFD1', 'S1', 0), heartbeat('LFD1', 'S1', 1)]);
      expect(s1.events.map((e) => e.type)).to.deep.equal(['listen.ready', 'link.up', 'frame.hello', 'frame.heartbeat', 'frame.heartbeat']);
      expect([...s1.of('link.refused'), ...lfd.of('link.refused')]).to.deep.equal([]);
    });

    it('with a wrong secret: the listener refuses the proof and closes; nothing the link sent reaches it', async () => {
      const s1 = proc('S1');
      s1.listen({ id: 'port', host: h.host, port: 0, kind: 'server-peer', self: S1, secret: 'a-secret-of-the-cluster' });
      await h.until(() => s1.of('listen.ready').length > 0, 'listen.ready');
      const port = readyPort(s1, 'port')!;
      const lfd = proc('LFD1');
      lfd.link({ id: 'server', host: h.host, port, self: LFD1, target: 'server', hello: true, secret: 'not-the-secret-at-all' });
      await h.until(() => lfd.of('link.up').length > 0, 'connected');
      lfd.send('server', heartbeat('LFD1', 'S1', 0));
      await h.until(() => s1.of('link.refused').length > 0 && s1.of('link.down').length > 0, 'refused and closed');
      expect(s1.of('link.refused')[0]?.reason).to.equal("authentication failed: lfd LFD1 did not prove the cluster's secret");
      lfd.stopChild('server');
      expect(s1.events.map((e) => e.type)).to.deep.equal(['listen.ready', 'link.up', 'link.refused', 'link.down']);
      expect(lfd.of('frame.hello')).to.deep.equal([]);
    });

    it('max_connections: one connection more than the limit is closed at once', async () => {
      const s1 = proc('S1');
      s1.listen({ id: 'port', host: h.host, port: 0, kind: 'server-client', self: S1, maxConnections: 2 });
      await h.until(() => s1.of('listen.ready').length > 0, 'listen.ready');
      const port = readyPort(s1, 'port')!;
      const a = await rawConnect(h, port);
      const b = await rawConnect(h, port);
      await h.until(() => s1.of('link.up').length === 2, 'two connections');
      const c = await rawConnect(h, port);
      await h.until(() => c.closed() !== null, 'the third closed');
      expect(s1.of('link.up')).to.have.length(2);
      expect([a.closed(), b.closed()]).to.deep.equal([null, null]);
      // One gone, room for one more.
      a.conn.close();
      await h.until(() => s1.of('link.down').length === 1, 'the first gone');
      const d = await rawConnect(h, port);
      await h.until(() => s1.of('link.up').length === 3, 'a new one taken');
      expect(d.closed()).to.equal(null);
    });

    it('a connection that stops inside a frame for stallMs is closed; one that finishes it stays', async () => {
      const s1 = proc('S1');
      s1.listen({ id: 'port', host: h.host, port: 0, kind: 'server-client', self: S1, stallMs: 300 });
      await h.until(() => s1.of('listen.ready').length > 0, 'listen.ready');
      const port = readyPort(s1, 'port')!;
      const stuck = await rawConnect(h, port);
      const slow = await rawConnect(h, port);
      const idle = await rawConnect(h, port);
      stuck.conn.write('<C1, S1, 1, hel');
      slow.conn.write('<C1, S1, 1, hel');
      await h.pass(200);
      slow.conn.write('lo, request>');
      await h.until(() => stuck.closed() !== null, 'the stuck one closed', 2000);
      await h.pass(400);
      expect(s1.of('link.down').map((e) => e.reason)).to.deep.equal([CLOSE_REASONS.stalled]);
      expect([slow.closed(), idle.closed()]).to.deep.equal([null, null]);
      expect(s1.of('frame.request')).to.have.length(1);
    });

    it('frames sent right after the hello, before its answer, arrive in order', async () => {
      const s1 = proc('S1');
      const port = await listening(s1, 'server-peer');
      const lfd = proc('LFD1');
      lfd.link({ id: 'server', host: h.host, port, self: LFD1, target: 'server', hello: true });
      await h.until(() => lfd.of('link.up').length > 0, 'link.up');
      for (let i = 1; i <= 5; i++) lfd.send('server', heartbeat('LFD1', 'S1', i));
      await h.until(() => s1.of('frame.heartbeat').length === 5, 'five heartbeats');
      expect(s1.of('frame.heartbeat').map((e) => e.frame.count)).to.deep.equal([1, 2, 3, 4, 5]);
      expect(s1.of('frame.heartbeat').every((e) => e.origin.peer?.name === 'LFD1')).to.equal(true);
    });

    it('answers a frame not allowed on the link with an error frame and reports link.refused', async () => {
      const s1 = proc('S1');
      const port = await listening(s1, 'server-client');
      const c1 = proc('C1');
      c1.link({ id: 'S1', host: h.host, port, self: C1, target: 'server', hello: false });
      await h.until(() => c1.of('link.up').length > 0 && s1.of('link.up').length > 0, 'link.up');

      c1.send('S1', heartbeat('C1', 'S1', 1)); // heartbeats belong on the peer port
      await h.until(() => c1.of('frame.error').length > 0 && s1.of('link.refused').length > 0, 'error frame');
      const refused = s1.of('link.refused');
      expect(refused).to.have.length(1);
      expect(refused[0]?.origin).to.deep.equal({ via: 'port', link: 'L1', peer: null });
      expect(refused[0]?.reason).to.match(/heartbeat/);
      const error = c1.of('frame.error')[0];
      expect(error?.frame.name).to.equal('S1');
      expect(error?.frame.message).to.equal(refused[0]?.reason);
      expect(error?.origin).to.deep.equal({ via: 'S1', link: '', peer: null });
      expect(s1.of('frame.heartbeat')).to.deep.equal([]);

      // the link stays open for frames the port takes
      c1.send('S1', request(1));
      await h.until(() => s1.of('frame.request').length > 0, 'request');
      expect(s1.of('frame.request')[0]).to.deep.equal({
        type: 'frame.request',
        frame: request(1),
        origin: { via: 'port', link: 'L1', peer: null },
      });
      s1.send('port', { kind: 'reply', client: 'C1', server: 'S1', num: 1, result: 'hello_world1' }, 'L1');
      await h.until(() => c1.of('frame.reply').length > 0, 'reply');
      expect(c1.of('frame.reply')[0]?.frame.result).to.equal('hello_world1');
      expect(s1.of('link.down')).to.deep.equal([]);
      expect(c1.of('link.down')).to.deep.equal([]);
    });

    it('closes a link after 10 refused frames in a row; the link reconnects', async () => {
      const s1 = proc('S1');
      const port = await listening(s1, 'server-client');
      const c1 = proc('C1');
      c1.link({ id: 'S1', host: h.host, port, self: C1, target: 'server', hello: false });
      await h.until(() => c1.of('link.up').length > 0, 'link.up');
      for (let i = 1; i <= 10; i++) c1.send('S1', heartbeat('C1', 'S1', i));
      await h.until(() => s1.of('link.down').length > 0 && c1.of('link.down').length > 0, 'link.down');
      expect(s1.of('link.refused')).to.have.length(10);
      expect(s1.of('link.down')[0]).to.deep.include({ reason: CLOSE_REASONS.refused });
      expect(c1.of('frame.error')).to.have.length(10);
      await h.until(() => c1.of('link.up').length === 2 && s1.of('link.up').length === 2, 'reconnect', 3000);
      expect(s1.of('link.up')[1]?.origin.link).to.equal('L2');
    });

    it('a second hello under the same name closes the first link', async () => {
      const s1 = proc('S1');
      const port = await listening(s1, 'server-peer');
      const first = proc('LFD1-old');
      first.link({ id: 'server', host: h.host, port, self: LFD1, target: 'server', hello: true });
      await h.until(() => s1.of('frame.hello').length === 1, 'first hello');
      expect(s1.of('frame.hello')[0]?.origin.link).to.equal('L1');

      const second = proc('LFD1-new');
      second.link({ id: 'server', host: h.host, port, self: LFD1, target: 'server', hello: true });
      await h.until(() => s1.of('link.down').some((e) => e.origin.link === 'L1'), 'link.down of L1');
      await h.until(() => s1.of('frame.hello').some((e) => e.origin.link === 'L2'), 'hello on L2');

      const types = s1.events.map((e) => `${e.type}${'origin' in e ? ` ${e.origin.link}` : ''}`);
      // the new hello is reported before the old link's end, so the parent can tell a replaced
      // link from a lost one; nothing else happened to L2
      expect(types.slice(0, 6)).to.deep.equal([
        'listen.ready',
        'link.up L1',
        'frame.hello L1',
        'link.up L2',
        'frame.hello L2',
        'link.down L1',
      ]);
      const down = s1.of('link.down').find((e) => e.origin.link === 'L1');
      expect(down?.origin.peer).to.deep.equal(LFD1);
      expect(down?.reason).to.equal(CLOSE_REASONS.replaced);
      await h.until(() => second.of('frame.hello').length > 0, 'the answer at the new link');
      expect(second.of('frame.hello')[0]?.origin.peer).to.deep.equal(S1);
      await h.until(() => first.of('link.down').length > 0, 'the old link seeing link.down');
      first.stop(); // else it comes back and replaces the new one in turn
    });

    it('an outbound link reconnects with backoff after its listener restarts', async () => {
      const s1 = proc('S1');
      const port = await listening(s1, 'server-peer');
      const lfd = proc('LFD1');
      lfd.link({ id: 'server', host: h.host, port, self: LFD1, target: 'server', hello: true });
      await h.until(() => lfd.of('frame.hello').length === 1, 'hello');

      s1.stopChild('port');
      await h.until(() => lfd.of('link.down').length === 1, 'link.down at LFD1');
      expect(lfd.of('link.down')[0]?.origin.peer).to.deep.equal(S1);
      await h.pass(300); // a few refused attempts
      expect(lfd.of('link.up')).to.have.length(1);

      await h.until(() => h.portFree(port), 'port free', 2000);
      await listening(s1, 'server-peer', port);
      // the backoff is capped at 1000 ms
      await h.until(() => lfd.of('frame.hello').length === 2, 'hello after restart', 2500);
      expect(lfd.of('link.up')).to.have.length(2);
      expect(lfd.events.map((e) => e.type)).to.deep.equal([
        'link.up',
        'frame.hello',
        'link.down',
        'link.up',
        'frame.hello',
      ]);
      lfd.send('server', heartbeat('LFD1', 'S1', 2));
      await h.until(() => s1.of('frame.heartbeat').length === 1, 'heartbeat after reconnect');
      expect(s1.of('frame.heartbeat')[0]?.origin).to.deep.equal({ via: 'port', link: 'L1', peer: LFD1 });
    });

    it('close ends one connection; sending to a closed or unknown link is ignored', async () => {
      const s1 = proc('S1');
      const port = await listening(s1, 'server-client');
      const c1 = proc('C1');
      c1.link({ id: 'S1', host: h.host, port, self: C1, target: 'server', hello: false, backoff: { initialMs: 50, maxMs: 50 } });
      await h.until(() => s1.of('link.up').length === 1, 'link.up');

      s1.close('port', 'L1');
      expect(s1.of('link.down')).to.deep.equal([
        { type: 'link.down', origin: { via: 'port', link: 'L1', peer: null }, reason: CLOSE_REASONS.requested },
      ]);
      s1.send('port', { kind: 'reply', client: 'C1', server: 'S1', num: 1, result: 'x' }, 'L1');
      s1.send('port', { kind: 'reply', client: 'C1', server: 'S1', num: 1, result: 'x' }, 'L99');
      s1.send('port', { kind: 'reply', client: 'C1', server: 'S1', num: 1, result: 'x' });
      s1.close('port', 'L1');
      expect(s1.of('link.down')).to.have.length(1);
      await h.until(() => c1.of('link.down').length === 1, 'link.down at C1');
      c1.send('S1', request(1)); // while down: dropped, not queued
      await h.until(() => s1.of('link.up').length === 2, 'reconnect');
      await h.pass(50);
      expect(s1.of('frame.request')).to.deep.equal([]);
      expect(c1.of('frame.reply')).to.deep.equal([]);
      expect(s1.actor.getSnapshot().status).to.equal('active');
      expect(c1.actor.getSnapshot().status).to.equal('active');
    });

    it('a state larger than a frame goes in parts and arrives whole, and what was sent after it arrives after it', async () => {
      const s1 = proc('S1');
      const port1 = await listening(s1, 'server-peer', 0, S1);
      const s3 = proc('S3');
      s3.links({ id: 'peers', self: S3, target: 'server', hello: true });
      s3.want('peers', [{ name: 'S1', host: h.host, port: port1 }]);
      await h.until(() => s3.of('frame.hello').length === 1, 'hello answered');
      // 24 MB: dozens of parts at the default max_frame, more than a socket takes at once.
      const state = Array.from({ length: 24 }, (_, i) => `${i}%,é` + 'x'.repeat(1 << 20)).join('');
      const checkpoint: CheckpointFrame = { kind: 'checkpoint', from: 'S3', to: 'S1', number: 1, state, clients: [], applied: 7, epoch: 1 };
      s3.send('peers', checkpoint, 'S1');
      s3.send('peers', ack('S1', 8), 'S1');
      await h.until(() => s1.of('frame.ack').length === 1, 'the ack behind the checkpoint');
      expect(s1.of('link.refused')).to.deep.equal([]);
      expect(s1.of('frame.checkpoint').map((e) => ({ ...e.frame, state: joinText(e.frame.state) }))).to.deep.equal([checkpoint]);
      const order = s1.events.filter((e) => e.type === 'frame.checkpoint' || e.type === 'frame.ack').map((e) => e.type);
      expect(order).to.deep.equal(['frame.checkpoint', 'frame.ack']);
    });

    it('a links actor links to each wanted peer by name: new ones start, unchanged ones stay, others stop', async () => {
      const s1 = proc('S1');
      const port1 = await listening(s1, 'server-peer', 0, S1);
      const s2 = proc('S2');
      const port2 = await listening(s2, 'server-peer', 0, S2);
      const s3 = proc('S3');
      s3.links({ id: 'peers', self: S3, target: 'server', hello: true });
      const wanted = { S1: { name: 'S1', host: h.host, port: port1 }, S2: { name: 'S2', host: h.host, port: port2 } };

      s3.want('peers', [wanted.S1, wanted.S2]);
      await h.until(() => s3.of('frame.hello').length === 2, 'both hellos answered');
      expect(s3.of('link.up').map((e) => e.origin)).to.have.deep.members([
        { via: 'peers', link: 'S1', peer: null },
        { via: 'peers', link: 'S2', peer: null },
      ]);
      expect(s3.of('frame.hello').map((e) => e.origin)).to.have.deep.members([
        { via: 'peers', link: 'S1', peer: S1 },
        { via: 'peers', link: 'S2', peer: S2 },
      ]);
      s3.send('peers', ack('S2', 1), 'S2');
      await h.until(() => s2.of('frame.ack').length === 1, 'ack at S2');
      expect(s2.of('frame.ack')[0]?.origin.peer).to.deep.equal(S3);

      // S1 no longer wanted: its link ends without a word to S3; S2's goes on as it was
      s3.want('peers', [wanted.S2]);
      await h.until(() => s1.of('link.down').length === 1, 'the link to S1 closed');
      s3.send('peers', ack('S1', 2), 'S1');
      s3.send('peers', ack('S2', 2), 'S2');
      await h.until(() => s2.of('frame.ack').length === 2, 'second ack at S2');
      expect(s1.of('frame.ack')).to.deep.equal([]);
      expect(s2.of('link.up')).to.have.length(1);
      expect(s3.of('link.down')).to.deep.equal([]);

      // wanted again: a new link
      s3.want('peers', [wanted.S1, wanted.S2]);
      await h.until(() => s1.of('frame.hello').length === 2, 'a new link to S1');
      expect(s1.of('link.up').map((e) => e.origin.link)).to.deep.equal(['L1', 'L2']);
      expect(s2.of('link.up')).to.have.length(1);

      // close ends the current connection to one peer, which reconnects under the same name
      s3.close('peers', 'S2');
      expect(s3.of('link.down')).to.deep.equal([
        { type: 'link.down', origin: { via: 'peers', link: 'S2', peer: S2 }, reason: CLOSE_REASONS.requested },
      ]);
      await h.until(() => s2.of('frame.hello').length === 2, 'S2 linked again');
      expect(s3.of('link.up').filter((e) => e.origin.link === 'S2')).to.have.length(2);
      expect(s1.of('link.up')).to.have.length(2);

      // stopping the actor ends every link, reporting nothing
      const seen = s3.events.length;
      s3.stop();
      await h.until(() => s1.of('link.down').length === 2 && s2.of('link.down').length === 2, 'both links closed');
      expect(s3.events).to.have.length(seen);
    });

    it('links.retry: a link waiting out its backoff connects at once', async () => {
      const s1 = proc('S1');
      const port = await listening(s1, 'server-peer', 0, S1);
      s1.stopChild('port');
      await h.until(() => h.portFree(port), 'port free', 2000);
      const s3 = proc('S3');
      // A backoff of a minute: only the retry can bring the link up within the test.
      s3.links({ id: 'peers', self: S3, target: 'server', hello: true, backoff: { initialMs: 60_000, maxMs: 60_000 } });
      s3.want('peers', [{ name: 'S1', host: h.host, port }]);
      await h.pass(100); // the first attempt refused
      await listening(s1, 'server-peer', port, S1);
      s3.retry('peers', 'S1');
      await h.until(() => s3.of('frame.hello').length === 1, 'linked after the retry', 1000);
      // A retry while linked changes nothing.
      s3.retry('peers', 'S1');
      await h.pass(100);
      expect(s1.of('link.up')).to.have.length(1);
    });

    it('stopping the actors closes the listener and every connection', async () => {
      const s1 = proc('S1');
      const port = await listening(s1, 'server-peer');
      const lfd = proc('LFD1');
      lfd.link({ id: 'server', host: h.host, port, self: LFD1, target: 'server', hello: true });
      const c1 = proc('C1');
      c1.link({ id: 'S1', host: h.host, port, self: C1, target: 'server', hello: false });
      await h.until(() => s1.of('link.up').length === 2 && lfd.of('frame.hello').length === 1, 'links up');
      if (h.openConnections() !== null) expect(h.openConnections()).to.equal(2);

      s1.stop();
      await h.until(() => lfd.of('link.down').length === 1 && c1.of('link.down').length === 1, 'link.down at both');
      expect(s1.of('link.down')).to.deep.equal([]); // nothing is reported after stop
      await h.until(() => h.portFree(port), 'port free again', 2000);

      lfd.stop();
      c1.stop();
      const seen = lfd.events.length + c1.events.length;
      // a new listener on the port sees no reconnects from the stopped links
      const again = proc('S1-again');
      await listening(again, 'server-peer', port);
      await h.pass(1100); // more than the longest backoff delay
      expect(again.of('link.up')).to.deep.equal([]);
      expect(lfd.events.length + c1.events.length).to.equal(seen);
      if (h.openConnections() !== null) expect(h.openConnections()).to.equal(0);
    });
  });
}

transportSuite(tcpHarness());
transportSuite(memoryHarness());
