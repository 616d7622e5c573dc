/**
 * The HTTP example (`examples/kv-http/server.mjs`) end to end, every piece a real process: a passive
 * `kv` cluster (RM, GFD, LFD1-3 launching S1-S3), the example server as a child process, and `curl`
 * for every HTTP call, with kill -9 of the primary while the calls go on.
 *
 * Each lane of calls works on its own keys one call after another (PUT, GET, overwrite, DELETE), so
 * what the store must hold at the end follows from the calls' answers alone. The replicas' final
 * maps are compared with it: an acknowledged PUT that went missing, or a request applied twice (an
 * old PUT applied again after the overwrite or the DELETE that followed it), makes them differ.
 */
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { freePorts, killAllAndCheck, queryStatus, Role, ROOT, startRole, until, waitForLine, withTimeout, writeConfig, type TestCluster } from '../support/processes.js';

const T = 15_000;
const SERVER = path.join(ROOT, 'examples', 'kv-http', 'server.mjs');
const CURL = '/usr/bin/curl';

interface HttpResult {
  status: number;
  body: string;
}

/** One `curl` call; resolves with the status and body (HTTP errors too), rejects only if curl fails. */
function curl(method: string, url: string, body?: string): Promise<HttpResult> {
  const args = ['-sS', '--max-time', '20', '-X', method, '-o', '-', '-w', '\n%{http_code}'];
  // `--data-binary @x` would read a file: the test's values never start with `@`.
  if (body !== undefined) args.push('-H', 'content-type: text/plain', '--data-binary', body);
  args.push(url);
  return new Promise((resolve, reject) => {
    execFile(CURL, args, { timeout: 25_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`curl ${method} ${url}: ${err.message} ${stderr}`));
      const cut = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) });
    });
  });
}

/** The example servers this test started (the harness's teardown knows only `startRole` roles). */
const httpServers: Role[] = [];

