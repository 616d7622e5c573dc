/**
 * Failover timing with real processes at the DEFAULT settings (heartbeat_freq 1, heartbeat_timeout 3,
 * checkpoint_freq 5, durability sync, passive), on free local ports via a temporary config.
 *
 *   npx tsx bench/failover.ts [--trials N]        (build first: npx tsc -p tsconfig.json)
 *
 * Each trial kills (kill -9) whichever server is the primary at that moment and measures, from the
 * moment the SIGKILL was sent (performance.now() here, not the roles' one-second `[HH:MM:SS]` stamps):
 *   (a) client   the first reply from the new primary at a client sending every 0.05 s;
 *       gap      the client's silence: its last reply before the kill → its first one after;
 *   (b) ready    the relaunched replica's `Sx is ready [passive] [backup]` line;
 *       rm-ready the RM's status showing it `ready` (polled every 20 ms);
 * and, for the breakdown, the LFD's `failed`, the RM's `primary is`, the new primary's `is ready
 * [passive] [primary]` and the LFD's `launching`. Every line's arrival is stamped as it is read.
 *
 * The kill comes at a random moment (0–200 ms) after a reply from the primary.
 *
 * Between trials the cluster settles (all three ready, then 2 × heartbeat_timeout + 1.5 s), so that
 * the LFDs' restart-storm guard (a server that dies again before running 2 × heartbeat_timeout is
 * started only after a delay) never applies: this measures the ordinary relaunch.
 *
 * Raw samples go to bench/results/failover.json; a table goes to standard output. Everything is
 * bounded (each wait, and the whole run) and every process started is killed by pid at the end.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  ROOT,
  closeRawConns,
  connectRaw,
  fields,
  killAll,
  launchedPid,
  startRole,
  waitForLine,
  waitForLineWhere,
  writeConfig,
  type Role,
} from '../test/e2e/harness.js';

const DEFAULTS = { heartbeat_freq: 1, heartbeat_timeout: 3, checkpoint_freq: 5, durability: 'sync', mode: 'passive', app: 'log' };
const CLIENT_INTERVAL_S = 0.05;
/** Bound on one awaited line. */
const WAIT_MS = 30_000;
/** Bound on the whole run. */
const RUN_LIMIT_MS = 20 * 60_000;
const SETTLE_MS = 2 * DEFAULTS.heartbeat_timeout * 1000 + 1500;

const trialsArg = process.argv.indexOf('--trials');
const TRIALS = trialsArg >= 0 ? Number(process.argv[trialsArg + 1]) : 12;
if (!Number.isInteger(TRIALS) || TRIALS < 1) throw new Error('--trials: a positive whole number');

/** Arrival time (performance.now()) of every line of a role, index for index with `role.lines`. */
const stamps = new Map<Role, number[]>();
function stamp(role: Role): Role {
  const times: number[] = [];
  stamps.set(role, times);
  role.watch(() => {
    const now = performance.now();
    while (times.length < role.lines.length) times.push(now);
  });
  return role;
}
function at(role: Role, index: number): number {
  const t = stamps.get(role)?.[index];
  if (t === undefined) throw new Error(`no stamp for line ${index} of ${role.label}`);
  return t;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RmStatus {
  primary: string;
  epoch: number;
  phases: Map<string, string>;
}

async function rmStatus(port: number): Promise<RmStatus> {
  const conn = await connectRaw(port, 2000, 'RM');
  try {
    conn.sendText('<ops, RM, status>\n');
    const frame = (await conn.readFramesUntil(/, status>$/, 2000)).at(-1)!;
    const f = fields(frame);
    const phases = new Map<string, string>();
    for (const item of f[4] === '' ? [] : f[4]!.split(';')) {
      const [name, phase] = item.split(':');
      phases.set(name!, phase!);
    }
    return { primary: f[2]!, epoch: Number(f[3]), phases };
  } finally {
    conn.close();
  }
}

async function untilTrue(cond: () => Promise<boolean>, timeoutMs: number, what: string, everyMs = 20): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await cond().catch(() => false)) return performance.now();
    if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(everyMs);
  }
}

const RECEIVED = /Received <C1, (S\d), (\d+), reply>$/;

