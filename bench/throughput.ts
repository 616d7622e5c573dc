/**
 * Throughput and latency of request/reply for 1, 8 and 32 closed-loop clients, for passive `sync`,
 * passive `checkpoint` and active clusters, each point measured right after an echo baseline point
 * at the same concurrency, so that the echo is sampled all through the run; a point's ratio is to
 * the median echo at its concurrency.
 * On the passive `sync` cluster it also takes the roles' resident memory idle and under load, and a
 * primary's with 1,000 client connections. On the cluster with a data folder it also counts the
 * servers' `fdatasync`/`fsync` calls over each measured window (perf, `syscalls.ts`).
 */
import { readFileSync } from 'node:fs';
import { killAll, startRole, type Role } from '../test/support/processes.js';
import { makeCertificates, removeCertificates, type Certificates } from '../test/support/tls.js';
import { startCluster, WAIT_MS, type BenchCluster } from './cluster.js';
import { bodyOf, closedLoop, connect, readFrames, sleep, socketChannel, type Channel, type LoadResult } from './load.js';
import { cpuMs, ownCpuMs, rssMb, startEchoProcess, type EchoProcess } from './procs.js';
import { encodeFrame } from '../src/protocol/codec.js';
import { median, summarize, type Summary } from './stats.js';
import { countSyscalls, probeSyncCounting, type SyscallCounter } from './syscalls.js';

export interface ThroughputOptions {
  concurrency: number[];
  /** Unmeasured load before each point. */
  warmupMs: number;
  /**
   * Unmeasured load at the highest concurrency on each fresh cluster (and on the echo once) before
   * its first point: V8 compiles a role's hot paths only after many calls, and a cluster's
   * throughput climbs for its first 5–10 s of load (2–4× at 32 clients), the echo's for well under
   * one; without it the first points measure the compiler, not the steady state a service runs in.
   */
  jitWarmupMs: number;
  durationMs: number;
  /** Bytes of each request's string (the reply carries as many: the `status` app echoes it). */
  bodySize: number;
  /** Client connections held open for the memory figure. */
  manyClients: number;
  /** Only the configurations with these labels (default: every one). */
  configs?: readonly string[];
  /** The memory figures on the passive `sync` cluster (default true). */
  memory?: boolean;
  log: (line: string) => void;
}

interface BenchConfig {
  label: string;
  settings: Record<string, string>;
  /** Only these concurrencies (default: every one of the options). */
  concurrency?: readonly number[];
  /** The request string of request `num` (default: `bodyOf`, which the `status` app echoes). */
  body?: (bodySize: number, num: number) => string;
  /** Every connection over mutual TLS, the bench's clients' too (certificates made by openssl here). */
  tls?: boolean;
  /** Count the servers' fdatasync/fsync calls over each measured window (a cluster with a data folder). */
  countSyncs?: boolean;
}

/**
 * A `kv` put of about `bodySize` bytes to one of 16 keys: a realistic request of the built-in app
 * (parsed, stored in a map, answered in JSON), next to the echo's raw round trip.
 */
export function kvBody(bodySize: number, num: number): string {
  const head = `{"op":"put","key":"k${num % 16}","value":"`;
  return `${head}${bodyOf(Math.max(1, bodySize - head.length - 2), num)}"}`;
}

export const CONFIGS: readonly BenchConfig[] = [
  { label: 'passive sync', settings: { mode: 'passive', durability: 'sync' } },
  // `data_dir` resolves against the ini's folder, the run's temporary directory (on /tmp's disk):
  // every replica writes its log there and answers once it is durable.
  { label: 'passive sync data_dir', settings: { mode: 'passive', durability: 'sync', data_dir: 'data' }, countSyncs: true },
  { label: 'passive checkpoint', settings: { mode: 'passive', durability: 'checkpoint' } },
  { label: 'active', settings: { mode: 'active' } },
  { label: 'kv passive sync', settings: { mode: 'passive', durability: 'sync', app: 'kv' }, concurrency: [8, 32], body: kvBody },
  { label: 'passive sync TLS', settings: { mode: 'passive', durability: 'sync' }, concurrency: [8, 32], tls: true },
];

