/**
 * `npm run bench`: what replication costs when nothing fails and what a failure costs, with real
 * processes over loopback. Prints one table; writes bench/results/latest.json (raw samples, trial
 * counts, settings, machine) and the SVG charts beside it. See bench/README.md.
 *
 *   npm run bench [-- --quick] [--only throughput|failover|durable|takeover] [--out DIR]
 *
 * `--only durable`: the data folder's points (throughput beside plain passive sync, fsyncs per
 * request, whole-cluster restarts). `--only takeover`: standby RMs and GFDs through a local etcd (kill -9
 * of the leading RM, alone and with the primary, and of the leading GFD with the primary); in the full run where etcd is installed.
 *
 * Build first (`npm run bench` does): the roles run the compiled CLI. Every process started is
 * killed by pid at the end, and the whole run is bounded.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { closeRawConns, killAll, requireBuilt, ROOT } from '../test/support/processes.js';
import { killEchoServers } from './procs.js';
import { runFailover, type FailoverOptions } from './failover.js';
import { failoverSvg, latencySvg, table, toJson, type BenchResults } from './report.js';
import { runRestart, type RestartOptions } from './restart.js';
import { killSyscallCounters } from './syscalls.js';
import { runThroughput, type ThroughputOptions } from './throughput.js';
import { runTakeover } from './takeover.js';
import { haveEtcd } from '../src/coordination/local-etcd.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
  },
});
const quick = values.quick!;
const only = values.only;
if (only !== undefined && !['throughput', 'failover', 'durable', 'takeover'].includes(only)) {
  console.error(`bench: --only takes throughput, failover, durable or takeover, not '${only}'`);
  process.exit(2);
}
const outDir = values.out ?? path.join(ROOT, 'bench', 'results');
const RUN_LIMIT_MS = (quick ? 5 : 20) * 60_000;
const log = (line: string) => console.error(line);

const throughputOptions: Omit<ThroughputOptions, 'log'> = {
  concurrency: [1, 8, 32],
  warmupMs: quick ? 300 : 1000,
  jitWarmupMs: quick ? 1000 : 8000,
  durationMs: quick ? 1000 : 3000,
  bodySize: 32,
  manyClients: 1000,
};
const failoverOptions: Omit<FailoverOptions, 'log'> = {
  crashTrials: quick ? 3 : 20,
  drainTrials: quick ? 3 : 20,
  hangTrials: quick ? 2 : 20,
  bigTrials: quick ? 1 : 6,
  loadClients: 8,
  bodySize: 32,
  bigEntries: 100,
  bigEntryBytes: 100_000,
};
const restartOptions: Omit<RestartOptions, 'log'> = {
  trials: quick ? 2 : 5,
  states: [
    { label: 'small', entries: 100, entryBytes: 32 },
    // 100 KB requests: well within max_frame (1 MiB, the client port's limit); the 10 MB
    // checkpoints go over the peer links, whose limit is max_state_frame (64 MiB).
    { label: '10 MB', entries: 100, entryBytes: 100_000 },
  ],
};
/** `--only durable`: the data folder's configuration, and plain passive sync measured beside it in the same run. */
const DURABLE_CONFIGS = ['passive sync', 'passive sync data_dir'];

async function main(): Promise<void> {
  requireBuilt();
  const started = Date.now();
  const loadStart = os.loadavg()[0]!;
  const results: BenchResults = {
    when: new Date().toISOString(),
    quick,
    durationS: 0,
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      loadStart,
      loadEnd: NaN,
    },
    options: { ...throughputOptions, ...failoverOptions, restartTrials: restartOptions.trials, restartStates: restartOptions.states },
    throughput: null,
    failover: null,
    restart: null,
    takeover: null,
  };
  if (only === undefined || only === 'throughput' || only === 'durable') {
    log('throughput and latency …');
    const durableOnly = only === 'durable' ? { configs: DURABLE_CONFIGS, memory: false } : {};
    results.throughput = await runThroughput({ ...throughputOptions, ...durableOnly, log });
  }
  if (only === undefined || only === 'failover') {
    log('failures …');
    results.failover = await runFailover({ ...failoverOptions, log });
  }
  if (only === undefined || only === 'durable') {
    log('whole-cluster restarts …');
    results.restart = await runRestart({ ...restartOptions, log });
  }
  if (only === 'takeover' || (only === undefined && haveEtcd())) {
    log('standby RMs and GFDs …');
    results.takeover = await runTakeover({ trials: quick ? 2 : 10, loadClients: 8, log });
  } else if (only === undefined) {
    log('standby RMs and GFDs: skipped, no etcd here (Debian package etcd-server)');
  }
  results.machine.loadEnd = os.loadavg()[0]!;
  results.durationS = Math.round((Date.now() - started) / 1000);

  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'latest.json'), toJson(results));
  if (results.throughput) writeFileSync(path.join(outDir, 'latency.svg'), latencySvg(results.throughput));
  if (results.failover && results.failover.crash.length > 0) writeFileSync(path.join(outDir, 'failover.svg'), failoverSvg(results.failover));
  console.log(table(results));
  console.log(`\n(${results.durationS} s; raw samples and charts in ${path.relative(process.cwd(), outDir) || '.'})`);
}

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
  killEchoServers();
  killSyscallCounters();
  const alive = await killAll();
  if (alive.length > 0) console.error(`bench: still alive after teardown: ${alive.join(', ')}`);
  process.exit(alive.length > 0 ? 1 : code);
}
process.once('SIGINT', () => void shutdown(130));
process.once('SIGTERM', () => void shutdown(143));

main().then(
  () => shutdown(0),
  (err: Error) => {
    console.error(`bench failed: ${err.stack ?? err.message}`);
    void shutdown(1);
  },
);
