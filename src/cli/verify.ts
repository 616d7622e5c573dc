/**
 * `steadfast verify`: a user's own app replicated by whole simulated clusters (every role's real
 * machine, one process, the deterministic simulator of `src/sim/`) under the simulator's faults, one
 * cluster per seed, and checked: the app audit (`deterministic`, `snapshot-restore`), the replicas'
 * agreement, linearizability with the app as its own model, and the framework's own invariants. A
 * failing seed is shrunk and printed with its trace and the command that replays it. Exit status
 * 0 every check held, 1 a check failed, 2 bad usage. See docs/verify.md.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { loadApp } from '../app/load.js';
import { loadConfig, parseOverrides } from '../config/load.js';
import { INVARIANTS, type Invariant } from '../sim/invariants.js';
import { campaign, type RunShared } from '../sim/pool.js';
import { failureReport, isFailure, type Summary } from '../sim/report.js';
import { describeConfig, FAULT_KINDS, replayFlags, runSeed, type RunOptions } from '../sim/run.js';
import { shrink, totalFaults } from '../sim/shrink.js';
import { UsageError, parse, positive, type Options } from './args.js';

export const VERIFY_HELP = `steadfast verify [--config FILE | --app PATH|NAME] [options]
Replicates the app on whole simulated clusters (RM, GFD, LFDs, servers, clients: the real machines on
a simulated network and clock, one cluster per seed) under crashes, hangs and restarts of every role,
dropped and slow links and partitions, and checks each run (docs/verify.md). Exit status 0 every
check held, 1 a check failed (the seed, shrunk, with its trace and the command that replays it),
2 bad usage.
  --config FILE       the app is the file's [cluster] app (default: ./cluster.ini, else the embedded one)
  --app PATH|NAME     the app: a module's path or package name, or log, kv, status
  --mode M            active, passive or both (default both: each seed draws one)
  --seeds N           how many seeds (default 100), from --first S (default 1)
  --seed S            run seed S alone and print its trace (a replay)
  --minutes M         simulated minutes a seed (default 5)
  --requests FILE     request lines the clients draw from (one a line), instead of the app's sample
  --workers W         threads (default: the machine's cores)
  --max-faults K      at most K faults a seed (a shrunk failure's replay)
  --max-requests N    clients stop after N requests (a shrunk failure's replay)
  -h, --help`;

/** What each check catches, as the summary names it (the app's own checks first). */
const CHECKS: [Invariant, string][] = [
  ['deterministic', 'a request on a state gives one reply and state, in any process, at any time'],
  ['snapshot-restore', 'restore(snapshot(s)) snapshots as s and answers as s'],
  ['replicas-equal', "the replicas' states (snapshots) and client tables agree once the cluster is quiet"],
  ['linearizable', "the clients' histories, with the app as its own model (passive sync and active)"],
  ['applied-once', 'no request applied twice (log; other apps: within linearizable)'],
];
const FRAMEWORK = INVARIANTS.filter((i) => !CHECKS.some(([c]) => c === i));

/** The flags of this command besides the common ones (docs/configuration.md lists them). */
export const VERIFY_OPTIONS = {
  config: { type: 'string' },
  app: { type: 'string' },
  mode: { type: 'string' },
  seeds: { type: 'string' },
  first: { type: 'string' },
  seed: { type: 'string' },
  minutes: { type: 'string' },
  requests: { type: 'string' },
  workers: { type: 'string' },
  'max-faults': { type: 'string' },
  'max-requests': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export async function verifyCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, VERIFY_OPTIONS, false, false);
  if (values.help) {
    console.log(VERIFY_HELP);
    return 0;
  }
  const mode = values.mode ?? 'both';
  if (mode !== 'active' && mode !== 'passive' && mode !== 'both') throw new UsageError(`--mode: not active, passive or both: '${mode}'`);
  const config = loadConfig({ path: values.config, overrides: parseOverrides({ app: values.app }) });
  const spec = config.cluster.app;
  const app = await loadApp(spec, config.appFrom);
  const requests = values.requests !== undefined ? requestLines(values.requests) : undefined;
  if (!app.sample && !requests && spec !== 'log' && spec !== 'kv') {
    throw new UsageError(`${app.name} has no sample(random): give the requests its clients send with --requests FILE`);
  }
  const shared: RunShared = {
    app: spec,
    requests,
    minutes: positive('--minutes', values.minutes, 5),
    ...(mode !== 'both' && { mode }),
    ...(values['max-faults'] !== undefined && { maxFaults: count('--max-faults', values['max-faults']) }),
    ...(values['max-requests'] !== undefined && { maxRequests: positive('--max-requests', values['max-requests'], 0, true) }),
  };
  const replay = (o: RunOptions): string => replayCommand(values, o);

  if (values.seed !== undefined) {
    const seed = positive('--seed', values.seed, 0, true);
    const r = runSeed({ ...shared, seed, keepTrace: true }, app);
    console.log(`steadfast verify: app ${app.name} (${spec}), seed ${seed}`);
    if (isFailure(r)) {
      console.log(failureReport({ ...r, replay: replay({ ...shared, seed }) }));
      return 1;
    }
    console.log(`seed ${seed}: ${describeConfig(r.config)}`);
    for (const h of r.pendingHits) console.log(`(a known steadfast bug, ${h.bug}, came up at ${(h.at / 1000).toFixed(3)} s; not counted against the app: see docs/apps.md)`);
    console.log(`every check held: ${r.answered} requests answered, ${totalFaults(r)} faults, ${r.failovers} failovers, ${r.recoveries} recoveries`);
    return 0;
  }

  const first = positive('--first', values.first, 1, true);
  const runs = positive('--seeds', values.seeds, 100, true);
  const workers = positive('--workers', values.workers, availableParallelism(), true);
  const bar = process.stderr.isTTY ? progressBar(runs) : null;
  console.log(`steadfast verify: app ${app.name} (${spec}), seeds ${first}..${first + runs - 1}, ${shared.minutes} simulated minutes each, ${mode === 'both' ? 'active and passive' : mode}`);
  const c = await campaign({ ...shared, first, runs, workers, onResult: (r) => bar?.step(isFailure(r)) });
  bar?.done();
  console.log(summaryText(c.summary));
  if (c.failures.length === 0) {
    console.log('all checks held');
    return 0;
  }
  const failed = c.failures[0]!;
  const options: RunOptions = { ...shared, seed: failed.seed };
  console.log(`\nseed ${failed.seed} failed ${failed.violations[0]!.invariant}; shrinking it (the same seed with fewer faults, then fewer requests)...`);
  const small = shrink(options, failed, app);
  console.log(
    `smallest failing run found in ${small.tries} replays: ${totalFaults(small.result)} faults (of ${totalFaults(failed)}), ` +
      `${small.result.requests} requests (of ${failed.requests})\n`,
  );
  console.log(failureReport({ ...small.result, replay: replay(small.options) }));
  return 1;
}

