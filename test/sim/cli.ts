/**
 * `npm run sim -- …`: the deterministic simulator from the command line.
 *
 *   npm run sim -- --seed 42                 replay one seed: its cluster, faults, violations, trace
 *   npm run sim -- --seed 42 --all --from 100 --to 130 --who S1,RM
 *                                            every line of S1's processes and the RM in that window
 *   npm run sim -- --seed 42 --events        also every event each machine took
 *   npm run sim -- --runs 1000 [--first 1] [--workers 4]
 *                                            a campaign over the cores; prints the summary, exits 1
 *                                            if any seed failed (and how to replay it)
 *   --app SPEC    replicate this app (default log): kv (clients send generated get/put/cas/del),
 *                 or any spec [cluster] app takes (its clients send what its sample draws)
 *   --minutes M   simulated minutes a run (default 5)
 *   --mode M      active or passive only (default: drawn from each seed)
 *   --max-faults K, --max-requests N
 *                 at most K faults, and clients that stop after N requests (a shrunk failure's replay)
 *   --plant BUG   switch a planted bug on (test only): noDuplicateCheck, promoteWithoutEpoch,
 *                 dropHeldOnRecovery, unorderedActive
 *   --out FILE    write the whole trace of a --seed run to FILE
 *   --allow BUG   let the schedule trigger a pending bug (see src/sim/pending.ts; `all` for every one)
 *   --secret      the cluster has a secret: every control link proves it
 *   --by-hand     S1 started by hand, its LFD with --no-launch (a supervisor restarts it)
 *   --long-partitions
 *                 cut servers' and the GFD's hosts off for longer than failure detection takes
 *                 (beyond the SPEC's guarantees: partitions are later work)
 *   --disks       every server has a data folder on a simulated disk; the whole cluster loses power
 *                 now and then (fault power-cut)
 *   --disk-loss   with --disks: a power cut empties the disks (test only: the checker must object)
 *   --drains      servers are drained too (SIGTERM: a graceful hand-over, docs/operations.md)
 */
import { writeFileSync } from 'node:fs';
import { plant, type PlantedBug } from '../../src/core/switches.js';
import { PENDING_BUGS, type PendingBug } from '../../src/sim/pending.js';
import { campaign } from '../../src/sim/pool.js';
import { failureReport, faultCounts, formatSummary, isFailure, traceLines, type TraceView } from '../../src/sim/report.js';
import { resolveAppSpec } from '../../src/app/load.js';
import { describeConfig, runAppSeed } from '../../src/sim/run.js';
import { formatRecord } from '../../src/sim/trace.js';

function usage(message?: string): never {
  if (message) console.error(`sim: ${message}`);
  console.error('usage: npm run sim -- --seed N [--minutes M] [--events] [--all] [--who A,B] [--from S] [--to S] [--last N] [--out FILE] [--plant BUG]');
  console.error('       npm run sim -- --runs N [--first S] [--workers W] [--minutes M] [--plant BUG]');
  console.error('       either: [--app SPEC] [--mode active|passive] [--allow PENDING|all] [--long-partitions] [--by-hand] [--secret] [--disks [--disk-loss]] [--drains]');
  process.exit(2);
}

