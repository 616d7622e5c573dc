/**
 * The client library against a real cluster (`app = log`, so replies are positions that reveal the
 * order): requests queued in call order, a client that knows only the RM, a name used again that
 * resumes above its last number, and the typed errors (timeout before and after sending, closed).
 */
import net from 'node:net';
import { expect } from 'chai';
import { ClosedError, connect, TimeoutError, type Client } from '../../src/client/index.js';
import { loadConfig } from '../../src/config/load.js';
import { freePorts, killAllAndCheck, startRole, waitForLine, writeConfig, type TestCluster } from '../support/processes.js';

const T = 20_000;

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => {
      throw new Error(`resolved with ${String(v)}`);
    },
    (e: unknown) => e,
  );
}

describe('e2e: the client library', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  const clients: Client[] = [];
  const open = async (options: Parameters<typeof connect>[0]) => {
    const c = await connect(options);
    clients.push(c);
    return c;
  };

  before(async () => {
    cluster = await writeConfig({ cluster: { mode: 'passive', app: 'log' } });
    const run = (args: string[]) => startRole([...args, '--config', cluster.file], { cwd: cluster.dir });
    const rm = run(['rm']);
    run(['gfd']);
    for (let i = 1; i <= 3; i++) run(['lfd', '--name', `LFD${i}`]);
    await waitForLine(rm, /RM: 3 members: S1, S2, S3/, T);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  after(killAllAndCheck);

  it('queues concurrent calls and sends them in call order', async () => {
    const c = await open({ config: cluster.file, name: 'Q1' });
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => c.request(`q${i}`, { timeoutMs: T })));
    const positions = replies.map(Number);
    expect(positions).to.deep.equal([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).to.equal(10);
  });

  it('works knowing only the RM (the servers from its directory)', async () => {
    const c = await open({ rm: `127.0.0.1:${cluster.rmPort}`, name: 'R1', resendAfterMs: 600 });
    expect(Number(await c.request('via-rm', { timeoutMs: T }))).to.be.greaterThan(0);
  });

  it('a name used again goes on above its last number', async () => {
    const first = await open({ config: cluster.file, name: 'N1' });
    for (let i = 0; i < 3; i++) await first.request(`n${i}`, { timeoutMs: T });
    await first.close();
    const again = await open({ config: cluster.file, name: 'N1' });
    // Its number 1 is refused as `N1 last 3`; the machine moves on to 4 and the call still resolves.
    const position = Number(await again.request('n-again', { timeoutMs: T }));
    const check = Number(await again.request('n-check', { timeoutMs: T }));
    expect(check).to.equal(position + 1);
  });

  it('rejects with ClosedError what close() leaves unanswered, and refuses new calls', async () => {
    const [deadRm] = await freePorts(1);
    const dead = { host: '127.0.0.1', port: deadRm! };
    const nowhere = await connect({ config: { ...loadConfig({ path: cluster.file }), rms: [{ name: 'RM', ...dead }] }, name: 'X2' });
    const pending = nowhere.request('never');
    await nowhere.close();
    expect(await rejection(pending)).to.be.instanceOf(ClosedError);
    expect(await rejection(nowhere.request('late'))).to.be.instanceOf(ClosedError);
  });

  it('times out: before sending (not applied) and after (outcome unknown)', async () => {
    const [deadRm] = await freePorts(1);
    const config = loadConfig({ path: cluster.file });
    // An RM nobody runs: the client never learns where to send.
    const dead = { host: '127.0.0.1', port: deadRm! };
    const lost = await open({ config: { ...config, rms: [{ name: 'RM', ...dead }] }, name: 'T1' });
    const e1 = await rejection(lost.request('first', { timeoutMs: 300 }));
    expect(e1).to.be.instanceOf(TimeoutError);
    expect((e1 as TimeoutError).sent).to.equal(false);

    // The real RM names the servers, but their addresses lead to a listener that never answers:
    // the request leaves and no reply comes.
    const accepted: net.Socket[] = [];
    const silent = net.createServer((socket) => {
      accepted.push(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const astray = await open({ config: { ...config, servers: config.servers.map((s) => ({ ...s, port })) }, name: 'T2' });
      const e2 = await rejection(astray.request('second', { timeoutMs: 800 }));
      expect(e2).to.be.instanceOf(TimeoutError);
      expect((e2 as TimeoutError).sent).to.equal(true);
    } finally {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      for (const s of accepted) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