export interface LoadPoint {
  config: string;
  clients: number;
  completed: number;
  durationMs: number;
  throughput: number;
  latency: Summary;
  /** The median of the run's echo points at this concurrency (one before each cluster's point). */
  echoThroughput: number;
  /** throughput / echoThroughput: the headline figure. */
  ratio: number;
  /** throughput / the echo point measured just before this one. */
  pairedRatio: number;
  errors: string[];
  /** The RM's primary/sequencer and epoch before and after the point: a change means a failover (a role starved on a loaded machine) spoiled it. */
  epochBefore: number;
  epochAfter: number;
  /** CPU time (µs) each process used over the measured window per completed request: every role, and `load` (the clients). */
  cpu: Record<string, number>;
  /** Raw latencies (ms) of every request completed in the window. */
  samples: number[];
  /** On a cluster with a data folder: the servers' fdatasync/fsync calls over the measured window. */
  syncs?: SyncCount;
}

/** fdatasync + fsync calls of each server process over a point's measured window, counted by perf. */
export interface SyncCount {
  /** Calls by server label (`S1 (primary)`, …); null when they could not be counted (`error` says why). */
  calls: Record<string, number> | null;
  /** All the servers' calls over the requests completed in the window; NaN when not counted. */
  perRequest: number;
  error?: string;
}

export interface EchoPoint {
  /** Which cluster point it was paired with. */
  before: string;
  clients: number;
  completed: number;
  durationMs: number;
  throughput: number;
  latency: Summary;
  /** CPU µs per request of the echo server (`echo`) and of the clients (`load`). */
  cpu: Record<string, number>;
  samples: number[];
}

export interface MemoryFigures {
  /** MB resident, by role label (`RM`, `GFD`, `LFD1`, `S1 (primary)`, …, `client C1`). */
  idle: Record<string, number>;
  load: Record<string, number>;
  /** The primary before and while holding `connections` client connections. */
  manyClients: { connections: number; answered: number; errors: string[]; primaryIdleMb: number; primaryMb: number };
}

export interface ThroughputResult {
  settings: Record<string, Record<string, string | number>>;
  points: LoadPoint[];
  echo: EchoPoint[];
  memory: MemoryFigures | null;
  /** A configuration that broke off (a wait timed out): the points before it are kept. */
  errors: string[];
}

let pointId = 0;

/**
 * Runs one point; `pids` are the processes whose CPU time over the measured window is counted
 * (besides the load clients, this process), as µs a completed request.
 */
async function measure(
  open: (client: string) => Promise<Channel>,
  clients: number,
  opts: ThroughputOptions,
  pids: Record<string, number>,
  counter: SyscallCounter | null = null,
): Promise<LoadResult & { cpu: Record<string, number> }> {
  const id = ++pointId;
  const channels = await Promise.all(Array.from({ length: clients }, (_, i) => open(`B${id}x${i + 1}`)));
  const sample = () => ({ ...Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)])), load: ownCpuMs() });
  let start: Record<string, number> = {};
  let end: Record<string, number> = {};
  try {
    const r = await closedLoop(channels, opts.warmupMs, opts.durationMs, 1, (edge) => {
      // The perf counters go on and off with the window, so that calls and requests cover one span.
      if (edge === 'start') {
        counter?.enable();
        start = sample();
      } else {
        counter?.disable();
        end = sample();
      }
    });
    const cpu = Object.fromEntries(Object.keys(start).map((k) => [k, ((end[k]! - start[k]!) * 1000) / Math.max(1, r.completed)]));
    return { ...r, cpu };
  } finally {
    for (const c of channels) c.close();
  }
}

/** Closed-loop load for `ms`, nothing measured (`ThroughputOptions.jitWarmupMs`). */
async function jitWarmUp(open: (client: string) => Promise<Channel>, clients: number, ms: number): Promise<void> {
  if (ms <= 0) return;
  const channels = await Promise.all(Array.from({ length: clients }, (_, i) => open(`W${++pointId}x${i + 1}`)));
  try {
    await closedLoop(channels, ms, 0);
  } finally {
    for (const c of channels) c.close();
  }
}

function rolePids(cluster: BenchCluster, primary: string): Record<string, number> {
  const pids: Record<string, number> = { RM: cluster.rm.pid, GFD: cluster.gfd.pid };
  cluster.lfds.forEach((l, i) => (pids[`LFD${i + 1}`] = l.pid));
  for (const [server, pid] of [...cluster.pids].sort()) pids[`${server} (${server === primary ? 'primary' : 'backup'})`] = pid;
  return pids;
}

const rssOf = (pids: Record<string, number>) => Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, rssMb(pid)]));

