/**
 * The test hosts themselves (`src/hosts/network.ts`): hosts reach each other and the test process reaches
 * them; a cut drops what one host sends another and nothing else; a heal undoes it; a shaped host
 * loses what it sends; and nothing is left once the network is removed.
 */
import { expect } from 'chai';
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import net from 'node:net';
import { TestNetwork, type TestHost } from '../../src/hosts/network.js';
import { requireHosts } from '../support/hosts.js';

const PORT = 7400;

/** A TCP listener on `host` that answers every connection with `ok`. */
function listenIn(host: TestHost): Promise<ChildProcess> {
  // Under loss a connection may be reset: that must not end the listener.
  const script = `require('net').createServer((s) => { s.on('error', () => {}); s.end('ok'); }).listen(${PORT}, '${host.address}', () => console.log('up'))`;
  const child = spawn('ip', ['netns', 'exec', host.ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`listener in ${host.name} exited (${code})`)));
  });
}

/** A script for `from` that connects to `to`, reads the answer and prints the milliseconds it took, or `none` past `timeoutMs`. */
function connectArgs(from: TestHost, to: TestHost, timeoutMs: number): string[] {
  const script = `const t = Date.now(); const s = require('net').connect(${PORT}, '${to.address}');
    s.setTimeout(${timeoutMs}, () => { console.log('none'); process.exit(0); });
    s.on('data', () => { console.log(Date.now() - t); process.exit(0); }); s.on('error', () => { console.log('none'); process.exit(0); });`;
  return ['netns', 'exec', from.ns, process.execPath, '-e', script];
}
const msOf = (out: string): number | null => (out.trim() === 'none' ? null : Number(out));

/** Connects from `from` to `to` and reads the answer; the milliseconds it took, or null if it did not within `timeoutMs`. */
function connectMs(from: TestHost, to: TestHost, timeoutMs = 600): number | null {
  return msOf(execFileSync('ip', connectArgs(from, to, timeoutMs), { timeout: timeoutMs + 5000 }).toString());
}

/** The same without blocking this process (a relay in it must go on: `TestNetwork.delay`). */
async function connectMsAsync(from: TestHost, to: TestHost, timeoutMs: number): Promise<number | null> {
  return msOf((await promisify(execFile)('ip', connectArgs(from, to, timeoutMs), { timeout: timeoutMs + 5000 })).stdout);
}

/** The test process's own connection to `to`. */
function reachFromHere(to: TestHost): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(PORT, to.address);
    s.setTimeout(600, () => (s.destroy(), resolve(false)));
    s.on('data', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

describe('test hosts: network namespaces, cuts, loss and delay', function () {
  this.timeout(30_000);
  let network: TestNetwork | null = null;
  const listeners: ChildProcess[] = [];

  before(function () {
    requireHosts(this);
  });
  afterEach(() => {
    for (const l of listeners.splice(0)) l.kill('SIGKILL');
    network?.remove();
    network = null;
  });

  it('hosts reach each other; a one-way cut drops what one host sends another, only that; a heal undoes it', async () => {
    network = TestNetwork.create(3);
    const [h1, h2, h3] = network.hosts as [TestHost, TestHost, TestHost];
    listeners.push(await listenIn(h1), await listenIn(h2));
    expect(connectMs(h2, h1), 'h2 → h1').to.be.a('number');
    expect(connectMs(h3, h1), 'h3 → h1').to.be.a('number');
    expect(await reachFromHere(h1), 'the test process → h1').to.equal(true);

    network.cut(h2, h1);
    expect(connectMs(h2, h1), 'h2 → h1, cut').to.equal(null);
    // TCP needs both ways: h1's connection to h2 is answered into the cut.
    expect(connectMs(h1, h2), 'h1 → h2, answers cut').to.equal(null);
    expect(connectMs(h3, h1), 'h3 → h1, not cut').to.be.a('number');
    expect(await reachFromHere(h1), 'the test process → h1, never cut').to.equal(true);

    network.heal();
    expect(connectMs(h2, h1, 3000), 'h2 → h1, healed').to.be.a('number');
  });

  it('isolates a host from all the others, the test process still reaching it', async () => {
    network = TestNetwork.create(3);
    const [h1, h2, h3] = network.hosts as [TestHost, TestHost, TestHost];
    listeners.push(await listenIn(h1), await listenIn(h3));
    network.isolate(h1);
    expect(connectMs(h2, h1)).to.equal(null);
    expect(connectMs(h2, h3), 'the others still reach each other').to.be.a('number');
    expect(await reachFromHere(h1)).to.equal(true);
  });

  it('loses what a shaped host sends, at the rate asked, and nothing once unshaped', async () => {
    network = TestNetwork.create(2);
    const [h1, h2] = network.hosts as [TestHost, TestHost];
    listeners.push(await listenIn(h1), await listenIn(h2));
    network.shape({ lossPct: 100 }, [h2]);
    expect(connectMs(h2, h1), 'all lost').to.equal(null);
    expect(await reachFromHere(h2), 'what h2 sends the test process is never lost').to.equal(true);
    // Checked after total loss, which leaves no half-open connection behind on h1 (after partial
    // loss, a lost reset can leave one whose port a new connection may meet, and wait out a SYN retry).
    network.unshape([h2]);
    expect(connectMs(h2, h1, 3000), 'unshaped').to.be.a('number');
    // Half lost: of 20 connections (each a few packets each way), some get through and some do not.
    network.shape({ lossPct: 50 }, [h2]);
    const tries = Array.from({ length: 20 }, () => connectMs(h2, h1, 300));
    expect(tries.filter((t) => t === null).length, 'lost at 50 %').to.be.above(0);
    expect(tries.filter((t) => t !== null).length, 'through at 50 %').to.be.above(0);
  });

  it('delays what one host sends another, through a relay here, and not what the test process sends; no cut meanwhile', async () => {
    network = TestNetwork.create(2);
    const [h1, h2] = network.hosts as [TestHost, TestHost];
    await network.delay({ meanMs: 150, jitterMs: 0 }, [PORT]);
    listeners.push(await listenIn(h2));
    // h2's answer comes back through the relay, one delay later.
    expect(await connectMsAsync(h1, h2, 3000), 'h1 → h2, delayed').to.be.at.least(140);
    expect(await reachFromHere(h2), 'the test process → h2, direct').to.equal(true);
    expect(() => network!.cut(h1, h2)).to.throw(/cuts and delay do not combine/);
  });

  it('leaves no namespace and no bridge behind once removed', () => {
    network = TestNetwork.create(2);
    expect(TestNetwork.namespaces()).to.have.length(2);
    network.remove();
    expect(TestNetwork.namespaces()).to.deep.equal([]);
    const bridges = execFileSync('ip', ['-o', 'link', 'show', 'type', 'bridge']).toString();
    expect(bridges).to.not.include(`sf${process.pid}b`);
  });
});
