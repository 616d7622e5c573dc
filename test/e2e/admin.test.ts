/**
 * `--admin` (src/admin): /healthz, /readyz and /metrics of real roles, the metrics read with a
 * Prometheus text-format parser.
 */
import { expect } from 'chai';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { killAllAndCheck, launchedPid, runToExit, startRole, until, waitForLine, writeConfig, type Role } from '../support/processes.js';

const T = 15_000;

/** The admin address a role (or, through its LFD, its server) printed. */
async function adminUrl(role: Role, name: string): Promise<string> {
  const line = await waitForLine(role, new RegExp(`^${name}: admin endpoint on (http://\\S+) `), T);
  return /(http:\/\/\S+) /.exec(line.line)![1]!;
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}

/** One sample's value of a family, by its labels (those not given are ignored). */
async function metric(base: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const { status, text } = await get(`${base}/metrics`);
  expect(status).to.equal(200);
  const family = parsePrometheusTextFormat(text).find((f) => f.name === name);
  expect(family, `${name} in /metrics`).to.not.equal(undefined);
  const sample = family!.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return sample?.value === undefined ? 0 : Number(sample.value);
}

describe('e2e: the admin endpoint', function () {
  this.timeout(90_000);
  afterEach(killAllAndCheck);

  it('no server is ready before its assignment; kill -9 of the primary: the RM counts one failover and one more epoch, the LFD a crash and a relaunch', async () => {
    const cluster = await writeConfig({ cluster: { mode: 'passive', app: 'log', durability: 'sync' }, clients: { C1: { interval: 0.05, message: 'c1_' } } });
    const cfg = ['--config', cluster.file];
    const admin = ['--admin', '127.0.0.1:0'];
    const rm = startRole(['rm', ...cfg, ...admin]);
    const rmAdmin = await adminUrl(rm, 'RM');
    expect((await get(`${rmAdmin}/healthz`)).status).to.equal(200);
    expect(await get(`${rmAdmin}/readyz`)).to.deep.include({ status: 503 });
    const lfds = [1, 2, 3].map((i) => startRole(['lfd', '--name', `LFD${i}`, ...cfg, ...admin]));
    const pids = await Promise.all(lfds.map((lfd, i) => launchedPid(lfd, `S${i + 1}`, T)));
    // No GFD yet, so no assignment: every server runs, and none is ready.
    for (const [i, lfd] of lfds.entries()) {
      const url = await adminUrl(lfd, `S${i + 1}`);
      expect(await get(`${url}/healthz`)).to.deep.include({ status: 200 });
      expect(await get(`${url}/readyz`)).to.deep.equal({ status: 503, text: 'not ready: booting\n' });
      // An LFD is ready once its server answers and the GFD heard so; without a GFD it does not even ask.
      expect(await get(`${await adminUrl(lfd, `LFD${i + 1}`)}/readyz`)).to.deep.equal({ status: 503, text: `not ready: S${i + 1} not reported added (no answer, or no GFD)\n` });
    }
    startRole(['gfd', ...cfg, ...admin]);
    await waitForLine(rm, /RM: primary is S\d$/, T);
    await until(async () => (await get(`${rmAdmin}/readyz`)).status === 200, T, () => 'the RM ready');
    expect((await get(`${rmAdmin}/readyz`)).text).to.match(/^ready: passive primary S\d, epoch \d+, 3 members\n$/);
    const client = startRole(['client', '--name', 'C1', ...cfg, ...admin]);
    await waitForLine(client, /Received <C1, S\d, 5, reply>$/, T);

    const primary = /RM: primary is (S\d)$/.exec([...rm.lines].reverse().find((l) => /RM: primary is/.test(l))!)![1]!;
    const index = Number(primary.slice(1)) - 1;
    const lfd = lfds[index]!;
    const serverAdmin = await adminUrl(lfd, primary);
    expect(await get(`${serverAdmin}/readyz`)).to.deep.include({ status: 200 });
    expect(await metric(serverAdmin, 'steadfast_requests_total', { outcome: 'applied' })).to.be.greaterThan(0);

    const failovers = await metric(rmAdmin, 'steadfast_failovers_total');
    const epoch = await metric(rmAdmin, 'steadfast_epoch');
    expect(await metric(rmAdmin, 'steadfast_members')).to.equal(3);
    for (const [i, l] of lfds.entries()) expect(await get(`${await adminUrl(l, `LFD${i + 1}`)}/readyz`), `LFD${i + 1}`).to.deep.include({ status: 200 });
    const mark = lfd.mark();
    process.kill(pids[index]!, 'SIGKILL');
    await waitForLine(rm, /RM: primary is S\d$/, T, rm.lines.length);
    await until(async () => (await metric(rmAdmin, 'steadfast_failovers_total')) === failovers + 1, T, () => 'failovers_total up by one');
    expect(await metric(rmAdmin, 'steadfast_epoch')).to.equal(epoch + 1);
    expect(await metric(`${await adminUrl(lfd, `LFD${index + 1}`)}`, 'steadfast_detections_total', { kind: 'crash' })).to.equal(1);

    // The relaunched process: not ready until it serves (its admin port is a new one).
    await launchedPid(lfd, primary, T, mark);
    const relaunched = await until(async () => lfd.lines.slice(mark).some((l) => l.startsWith(`${primary}: admin endpoint on `)), T, () => 'the relaunched admin endpoint').then(() =>
      /(http:\/\/\S+) /.exec(lfd.lines.slice(mark).find((l) => l.startsWith(`${primary}: admin endpoint on `))!)![1]!,
    );
    const seen: number[] = [];
    await until(
      async () => {
        const r = await get(`${relaunched}/readyz`).catch(() => ({ status: 0, text: '' }));
        seen.push(r.status);
        return r.status === 200;
      },
      T,
      () => `the relaunched ${primary} ready (seen ${seen})`,
    );
    // Every answer before it served said 503, and one did once it served.
    expect(seen.filter((s) => s !== 0 && s !== 503 && s !== 200)).to.deep.equal([]);
    expect(lfd.lines.slice(mark).some((l) => new RegExp(`${primary} is ready \\[passive\\] \\[backup\\]`).test(l))).to.equal(true);
    expect(await metric(`${await adminUrl(lfd, `LFD${index + 1}`)}`, 'steadfast_relaunches_total')).to.equal(1);
    expect(await metric(await adminUrl(client, 'C1'), 'steadfast_client_requests_total', { outcome: 'reply' })).to.be.greaterThan(4);
  });

  it('a bad --admin value is one line and exit status 2; a taken port is exit status 1', async () => {
    const cluster = await writeConfig({ cluster: { mode: 'passive' } });
    const bad = await runToExit(['rm', '--config', cluster.file, '--admin=nope']);
    expect(bad.exit.code).to.equal(2);
    expect(bad.role.stderr).to.deep.equal(["steadfast: --admin: not PORT or HOST:PORT: 'nope'"]);
    const first = startRole(['rm', '--config', cluster.file, '--admin', '127.0.0.1:0']);
    const url = await adminUrl(first, 'RM');
    const port = new URL(url).port;
    const second = await runToExit(['gfd', '--config', cluster.file, '--admin', `127.0.0.1:${port}`]);
    expect(second.exit.code).to.equal(1);
    expect(second.role.lines.some((l) => l.includes(`--admin: cannot serve on 127.0.0.1:${port}`))).to.equal(true);
  });
});