function startHttp(configFile: string, port: number, extra: string[] = []): Role {
  const child = spawn(process.execPath, [SERVER, '--config', configFile, '--port', String(port), ...extra], {
    cwd: path.dirname(configFile),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const role = new Role('kv-http server', child);
  httpServers.push(role);
  return role;
}

async function stopHttpServers(): Promise<void> {
  const roles = httpServers.splice(0);
  for (const r of roles) if (r.exit === null) process.kill(r.pid, 'SIGKILL');
  await Promise.all(roles.map((r) => withTimeout(r.closed, 5000, () => `kv-http server (pid ${r.pid}) did not die`)));
}

async function startCluster(): Promise<{ cluster: TestCluster; rm: Role }> {
  const cluster = await writeConfig({ cluster: { mode: 'passive', app: 'kv' } });
  const run = (args: string[]) => startRole([...args, '--config', cluster.file], { cwd: cluster.dir });
  const rm = run(['rm']);
  run(['gfd']);
  for (let i = 1; i <= 3; i++) run(['lfd', '--name', `LFD${i}`]);
  await waitForLine(rm, /RM: 3 members: S1, S2, S3/, T);
  await waitForLine(rm, /RM: primary is S\d/, T);
  return { cluster, rm };
}

async function primaryOf(cluster: TestCluster): Promise<{ name: string; pid: number }> {
  let found: { name: string; pid: number } | undefined;
  await until(
    async () => {
      for (const s of cluster.servers) {
        const st = await queryStatus(s.port, s.name).catch(() => null);
        if (st?.role === 'primary' && st.phase === 'ready') found = { name: s.name, pid: st.pid };
      }
      return found !== undefined;
    },
    T,
    () => 'no serving primary',
  );
  return found!;
}

/** Runs `tasks` with at most `limit` at a time. */
async function inParallel<T>(limit: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

describe('e2e: examples/kv-http (HTTP in front of a kv cluster, driven by curl)', function () {
  this.timeout(60_000);
  afterEach(async () => {
    await stopHttpServers();
    await killAllAndCheck();
  });

  it('loses nothing and applies nothing twice through kill -9 of the primary', async () => {
    const { cluster, rm } = await startCluster();
    const [httpPort] = await freePorts(1);
    const CLIENTS = 4;
    const http = startHttp(cluster.file, httpPort!, ['--clients', String(CLIENTS), '--name', 'web', '--timeout', '15']);
    await waitForLine(http, /kv-http listening on http:\/\/127\.0\.0\.1:\d+/, T);
    const base = `http://127.0.0.1:${httpPort}/keys/`;

    const victim = await primaryOf(cluster);
    const LANES = 4;
    const KEYS = 8;
    // What the store must hold, from the answers; and every call's outcome, for the failure message.
    const expected = new Map<string, string>();
    const calls: string[] = [];
    let done = 0;
    let doneAtKill = -1;
    const call = async (method: string, key: string, want: number, body?: string): Promise<HttpResult> => {
      const r = await curl(method, base + encodeURIComponent(key), body);
      calls.push(`${method} ${key} ${body ?? ''} -> ${r.status} ${r.body}`);
      expect(r.status, `${method} ${key}: ${r.body}`).to.equal(want);
      done++;
      // kill -9 of the primary about a third of the way in: calls are in flight on every lane.
      if (doneAtKill < 0 && done >= 30) {
        doneAtKill = done;
        process.kill(victim.pid, 'SIGKILL');
      }
      return r;
    };

    const lane = async (l: number) => {
      for (let i = 0; i < KEYS; i++) {
        const key = `l${l}/k${String(i).padStart(2, '0')}`;
        const v1 = `v1 of ${key} ü`;
        await call('PUT', key, 204, v1);
        expected.set(key, v1);
        expect((await call('GET', key, 200)).body, `GET ${key} after its PUT`).to.equal(v1);
        if (i % 3 === 0) {
          const v2 = `v2 of ${key}`;
          await call('PUT', key, 204, v2);
          expected.set(key, v2);
          expect((await call('GET', key, 200)).body).to.equal(v2);
        }
        if (i % 4 === 1) {
          await call('DELETE', key, 204);
          expected.delete(key);
          await call('GET', key, 404);
        }
      }
    };
    await Promise.all(Array.from({ length: LANES }, (_, l) => lane(l)));
    const total = done;
    expect(doneAtKill, 'the primary was killed').to.be.greaterThan(0);
    expect(total - doneAtKill, 'calls after the kill').to.be.greaterThan(50);
    await waitForLine(rm, new RegExp(`RM: primary is (?!${victim.name})`), T);

    // Every key read back through HTTP once more, absent ones included.
    const keys = Array.from({ length: LANES * KEYS }, (_, n) => `l${Math.floor(n / KEYS)}/k${String(n % KEYS).padStart(2, '0')}`);
    const readBack = async (key: string) => {
      const r = await call('GET', key, expected.has(key) ? 200 : 404);
      if (expected.has(key)) expect(r.body, `final GET ${key}`).to.equal(expected.get(key));
    };
    await inParallel(8, keys.map((key) => () => readBack(key)));
    const requests = done;

    // The replicas, the relaunched one included, all hold exactly the map the answers imply.
    const want = JSON.stringify([...expected.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let states: string[] = [];
    await until(
      async () => {
        const all = await Promise.all(cluster.servers.map((s) => queryStatus(s.port, s.name).catch(() => null)));
        if (all.some((s) => s === null || s.phase !== 'ready')) return false;
        states = all.map((s) => s!.state);
        return states.every((s) => s === want);
      },
      T,
      () => `replicas do not hold the expected map:\n  want ${want}\n${states.map((s, i) => `  ${cluster.servers[i]!.name}  ${s}`).join('\n')}\n  calls:\n    ${calls.join('\n    ')}`,
    );

    // Every HTTP call was one numbered request of one of the pool's clients, none skipped or repeated:
    // the clients' last numbers add up to the number of calls.
    for (const s of cluster.servers) {
      const table = (await queryStatus(s.port, s.name)).clients;
      // The pool hands out whichever client is free: not every one need have been used.
      const names = [...table.keys()];
      expect(names, `${s.name}'s client table`).to.not.be.empty;
      expect(Array.from({ length: CLIENTS }, (_, i) => `web-${i + 1}`), `${s.name}'s client table`).to.include.members(names);
      const sum = names.reduce((n, name) => n + table.get(name)!.num, 0);
      expect(sum, `${s.name}: requests numbered`).to.equal(requests);
    }
  });

  it('answers 503 (not applied) when the cluster is down, 400/404/405 for bad requests; refuses a non-kv cluster; stops on SIGTERM', async () => {
    // A cluster file whose processes nobody started.
    const cluster = await writeConfig({ cluster: { mode: 'passive', app: 'kv' } });
    const [httpPort] = await freePorts(1);
    const http = startHttp(cluster.file, httpPort!, ['--timeout', '0.5']);
    await waitForLine(http, /kv-http listening on/, T);
    const base = `http://127.0.0.1:${httpPort}`;

    const get = await curl('GET', `${base}/keys/a`);
    expect(get.status).to.equal(503);
    expect(get.body).to.match(/not applied/);
    expect((await curl('PUT', `${base}/keys/a`, 'x')).status).to.equal(503);
    expect((await curl('POST', `${base}/keys/a`, 'x')).status).to.equal(405);
    expect((await curl('GET', `${base}/elsewhere`)).status).to.equal(404);
    expect((await curl('GET', `${base}/keys/%zz`)).status).to.equal(400);

    const stopping = http.mark();
    process.kill(http.pid, 'SIGTERM');
    const exit = await withTimeout(http.closed, 5000, () => `no exit after SIGTERM\n${http.tail()}`);
    expect(exit, http.tail()).to.deep.equal({ code: 0, signal: null });
    await waitForLine(http, /SIGTERM, stopping/, 1000, stopping);
    expect(http.stderr.join('\n')).to.not.match(/Error:|at .*\.m?js:\d+/);

    // A cluster of another app: refused at start, exit 2, one line naming the file and the app.
    const logIni = path.join(cluster.dir, 'log.ini');
    writeFileSync(logIni, `[cluster]\napp = log\n\n[rm]\nhost = 127.0.0.1\nport = ${cluster.rmPort}\n\n[gfd]\nhost = 127.0.0.1\nport = ${cluster.gfdPort}\n\n[server.S1]\nhost = 127.0.0.1\nport = ${cluster.servers[0]!.port}\npeer_port = ${cluster.servers[0]!.peerPort}\n`);
    const wrong = startHttp(logIni, httpPort!);
    const wrongExit = await withTimeout(wrong.closed, 5000, () => `no exit for a log cluster\n${wrong.tail()}`);
    expect(wrongExit.code, wrong.tail()).to.equal(2);
    expect(wrong.stderr.join('\n')).to.match(/log\.ini: \[cluster\] app is log, not kv/);
  });
});