interface Trial {
  trial: number;
  victim: string;
  victimPid: number;
  newPrimary: string;
  relaunchedPid: number;
  /** Milliseconds after the SIGKILL was sent. */
  lfdFailedMs: number;
  rmPrimaryMs: number;
  newPrimaryReadyMs: number;
  clientFirstReplyMs: number;
  /** Milliseconds between the client's last reply before the kill and its first after. */
  clientGapMs: number;
  launchingMs: number;
  relaunchedReadyMs: number;
  rmShowsReadyMs: number;
  restartDelayNote: boolean;
}

async function main(): Promise<void> {
  const cluster = await writeConfig({ cluster: DEFAULTS, clients: { C1: { interval: CLIENT_INTERVAL_S, message: 'c1_' } } });
  const cfg = ['--config', cluster.file, '--log-level', 'info'];
  const rm = stamp(startRole(['rm', ...cfg]));
  await waitForLine(rm, /RM: 0 members$/, WAIT_MS);
  const lfds = [1, 2, 3].map((i) => stamp(startRole(['lfd', '--name', `LFD${i}`, ...cfg])));
  const pids = new Map<string, number>();
  await Promise.all(lfds.map(async (lfd, i) => pids.set(`S${i + 1}`, await launchedPid(lfd, `S${i + 1}`, WAIT_MS))));
  for (const [i, lfd] of lfds.entries()) await waitForLine(lfd, new RegExp(`S${i + 1} started on `), WAIT_MS);
  stamp(startRole(['gfd', ...cfg]));
  await waitForLine(rm, /RM: 3 members: S1, S2, S3$/, WAIT_MS);
  await untilTrue(async () => [...(await rmStatus(cluster.rmPort)).phases.values()].every((p) => p === 'ready'), WAIT_MS, 'all ready');
  const client = stamp(startRole(['client', '--name', 'C1', ...cfg]));
  await waitForLine(client, RECEIVED, WAIT_MS);
  console.error(`cluster up (config ${cluster.file}); ${TRIALS} trials, ~${Math.round((SETTLE_MS + 4000) / 1000)} s each`);

  const trials: Trial[] = [];
  for (let trial = 1; trial <= TRIALS; trial++) {
    const status = await rmStatus(cluster.rmPort);
    const victim = status.primary;
    const v = Number(victim.slice(1)) - 1;
    const lfd = lfds[v]!;
    const victimPid = pids.get(victim)!;
    // Steady state: the client is getting replies from this primary.
    await waitForLineWhere(client, RECEIVED, (m) => m[1] === victim, WAIT_MS, client.mark());
    // Kill at a random moment of the client's cycle, not right after a reply.
    await sleep(Math.random() * 200);
    const marks = { rm: rm.mark(), lfd: lfd.mark(), client: client.mark(), lfds: lfds.map((l) => l.mark()) };
    let lastBefore = -1;
    for (let i = marks.client - 1; i >= 0 && lastBefore < 0; i--) if (RECEIVED.test(client.lines[i]!)) lastBefore = at(client, i);

    const t0 = performance.now();
    process.kill(victimPid, 'SIGKILL');

    const failed = await waitForLine(lfd, new RegExp(`: ${victim} failed \\(`), WAIT_MS, marks.lfd);
    const primaryLine = await waitForLine(rm, /RM: primary is (S\d)$/, WAIT_MS, marks.rm);
    const newPrimary = primaryLine.match[1]!;
    const np = Number(newPrimary.slice(1)) - 1;
    const npReady = await waitForLine(lfds[np]!, new RegExp(`${newPrimary} is ready \\[passive\\] \\[primary\\]`), WAIT_MS, marks.lfds[np]);
    const firstReply = await waitForLineWhere(client, RECEIVED, (m) => m[1] === newPrimary, WAIT_MS, marks.client);
    const launching = await waitForLine(lfd, new RegExp(`launching ${victim} \\(pid (\\d+)\\)`), WAIT_MS, marks.lfd);
    const relaunchedPid = Number(launching.match[1]);
    pids.set(victim, relaunchedPid);
    // Polled from the launch on, concurrently with waiting for the line.
    const rmReady = untilTrue(async () => (await rmStatus(cluster.rmPort)).phases.get(victim) === 'ready', WAIT_MS, `RM shows ${victim} ready`);
    const ready = await waitForLine(lfd, new RegExp(`${victim} is ready \\[passive\\] \\[backup\\]`), WAIT_MS, marks.lfd);
    const rmReadyAt = await rmReady;

    const sample: Trial = {
      trial,
      victim,
      victimPid,
      newPrimary,
      relaunchedPid,
      lfdFailedMs: at(lfd, failed.index) - t0,
      rmPrimaryMs: at(rm, primaryLine.index) - t0,
      newPrimaryReadyMs: at(lfds[np]!, npReady.index) - t0,
      clientFirstReplyMs: at(client, firstReply.index) - t0,
      clientGapMs: at(client, firstReply.index) - lastBefore,
      launchingMs: at(lfd, launching.index) - t0,
      relaunchedReadyMs: at(lfd, ready.index) - t0,
      rmShowsReadyMs: rmReadyAt - t0,
      restartDelayNote: lfd.lines.slice(marks.lfd).some((l) => /died \d+ times in a row/.test(l)),
    };
    trials.push(sample);
    console.error(
      `trial ${trial}: kill ${victim} → ${newPrimary} primary; client first reply ${sample.clientFirstReplyMs.toFixed(0)} ms ` +
        `(gap ${sample.clientGapMs.toFixed(0)} ms); ${victim} ready again ${sample.relaunchedReadyMs.toFixed(0)} ms`,
    );
    if (trial < TRIALS) {
      await untilTrue(async () => [...(await rmStatus(cluster.rmPort)).phases.values()].every((p) => p === 'ready'), WAIT_MS, 'all ready');
      await sleep(SETTLE_MS);
    }
  }

  // Summary.
  const metrics: [keyof Trial, string][] = [
    ['lfdFailedMs', 'kill → LFD prints failed'],
    ['rmPrimaryMs', 'kill → RM: primary is X'],
    ['newPrimaryReadyMs', 'kill → new primary is ready'],
    ['clientFirstReplyMs', '(a) kill → client reply from new primary'],
    ['clientGapMs', '(a) client gap: last reply → next reply'],
    ['launchingMs', 'kill → LFD launching the victim'],
    ['relaunchedReadyMs', '(b) kill → relaunched is ready [backup]'],
    ['rmShowsReadyMs', '(b) kill → RM status shows it ready'],
  ];
  const quantile = (xs: number[], q: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  };
  const rows = metrics.map(([key, label]) => {
    const xs = trials.map((t) => t[key] as number);
    return { metric: label, n: xs.length, p50: quantile(xs, 0.5), p90: quantile(xs, 0.9), max: Math.max(...xs), min: Math.min(...xs) };
  });
  const w = Math.max(...rows.map((r) => r.metric.length));
  const num = (x: number) => x.toFixed(0).padStart(7);
  console.log(`failover at the default settings (heartbeat 1 s / timeout 3 s / checkpoint 5 s, sync, passive), ${trials.length} trials, ms`);
  console.log(`${'metric'.padEnd(w)}  ${'min'.padStart(7)}${'p50'.padStart(7)}${'p90'.padStart(7)}${'max'.padStart(7)}`);
  for (const r of rows) console.log(`${r.metric.padEnd(w)}  ${num(r.min)}${num(r.p50)}${num(r.p90)}${num(r.max)}`);

  const out = path.join(ROOT, 'bench', 'results', 'failover.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify(
      {
        when: new Date().toISOString(),
        node: process.version,
        settings: { ...DEFAULTS, client_interval: CLIENT_INTERVAL_S, settle_ms: SETTLE_MS },
        unit: 'ms after the SIGKILL was sent (clientGapMs: between two client replies)',
        summary: rows,
        trials,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`raw samples: ${path.relative(process.cwd(), out)}`);
}

let exitCode = 0;
const limit = setTimeout(() => {
  console.error(`bench: over the ${RUN_LIMIT_MS / 60_000} min limit, stopping`);
  void shutdown(1);
}, RUN_LIMIT_MS);

let shuttingDown = false;
async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  clearTimeout(limit);
  closeRawConns();
  const alive = await killAll();
  if (alive.length > 0) console.error(`bench: still alive after teardown: ${alive.join(', ')}`);
  process.exit(alive.length > 0 ? 1 : code);
}
process.once('SIGINT', () => void shutdown(130));
process.once('SIGTERM', () => void shutdown(143));

main().then(
  () => shutdown(exitCode),
  (err: Error) => {
    console.error(`bench failed: ${err.stack ?? err.message}`);
    exitCode = 1;
    void shutdown(1);
  },
);