/** Opens `n` connections to `port`, each sends one request under its own client name; resolves with the answered count. */
async function holdConnections(
  port: number,
  server: string,
  n: number,
): Promise<{ sockets: import('node:net').Socket[]; answered: number; errors: string[] }> {
  const sockets: import('node:net').Socket[] = [];
  const errors: string[] = [];
  let answered = 0;
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => connect(port)));
    sockets.push(...batch);
  }
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, WAIT_MS);
    sockets.forEach((s, i) => {
      s.on('error', () => {});
      readFrames(
        s,
        (f) => {
          if (f.kind === 'error') errors.push(`${f.name}: ${f.message}`);
          if (f.kind === 'reply' && ++answered === n) {
            clearTimeout(timer);
            resolve();
          }
        },
        (reason) => errors.push(reason),
      );
      s.write(encodeFrame({ kind: 'request', client: `K${i + 1}`, server, num: 1, body: `k${i + 1}` }));
    });
  });
  return { sockets, answered, errors };
}

export async function runThroughput(opts: ThroughputOptions): Promise<ThroughputResult> {
  const echo: EchoProcess = await startEchoProcess();
  const highest = Math.max(...opts.concurrency);
  await jitWarmUp((name) => socketChannel([{ server: 'E', port: echo.port }], name, opts.bodySize), highest, opts.jitWarmupMs);
  const points: LoadPoint[] = [];
  const echoPoints: EchoPoint[] = [];
  const settings: ThroughputResult['settings'] = {};
  let memory: MemoryFigures | null = null;
  const errors: string[] = [];
  try {
    for (const config of CONFIGS.filter((c) => opts.configs?.includes(c.label) ?? true)) {
      await runConfig(config).catch((err: Error) => {
        const first = (err.stack ?? err.message).split('\n').slice(0, 8).join('\n');
        errors.push(`${config.label}: ${first}`);
        opts.log(`  ${config.label} broke off: ${first}`);
      });
      await killAll();
    }
  } finally {
    await echo.stop();
  }
  async function runConfig(config: BenchConfig): Promise<void> {
    const certs = config.tls ? makeCertificates() : null;
    try {
      await runCluster(config, certs);
    } finally {
      if (certs) removeCertificates(certs);
    }
  }
  async function runCluster(config: BenchConfig, certs: Certificates | null): Promise<void> {
    const pem = (f: string) => readFileSync(f, 'utf8');
    const tls = certs ? { cert: pem(certs.cert), key: pem(certs.key), ca: pem(certs.ca) } : null;
    const tlsKeys: Record<string, string> = certs ? { tls_cert: certs.cert, tls_key: certs.key, tls_ca: certs.ca } : {};
    const cluster = await startCluster({ ...config.settings, ...tlsKeys }, { C1: { interval: 1, message: 'c1_' }, C2: { interval: 0.001, message: 'c2_' } }, tls);
    settings[config.label] = cluster.settings;
    const status = await cluster.status();
    const servers = [...status.phases.keys()].sort();
    const targets =
      config.settings.mode === 'active'
        ? servers.map((s) => ({ server: s, port: cluster.config.server(s).port }))
        : [{ server: status.primary, port: cluster.config.server(status.primary).port }];
    const pids = rolePids(cluster, status.primary);
    const memoryHere = config.label === 'passive sync' && (opts.memory ?? true);
    let idle: Record<string, number> = {};
    let client: Role | null = null;
    if (memoryHere) {
      client = startRole(['client', '--name', 'C1', ...cluster.args]);
      await sleep(2000);
      idle = { ...rssOf(pids), 'client C1': rssMb(client.pid) };
    }
    await jitWarmUp((name) => socketChannel(targets, name, opts.bodySize, config.body, tls), highest, opts.jitWarmupMs);
    let load: Record<string, number> = {};
    for (const clients of opts.concurrency.filter((n) => config.concurrency?.includes(n) ?? true)) {
      const e = await measure((name) => socketChannel([{ server: 'E', port: echo.port }], name, opts.bodySize), clients, opts, { echo: echo.pid });
      echoPoints.push({
        before: `${config.label} ${clients}`,
        clients,
        completed: e.completed,
        durationMs: e.durationMs,
        throughput: e.throughput,
        latency: summarize(e.latencies),
        cpu: e.cpu,
        samples: e.latencies,
      });
      // The memory under load is sampled halfway through the measured window of the last point.
      const sampleLoad =
        memoryHere && clients === opts.concurrency.at(-1)
          ? sleep(opts.warmupMs + opts.durationMs / 2).then(() => (load = rssOf(pids)))
          : Promise.resolve();
      const epochBefore = (await cluster.status()).epoch;
      const counting = config.countSyncs ? await syncCounter(cluster, status.primary) : null;
      const r = await measure((name) => socketChannel(targets, name, opts.bodySize, config.body, tls), clients, opts, pids, counting?.counter ?? null);
      const syncs = counting ? await syncCount(counting, r.completed) : undefined;
      await sampleLoad;
      const epochAfter = (await cluster.status()).epoch;
      const point: LoadPoint = {
        config: config.label,
        clients,
        completed: r.completed,
        durationMs: r.durationMs,
        throughput: r.throughput,
        latency: summarize(r.latencies),
        echoThroughput: e.throughput,
        ratio: r.throughput / e.throughput,
        pairedRatio: r.throughput / e.throughput,
        errors: r.errors.slice(0, 20),
        epochBefore,
        epochAfter,
        cpu: r.cpu,
        samples: r.latencies,
        ...(syncs && { syncs }),
      };
      points.push(point);
      opts.log(
        `  ${config.label}, ${clients} clients: ${point.throughput.toFixed(0)} req/s (echo just before ${e.throughput.toFixed(0)}, ` +
          `${(point.pairedRatio * 100).toFixed(0)} %), p50 ${point.latency.p50.toFixed(2)} ms, p99 ${point.latency.p99.toFixed(2)} ms` +
          (syncs ? `, ${fmtSyncs(syncs)}` : '') +
          (r.errors.length > 0 ? `, ${r.errors.length} errors (first: ${r.errors[0]})` : '') +
          (epochAfter !== epochBefore ? `, EPOCH CHANGED ${epochBefore} → ${epochAfter} (a failover during the point)` : ''),
      );
    }
    if (memoryHere) {
      // A `steadfast client` under load: sending every millisecond for two seconds.
      const busy = startRole(['client', '--name', 'C2', ...cluster.args]);
      await sleep(2000);
      load['client C2 (1 ms interval)'] = rssMb(busy.pid);
      load['client C1'] = rssMb(client!.pid);
      const primary = (await cluster.status()).primary;
      const primaryIdleMb = rssMb(cluster.pids.get(primary)!);
      const held = await holdConnections(cluster.config.server(primary).port, primary, opts.manyClients);
      await sleep(500);
      const primaryMb = rssMb(cluster.pids.get(primary)!);
      for (const s of held.sockets) s.destroy();
      memory = { idle, load, manyClients: { connections: opts.manyClients, answered: held.answered, errors: held.errors.slice(0, 20), primaryIdleMb, primaryMb } };
      opts.log(
        `  memory: idle ${fmtMem(idle)}; under load ${fmtMem(load)}; primary with ${opts.manyClients} connections ` +
          `${primaryMb.toFixed(0)} MB (${held.answered} answered${held.errors.length > 0 ? `, ${held.errors.length} errors, first: ${held.errors[0]}` : ''})`,
      );
    }
  }
  // One slow echo point (the machine busy elsewhere for a moment) would make its pair look good:
  // the ratio is to the median of the echo points at that concurrency, spread over the run.
  for (const p of points) {
    const tputs = echoPoints.filter((e) => e.clients === p.clients).map((e) => e.throughput);
    p.echoThroughput = median(tputs);
    p.ratio = p.throughput / p.echoThroughput;
  }
  return { settings, points, echo: echoPoints, memory, errors };
}