const args = process.argv.slice(2).filter((a) => a !== '--');
const opts: Record<string, string | true> = {};
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (!a.startsWith('--')) usage(`unexpected ${a}`);
  const key = a.slice(2);
  const flag = ['events', 'all', 'help', 'long-partitions', 'by-hand', 'secret', 'disks', 'disk-loss', 'drains'].includes(key);
  if (flag) opts[key] = true;
  else {
    const value = args[++i];
    if (value === undefined) usage(`${a} needs a value`);
    opts[key] = value;
  }
}
if (opts.help) usage();
const num = (key: string, fallback?: number): number => {
  const v = opts[key];
  if (v === undefined) {
    if (fallback === undefined) usage(`--${key} is required`);
    return fallback;
  }
  const n = Number(v);
  if (!Number.isFinite(n)) usage(`--${key} must be a number`);
  return n;
};
const planted: PlantedBug[] = [];
if (typeof opts.plant === 'string') {
  for (const bug of opts.plant.split(',')) {
    if (!(bug in plant)) usage(`unknown planted bug ${bug} (${Object.keys(plant).join(', ')})`);
    planted.push(bug as PlantedBug);
  }
}
const minutes = num('minutes', 5);
const app = typeof opts.app === 'string' ? resolveAppSpec(opts.app, process.cwd()) : 'log';
const allow: PendingBug[] = [];
if (typeof opts.allow === 'string') {
  for (const bug of opts.allow.split(',')) {
    if (bug === 'all') allow.push(...PENDING_BUGS);
    else if ((PENDING_BUGS as string[]).includes(bug)) allow.push(bug as PendingBug);
    else usage(`unknown pending bug ${bug} (${PENDING_BUGS.join(', ')})`);
  }
}
const mode = opts.mode;
if (mode !== undefined && mode !== 'active' && mode !== 'passive') usage('--mode must be active or passive');
const maxFaults = opts['max-faults'] !== undefined ? num('max-faults') : undefined;
const maxRequests = opts['max-requests'] !== undefined ? num('max-requests') : undefined;
const longPartitions = opts['long-partitions'] === true;
const secret = opts.secret === true;
const byHand = opts['by-hand'] === true;
const disks = opts.disks === true;
const diskLoss = opts['disk-loss'] === true;
if (diskLoss && !disks) usage('--disk-loss needs --disks');
const drains = opts.drains === true;
if (drains && disks) usage('--drains and --disks draw from different fault lists: one of them');

if (opts.seed !== undefined) {
  const seed = num('seed');
  const res = await runAppSeed({ seed, app, minutes, mode, maxFaults, maxRequests, secret, events: opts.events === true, plant: planted, keepTrace: true, allow, longPartitions, byHand, disks, diskLoss, drains });
  const view: TraceView = {
    all: opts.all === true || opts.events === true,
    who: typeof opts.who === 'string' ? opts.who.split(',') : undefined,
    from: opts.from !== undefined ? num('from') : undefined,
    to: opts.to !== undefined ? num('to') : undefined,
    last: num('last', 0),
  };
  if (typeof opts.out === 'string') {
    writeFileSync(opts.out, res.trace!.records.map(formatRecord).join('\n') + '\n');
    console.log(`trace: ${res.trace!.records.length} records written to ${opts.out}`);
  }
  if (res.violations.length > 0) {
    console.log(failureReport(res, view));
  } else {
    console.log(`seed ${seed}: ${describeConfig(res.config)}`);
    console.log('--- faults ---');
    console.log(res.schedule.join('\n'));
    console.log('--- trace ---');
    console.log(traceLines(res.trace!.records, view).join('\n'));
    console.log(
      `seed ${seed} passed: ${(res.simulatedMs / 1000).toFixed(0)} simulated s in ${res.wallMs.toFixed(0)} ms; ` +
        `faults ${faultCounts(res.faults)}; ${res.failovers} failovers, ${res.recoveries} recoveries, ${res.answered} answered`,
    );
  }
  for (const h of res.pendingHits) console.log(`hit pending bug ${h.bug} at ${(h.at / 1000).toFixed(3)} s: ${h.detail}`);
  process.exit(res.violations.length > 0 ? 1 : 0);
} else if (opts.runs !== undefined) {
  const first = num('first', 1);
  const runs = num('runs');
  const workers = opts.workers !== undefined ? num('workers') : undefined;
  let done = 0;
  const c = await campaign({
    first,
    runs,
    app,
    workers,
    minutes,
    mode,
    secret,
    plant: planted,
    allow,
    longPartitions,
    byHand,
    disks,
    diskLoss,
    drains,
    onResult: (r) => {
      done += 1;
      if (r.violations.length > 0) {
        const known = isFailure(r) ? '' : ` (pending bug ${r.pendingHits.map((h) => h.bug).join(', ')}, not counted)`;
        console.log(`seed ${r.seed} FAILED${known}: ${r.violations.map((v) => `${v.invariant}: ${v.detail}`).join('; ')}`);
      } else if (done % 50 === 0) {
        console.log(`${done}/${runs} seeds done`);
      }
    },
  });
  console.log(formatSummary(c.summary, first));
  for (const f of c.failures) console.log(`replay: ${f.replay}`);
  process.exit(c.failures.length > 0 ? 1 : 0);
} else {
  usage('give --seed N or --runs N');
}