/** A flag's value as a whole number, 0 or more. */
function count(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`${flag}: not a whole number: '${value}'`);
  return n;
}

/** `--requests FILE`: its non-empty lines. */
function requestLines(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--requests: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new UsageError(`--requests: ${path} has no request lines`);
  return lines;
}

/** The command that replays run `o`, naming the app as the user did. */
function replayCommand(values: { config?: string; app?: string; requests?: string }, o: RunOptions): string {
  const flags = ['steadfast verify'];
  if (values.config !== undefined) flags.push(`--config ${values.config}`);
  if (values.app !== undefined) flags.push(`--app ${values.app}`);
  if (values.requests !== undefined) flags.push(`--requests ${values.requests}`);
  return [...flags, ...replayFlags(o)].join(' ');
}

function summaryText(s: Summary): string {
  const lines = [
    `${s.runs} seeds, ${(s.simulatedMs / 60_000).toFixed(0)} simulated minutes in ${(s.wallMs / 1000).toFixed(1)} s on ${s.workers} workers`,
    `clusters: ${Object.entries(s.modes).map(([m, n]) => `${m.replace(/^\S+ /, '')} ${n}`).join(', ')}`,
    `faults: ${FAULT_KINDS.map((k) => `${k} ${s.faults[k]}`).join(', ')}`,
    `${s.answered} requests answered; ${s.failovers} failovers, ${s.recoveries} recoveries`,
    'checks:',
  ];
  const verdict = (i: Invariant) => (s.violations[i] > 0 ? `FAILED in ${s.violations[i]} seeds` : 'held');
  for (const [check, what] of CHECKS) lines.push(`  ${check.padEnd(17)} ${verdict(check).padEnd(18)} ${what}`);
  const broken = FRAMEWORK.filter((i) => s.violations[i] > 0);
  lines.push(
    `  ${'framework'.padEnd(17)} ${(broken.length ? `FAILED: ${broken.map((i) => `${i} in ${s.violations[i]} seeds`).join(', ')}` : 'held').padEnd(18)} ` +
      `steadfast's own invariants (${FRAMEWORK.join(', ')})`,
  );
  for (const [bug, hits] of Object.entries(s.pendingHits)) {
    lines.push(`(a known steadfast bug, ${bug}, came up in ${hits.length} seeds; not counted against the app: see docs/apps.md)`);
  }
  if (s.failed > 0) lines.push(`failing seeds: ${[...s.failedSeeds].sort((a, b) => a - b).join(' ')}`);
  return lines.join('\n');
}

/** A bar over the seeds, redrawn in place on a terminal. */
function progressBar(total: number): { step(failed: boolean): void; done(): void } {
  const width = 30;
  let done = 0;
  let failed = 0;
  const draw = () => {
    const filled = Math.round((done / total) * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} seeds${failed ? `, ${failed} failed` : ''}`);
  };
  draw();
  return {
    step(isFailed) {
      done += 1;
      if (isFailed) failed += 1;
      draw();
    },
    done: () => process.stderr.write('\n'),
  };
}