/** A counter attached to each server, or why there is none (perf missing, not allowed, or failing here). */
async function syncCounter(cluster: BenchCluster, primary: string): Promise<{ counter: SyscallCounter | null; error?: string }> {
  const unusable = await probeSyncCounting();
  if (unusable !== null) return { counter: null, error: unusable };
  const servers = Object.fromEntries(Object.entries(rolePids(cluster, primary)).filter(([k]) => /^S\d+ /.test(k)));
  try {
    return { counter: await countSyscalls(servers) };
  } catch (err) {
    return { counter: null, error: (err as Error).message };
  }
}

async function syncCount(counting: { counter: SyscallCounter | null; error?: string }, completed: number): Promise<SyncCount> {
  if (!counting.counter) return { calls: null, perRequest: NaN, error: counting.error ?? 'not counted' };
  try {
    const calls = await counting.counter.finish();
    const total = Object.values(calls).reduce((a, b) => a + b, 0);
    return { calls, perRequest: total / Math.max(1, completed) };
  } catch (err) {
    return { calls: null, perRequest: NaN, error: (err as Error).message };
  }
}

function fmtSyncs(s: SyncCount): string {
  if (!s.calls) return `fsyncs not counted (${s.error})`;
  return `${s.perRequest.toFixed(3)} fsyncs a request (${Object.entries(s.calls).map(([k, n]) => `${k} ${n}`).join(', ')})`;
}

function fmtMem(m: Record<string, number>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k} ${v.toFixed(0)}`)
    .join(', ');
}
