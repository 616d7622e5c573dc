/**
 * How results are shown: one run's failure (seed, cluster, faults, violations, readable trace) and
 * a campaign's summary (seeds, simulated time, faults by kind, failovers, recoveries, invariants).
 */
import { INVARIANTS, type Invariant } from './invariants.js';
import { ALL_FAULT_KINDS, describeConfig, FAULT_KINDS, type FaultKind, type RunResult } from './run.js';
import { formatRecord, isLifecycle, type TraceRecord } from './trace.js';

/**
 * A run fails when an invariant broke, unless it hit the trigger of a pending bug that the
 * simulator cannot steer around (`pending.ts`): then the violation is that bug's, already reported.
 */
export function isFailure(r: RunResult): boolean {
  return r.violations.length > 0 && r.pendingHits.length === 0;
}

export interface TraceView {
  /** Everything (heartbeats, per-request lines, events), not only the lifecycle. */
  all?: boolean;
  /** Only these actors (prefix match: `S1` takes every S1 process). */
  who?: string[];
  /** Only this window, in simulated seconds. */
  from?: number;
  to?: number;
  /** At most this many lines, the last ones (0: no limit). */
  last?: number;
}

export function traceLines(records: readonly TraceRecord[], view: TraceView = {}): string[] {
  const from = (view.from ?? -Infinity) * 1000;
  const to = (view.to ?? Infinity) * 1000;
  const who = view.who;
  const shown = records.filter(
    (r) =>
      r.t >= from &&
      r.t <= to &&
      (view.all || isLifecycle(r)) &&
      (!who || r.kind === 'violation' || r.who === 'sim' || who.some((w) => r.who === w || r.who.startsWith(`${w}#`))),
  );
  const last = view.last ?? 0;
  return (last > 0 ? shown.slice(-last) : shown).map(formatRecord);
}

/** What a failing seed prints: enough to understand it, and how to replay it. */
export function failureReport(res: RunResult, view: TraceView = { last: 250 }): string {
  const lines = [
    `seed ${res.seed} FAILED: ${describeConfig(res.config)}`,
    ...res.pendingHits.map((h) => `  (hit pending bug ${h.bug} at ${(h.at / 1000).toFixed(3)} s: ${h.detail})`),
    ...res.violations.map((v) => `  ${(v.at / 1000).toFixed(3)} s  ${v.invariant}: ${v.detail}`),
    `  replay: ${res.replay}   (add --all for every line, --events for every event)`,
    '--- faults ---',
    ...res.schedule,
  ];
  if (res.trace) {
    lines.push(`--- trace (${view.all ? 'everything' : 'lifecycle'}${view.last ? `, last ${view.last} lines` : ''}) ---`);
    lines.push(...traceLines(res.trace.records, view));
  }
  return lines.join('\n');
}

export interface Summary {
  runs: number;
  failed: number;
  simulatedMs: number;
  wallMs: number;
  cpuMs: number;
  workers: number;
  faults: Record<FaultKind, number>;
  failovers: number;
  recoveries: number;
  answered: number;
  clientsGaveUp: number;
  violations: Record<Invariant, number>;
  failedSeeds: number[];
  /** Runs that hit a pending bug's trigger, by bug: seeds, and whether an invariant then broke. */
  pendingHits: Record<string, { seed: number; violated: boolean }[]>;
  modes: Record<string, number>;
  slowestRunMs: number;
}

export function emptySummary(): Summary {
  return {
    runs: 0,
    failed: 0,
    simulatedMs: 0,
    wallMs: 0,
    cpuMs: 0,
    workers: 0,
    faults: Object.fromEntries(ALL_FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    failovers: 0,
    recoveries: 0,
    answered: 0,
    clientsGaveUp: 0,
    violations: Object.fromEntries(INVARIANTS.map((k) => [k, 0])) as Record<Invariant, number>,
    failedSeeds: [],
    pendingHits: {},
    modes: {},
    slowestRunMs: 0,
  };
}

export function addRun(s: Summary, r: RunResult): void {
  s.runs += 1;
  s.simulatedMs += r.simulatedMs;
  s.cpuMs += r.wallMs;
  s.slowestRunMs = Math.max(s.slowestRunMs, r.wallMs);
  for (const k of ALL_FAULT_KINDS) s.faults[k] += r.faults[k];
  s.failovers += r.failovers;
  s.recoveries += r.recoveries;
  s.answered += r.answered;
  s.clientsGaveUp += r.clientsGaveUp;
  const style = r.config.mode === 'active' ? 'active' : `passive/${r.config.durability}`;
  const mode = r.config.app === 'log' ? style : `${r.config.app} ${style}`;
  s.modes[mode] = (s.modes[mode] ?? 0) + 1;
  for (const bug of new Set(r.pendingHits.map((h) => h.bug))) {
    (s.pendingHits[bug] ??= []).push({ seed: r.seed, violated: r.violations.length > 0 });
  }
  if (isFailure(r)) {
    s.failed += 1;
    s.failedSeeds.push(r.seed);
    for (const inv of new Set(r.violations.map((v) => v.invariant))) s.violations[inv] += 1;
  }
}

export function formatSummary(s: Summary, firstSeed: number): string {
  const minutes = s.simulatedMs / 60_000;
  const lines = [
    `simulated ${s.runs} seeds (${firstSeed}..${firstSeed + s.runs - 1}), ${minutes.toFixed(1)} simulated minutes ` +
      `(${(s.simulatedMs / 3_600_000).toFixed(2)} h) in ${(s.wallMs / 1000).toFixed(1)} s of wall time on ${s.workers} workers ` +
      `(${(s.cpuMs / Math.max(1, s.runs)).toFixed(0)} ms a run on average, slowest ${s.slowestRunMs.toFixed(0)} ms)`,
    `clusters: ${Object.entries(s.modes).map(([m, n]) => `${m} ${n}`).join(', ')}`,
    `faults: ${faultCounts(s.faults)} (total ${Object.values(s.faults).reduce((a, b) => a + b, 0)})`,
    `completed: ${s.failovers} failovers, ${s.recoveries} recoveries; ${s.answered} requests answered; clients gave up and restarted ${s.clientsGaveUp} times`,
  ];
  for (const [bug, hits] of Object.entries(s.pendingHits)) {
    const broke = hits.filter((h) => h.violated).map((h) => h.seed);
    lines.push(
      `pending bug ${bug} (pending.ts): its trigger came up in ${hits.length} runs (seeds ${hits.map((h) => h.seed).join(' ')}); ` +
        `an invariant broke in ${broke.length} of them${broke.length ? ` (${broke.join(' ')})` : ''}; not counted as failures`,
    );
  }
  if (s.failed === 0) {
    lines.push(`invariants: all held in every counted run (${INVARIANTS.join(', ')})`);
  } else {
    const broken = INVARIANTS.filter((k) => s.violations[k] > 0).map((k) => `${k} in ${s.violations[k]} runs`);
    lines.push(`invariants: VIOLATED: ${broken.join(', ')}`);
    lines.push(`failing seeds: ${s.failedSeeds.join(' ')}`);
  }
  return lines.join('\n');
}

/** Faults by kind; power cuts and drains only where there were some (runs with disks, with drains). */
export function faultCounts(faults: Record<FaultKind, number>): string {
  const kinds = ALL_FAULT_KINDS.filter((k) => (FAULT_KINDS as readonly string[]).includes(k) || faults[k] > 0);
  return kinds.map((k) => `${k} ${faults[k]}`).join(', ');
}
