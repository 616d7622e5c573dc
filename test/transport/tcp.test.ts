/** What only TCP has: the bytes on a real socket, a peer typing into `nc`, broken sockets, bind errors. */
import { expect } from 'chai';
import net from 'node:net';
import { tcpTransport } from '../../src/transport/tcp.js';
import { peer, Proc, readyPort, tcpHarness } from './helpers.js';

const S1 = peer('S1', 'server');
const h = tcpHarness();

/** A raw client socket that collects what it receives and whether it was closed. */
async function raw(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  const state = { text: '', ended: false, closed: false };
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (state.text += d));
  socket.on('end', () => (state.ended = true));
  socket.on('close', () => (state.closed = true));
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, state };
}

describe('transport over tcp: the wire', () => {
  let procs: Proc[] = [];
  const server = async (kind: 'server-peer' | 'server-client'): Promise<{ s1: Proc; port: number }> => {
    const s1 = new Proc('S1', tcpTransport);
    procs.push(s1);
    s1.listen({ id: 'port', host: '127.0.0.1', port: 0, kind, self: S1 });
    await h.until(() => readyPort(s1, 'port') !== null, 'listen.ready');
    return { s1, port: readyPort(s1, 'port') as number };
  };
  beforeEach(() => {
    procs = [];
  });
  afterEach(() => {
    for (const p of procs) {
      p.stop();
      expect(p.errors).to.deep.equal([]);
    }
  });

  it('answers a hello typed by hand and takes frames written with it', async () => {
    const { s1, port } = await server('server-peer');
    const c = await raw(port);
    c.socket.write('  <LFD1, lfd, 1, hello>\r\n<LFD1,S1,7,heartbeat>\n');
    await h.until(() => s1.of('frame.heartbeat').length === 1, 'heartbeat');
    await h.until(() => c.state.text.length > 0, 'hello answer');
    expect(c.state.text).to.equal('<S1, server, 1, hello>');
    expect(s1.of('frame.heartbeat')[0]?.origin).to.deep.equal({ via: 'port', link: 'L1', peer: peer('LFD1', 'lfd') });
    c.socket.destroy();
  });

  it('reassembles frames split anywhere, multi-byte characters included', async () => {
    const { s1, port } = await server('server-client');
    const c = await raw(port);
    const bytes = Buffer.from('<C1, S1, 1, h\u00e9llo \u4e16\u754c, request><C1, S1, 2, \u{1F600}, request>', 'utf8');
    for (let i = 0; i < bytes.length; i++) {
      c.socket.write(bytes.subarray(i, i + 1));
      if (i % 7 === 0) await h.pass(1);
    }
    await h.until(() => s1.of('frame.request').length === 2, 'two requests');
    expect(s1.of('frame.request').map((e) => e.frame.body)).to.deep.equal(['h\u00e9llo \u4e16\u754c', '\u{1F600}']);
    c.socket.destroy();
  });

  it('answers a hello of another version with an error frame, then closes', async () => {
    const { s1, port } = await server('server-peer');
    const c = await raw(port);
    c.socket.write('<LFD1, lfd, 9, hello>');
    await h.until(() => c.state.closed, 'socket closed by the listener');
    expect(c.state.text).to.match(/^<S1, protocol version 9 not supported, error>$/);
    await h.until(() => s1.of('link.down').length === 1, 'link.down');
    expect(s1.of('link.refused').map((e) => e.reason)).to.deep.equal(['protocol version 9 not supported']);
    expect(s1.of('frame.hello')).to.deep.equal([]);
  });

  it('survives a peer that resets its connection, and keeps listening', async () => {
    const { s1, port } = await server('server-client');
    const c = await raw(port);
    c.socket.write('<C1, S1, 1, x, req');
    await h.pass(5);
    c.socket.resetAndDestroy();
    await h.until(() => s1.of('link.down').length === 1, 'link.down');
    const again = await raw(port);
    again.socket.write('<ops, S1, status>');
    await h.until(() => s1.of('frame.statusQuery').length === 1, 'status query on a new connection');
    expect(s1.of('frame.statusQuery')[0]?.origin.link).to.equal('L2');
    again.socket.destroy();
  });

  it('of the frames written with one coalesce key in one turn, sends only the last, in its place', async () => {
    const { s1, port } = await server('server-client');
    const c = await raw(port);
    await h.until(() => s1.of('link.up').length === 1, 'link.up');
    const reply = (num: number, coalesce?: string) =>
      s1.actor.send({
        type: 'cmd',
        to: 'port',
        command: { type: 'send', link: 'L1', frame: { kind: 'reply', client: 'C1', server: 'S1', num, result: 'r' }, ...(coalesce ? { coalesce } : {}) },
      });
    reply(1, 'k');
    reply(2);
    reply(3, 'k');
    reply(4, 'other');
    reply(5, 'k');
    await h.until(() => c.state.text.includes(', 5, r, reply>'), 'the last frame');
    expect(c.state.text).to.equal('<C1, S1, 2, r, reply><C1, S1, 4, r, reply><C1, S1, 5, r, reply>');
    // The next turn starts afresh: its frame of that key goes out too.
    await h.pass(5);
    reply(6, 'k');
    await h.until(() => c.state.text.includes(', 6, r, reply>'), 'the next turn');
    expect(c.state.text.endsWith('<C1, S1, 5, r, reply><C1, S1, 6, r, reply>')).to.equal(true);
    c.socket.destroy();
  });

  it('does not count frames replaced under a coalesce key as unread output', async () => {
    const { s1, port } = await server('server-client');
    const c = await raw(port);
    await h.until(() => s1.of('link.up').length === 1, 'link.up');
    // 80 frames of 1 MB replaced in one turn: counted, they would pass the 64 MiB of unread slack.
    const result = 'r'.repeat(1 << 20);
    for (let num = 1; num <= 80; num++) {
      s1.actor.send({ type: 'cmd', to: 'port', command: { type: 'send', link: 'L1', frame: { kind: 'reply', client: 'C1', server: 'S1', num, result }, coalesce: 'k' } });
    }
    await h.until(() => c.state.text.endsWith(', 80, ' + result + ', reply>'), 'the last frame');
    expect(c.state.text.length).to.equal('<C1, S1, 80, , reply>'.length + result.length);
    expect(s1.of('link.down')).to.deep.equal([]);
    c.socket.destroy();
  });

  it('writes to a peer that went away without throwing', async () => {
    const { s1, port } = await server('server-client');
    const c = await raw(port);
    await h.until(() => s1.of('link.up').length === 1, 'link.up');
    c.socket.resetAndDestroy();
    for (let i = 0; i < 20; i++) {
      s1.send('port', { kind: 'reply', client: 'C1', server: 'S1', num: i, result: 'x'.repeat(1000) }, 'L1');
      await h.pass(1);
    }
    await h.until(() => s1.of('link.down').length === 1, 'link.down');
    expect(s1.actor.getSnapshot().status).to.equal('active');
  });

  it('reports a bind on an address this host does not have as listen.failed', async () => {
    const s1 = new Proc('S1', tcpTransport);
    procs.push(s1);
    s1.listen({ id: 'port', host: '203.0.113.7', port: 7101, kind: 'server-client', self: S1 });
    await h.until(() => s1.of('listen.failed').length === 1, 'listen.failed');
    expect(s1.of('listen.failed')[0]?.reason).to.equal('203.0.113.7:7101: address not available');
  });

  it('sets noDelay on accepted and connected sockets', async () => {
    // Node exposes no getter for TCP_NODELAY: spy on setNoDelay (connect, the client's and the server's socket).
    const calls: boolean[] = [];
    const original = net.Socket.prototype.setNoDelay;
    net.Socket.prototype.setNoDelay = function (this: net.Socket, noDelay?: boolean) {
      calls.push(noDelay ?? true);
      return original.call(this, noDelay);
    };
    try {
      const { port } = await server('server-client');
      const c1 = new Proc('C1', tcpTransport);
      procs.push(c1);
      c1.link({ id: 'S1', host: '127.0.0.1', port, self: peer('C1', 'client'), target: 'server', hello: false });
      await h.until(() => c1.of('link.up').length === 1, 'link.up');
      await h.pass(5);
    } finally {
      net.Socket.prototype.setNoDelay = original;
    }
    expect(calls.length).to.be.at.least(3);
    expect(calls.every((x) => x)).to.equal(true);
  });
});
