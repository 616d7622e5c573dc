/** What only the in-memory network has: latency, ordering, determinism, fault injection, backoff timing. */
import { expect } from 'chai';
import sinon from 'sinon';
import { backoffDelay, DEFAULT_BACKOFF } from '../../src/transport/actors.js';
import type { Conn } from '../../src/transport/connection.js';
import { mulberry32 } from '../../src/random.js';
import { MemoryNetwork, type NetworkTrace } from '../../src/transport/memory.js';
import { FAKE_TIMERS, peer, Proc } from './helpers.js';

const S1 = peer('S1', 'server');
const LFD1 = peer('LFD1', 'lfd');
const text = (chunk: Uint8Array | string): string => (typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk));

describe('MemoryNetwork', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: [...FAKE_TIMERS] });
  });
  afterEach(() => clock.restore());

  /** Listen on 127.0.0.1:7000 and connect once; both ends with what they received. */
  async function pair(network: MemoryNetwork) {
    const server = network.driver({ name: 'server' });
    const client = network.driver({ name: 'client' });
    const got = { server: [] as string[], client: [] as string[] };
    const closed = { server: [] as string[], client: [] as string[] };
    let serverConn: Conn | null = null;
    let clientConn: Conn | null = null;
    const times = { server: [] as number[], client: [] as number[] };
    server.listen(
      '127.0.0.1',
      7000,
      (conn) => {
        serverConn = conn;
        conn.onData((chunk) => {
          got.server.push(text(chunk));
          times.server.push(Date.now());
        });
        conn.onClose((reason) => closed.server.push(reason));
      },
      (r) => expect(r.ok).to.equal(true),
    );
    client.connect('127.0.0.1', 7000, (r) => {
      if (!r.ok) throw new Error(r.reason);
      clientConn = r.conn;
      r.conn.onData((chunk) => {
        got.client.push(text(chunk));
        times.client.push(Date.now());
      });
      r.conn.onClose((reason) => closed.client.push(reason));
    });
    await clock.tickAsync(0);
    const start = Date.now();
    await clock.tickAsync(10);
    if (serverConn === null || clientConn === null) throw new Error('no connection');
    return { server: serverConn as Conn, client: clientConn as Conn, got, closed, times, start };
  }

  it('delivers each write after the latency, in order, even when a later write is faster', async () => {
    let next = 10;
    const network = new MemoryNetwork({ latencyMs: () => next });
    const p = await pair(network);
    const t0 = Date.now();
    next = 30;
    p.client.write('<a>');
    next = 1;
    p.client.write('<b>');
    p.client.write('<c>');
    await clock.tickAsync(29);
    expect(p.got.server).to.deep.equal([]);
    await clock.tickAsync(1);
    expect(p.got.server).to.deep.equal(['<a>', '<b>', '<c>']);
    expect(p.times.server).to.deep.equal([t0 + 30, t0 + 30, t0 + 30]);
  });

  it('delivers data written before a close first, then the close, after the latency', async () => {
    const network = new MemoryNetwork({ latencyMs: 5 });
    const p = await pair(network);
    p.server.write('<one>');
    p.server.write('<two>');
    p.server.close('bye');
    expect(p.closed.server).to.deep.equal(['bye']); // the closing side knows at once
    p.client.write('<late>'); // crosses the close: lost, as with TCP
    await clock.tickAsync(4);
    expect(p.got.client).to.deep.equal([]);
    expect(p.closed.client).to.deep.equal([]);
    await clock.tickAsync(1);
    expect(p.got.client).to.deep.equal(['<one>', '<two>']);
    expect(p.closed.client).to.deep.equal(['closed by peer']);
    await clock.tickAsync(10);
    expect(p.got.server).to.deep.equal([]);
    expect(network.connections()).to.deep.equal([]);
  });

  it('refuses a second listen on one address and a connect where nothing listens', async () => {
    const network = new MemoryNetwork();
    const d = network.driver();
    const results: string[] = [];
    d.listen('127.0.0.1', 7000, () => {}, (r) => results.push(r.ok ? `ok ${r.port}` : r.reason));
    d.listen('127.0.0.1', 7000, () => {}, (r) => results.push(r.ok ? `ok ${r.port}` : r.reason));
    d.listen('10.0.0.1', 7000, () => {}, (r) => results.push(r.ok ? `ok ${r.port}` : r.reason));
    d.connect('127.0.0.1', 7001, (r) => results.push(r.ok ? 'connected' : r.reason));
    await clock.tickAsync(0);
    expect(results).to.deep.equal(['ok 7000', 'address in use', 'ok 7000']);
    await clock.tickAsync(1);
    expect(results.at(-1)).to.equal('connection refused');
    expect(network.listening()).to.deep.equal(['127.0.0.1:7000', '10.0.0.1:7000']);
  });

  it('closing a listener stops accepting but keeps its connections (as TCP does)', async () => {
    const network = new MemoryNetwork();
    const d = network.driver();
    let close: (() => void) | null = null;
    const accepted: Conn[] = [];
    d.listen('127.0.0.1', 7000, (c) => accepted.push(c), (r) => {
      if (r.ok) close = r.close;
    });
    await clock.tickAsync(0);
    d.connect('127.0.0.1', 7000, () => {});
    await clock.tickAsync(1);
    (close as unknown as () => void)();
    const refused: string[] = [];
    d.connect('127.0.0.1', 7000, (r) => refused.push(r.ok ? 'connected' : r.reason));
    await clock.tickAsync(1);
    expect(refused).to.deep.equal(['connection refused']);
    expect(accepted).to.have.length(1);
    expect(accepted[0]?.closed).to.equal(false);
    expect(network.connections()).to.have.length(1);
  });

  it('disconnect cuts connections of a listener address: data in flight is lost, both ends see a reset', async () => {
    const network = new MemoryNetwork({ latencyMs: 3 });
    const p = await pair(network);
    p.client.write('<lost>');
    expect(network.disconnect('127.0.0.1:9999')).to.equal(0);
    expect(network.disconnect('127.0.0.1:7000')).to.equal(1);
    p.client.write('<after>');
    await clock.tickAsync(3);
    expect(p.got.server).to.deep.equal([]);
    expect(p.closed).to.deep.equal({ server: ['connection reset'], client: ['connection reset'] });
    expect(network.connections()).to.deep.equal([]);
  });

  it('disconnect by transport name cuts that process’s connections, both directions', async () => {
    const network = new MemoryNetwork();
    const p = await pair(network);
    expect(network.connections()).to.deep.equal([
      { id: 1, from: network.connections()[0]?.from, to: '127.0.0.1:7000', fromName: 'client', toName: 'server' },
    ]);
    expect(network.disconnect('client')).to.equal(1);
    await clock.tickAsync(1);
    expect(p.closed.server).to.deep.equal(['connection reset']);
  });

  it('a link retries a refused connect with capped exponential backoff and full jitter', async () => {
    const refusedAt: number[] = [];
    const network = new MemoryNetwork({
      random: () => 0.9999,
      trace: (e: NetworkTrace) => {
        if (e.type === 'refused') refusedAt.push(Date.now());
      },
    });
    const lfd = new Proc('LFD1', network.transport({ name: 'LFD1' }));
    lfd.link({ id: 'server', host: '127.0.0.1', port: 7201, self: LFD1, target: 'server', hello: true });
    await clock.tickAsync(5000);
    // each attempt takes 1 ms (latency) to be refused, then waits random * min(1000, 50 * 2^n)
    const gaps = refusedAt.slice(1).map((t, i) => t - (refusedAt[i] as number) - 1);
    expect(gaps.slice(0, 8)).to.deep.equal([49, 99, 199, 399, 799, 999, 999, 999]);
    lfd.stop();
    const count = refusedAt.length;
    await clock.tickAsync(5000);
    expect(refusedAt).to.have.length(count); // stopped: no more attempts
  });

  it('resets the backoff once the listener answered the hello', async () => {
    const connects: number[] = [];
    const network = new MemoryNetwork({
      random: () => 0.9999,
      trace: (e) => {
        if (e.type === 'refused' || e.type === 'connect') connects.push(Date.now());
      },
    });
    const lfd = new Proc('LFD1', network.transport({ name: 'LFD1' }));
    lfd.link({ id: 'server', host: '127.0.0.1', port: 7201, self: LFD1, target: 'server', hello: true });
    await clock.tickAsync(1000); // backoff has grown to ~800 ms
    const s1 = new Proc('S1', network.transport({ name: 'S1' }));
    s1.listen({ id: 'peer', host: '127.0.0.1', port: 7201, kind: 'server-peer', self: S1 });
    await clock.tickAsync(1500);
    expect(lfd.of('frame.hello')).to.have.length(1);
    network.disconnect('S1');
    const downAt = Date.now();
    connects.length = 0;
    await clock.tickAsync(200);
    // first retry after a good link: within the initial 50 ms (plus 1 ms to reset, 1 ms to connect)
    expect(connects).to.have.length(1);
    expect((connects[0] as number) - downAt).to.be.at.most(52);
    expect(lfd.of('link.up')).to.have.length(2);
    lfd.stop();
    s1.stop();
  });

  it('runs the same timeline twice from the default seed', async () => {
    const run = async (): Promise<string[]> => {
      const start = Date.now();
      const log: string[] = [];
      const network = new MemoryNetwork({ trace: (e) => log.push(`${Date.now() - start} ${e.type}`) });
      const lfd = new Proc('LFD1', network.transport({ name: 'LFD1' }));
      lfd.link({ id: 'server', host: '127.0.0.1', port: 7201, self: LFD1, target: 'server', hello: true });
      await clock.tickAsync(700);
      const s1 = new Proc('S1', network.transport({ name: 'S1' }));
      s1.listen({ id: 'peer', host: '127.0.0.1', port: 7201, kind: 'server-peer', self: S1 });
      await clock.tickAsync(2000);
      lfd.stop();
      s1.stop();
      await clock.tickAsync(10);
      return log;
    };
    const first = await run();
    const second = await run();
    expect(first).to.deep.equal(second);
    expect(first.filter((l) => l.endsWith('refused')).length).to.be.greaterThan(2);
  });

  it('mulberry32 is deterministic and uniform-looking', () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).to.deep.equal(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).to.equal(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).to.be.within(0.45, 0.55);
  });
});

describe('backoffDelay', () => {
  it('is random * min(max, initial * 2^retry)', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((n) => backoffDelay(n, DEFAULT_BACKOFF, () => 0.5))).to.deep.equal([
      25, 50, 100, 200, 400, 500, 500, 500,
    ]);
    expect(backoffDelay(3, { initialMs: 10, maxMs: 5000 }, () => 0)).to.equal(0);
  });
});
