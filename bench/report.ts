/**
 * The bench's outputs from its results: one text table (with the targets of issue 8, met or not),
 * `latest.json` (every figure, the raw samples, trial counts, settings, the machine), and two SVG
 * charts (latency percentiles per configuration; a timeline of each failover trial). Pure: data in,
 * strings out; `main.ts` writes the files.
 */
import { median, summarize, type Summary } from './stats.js';
import type { CrashTrial, FailoverResult } from './failover.js';
import type { RestartResult, RestartTrial } from './restart.js';
import type { TakeoverResult } from './takeover.js';
import type { SyncCount, ThroughputResult } from './throughput.js';

export interface Machine {
  cores: number;
  cpu: string;
  node: string;
  platform: string;
  /** 1-minute load average at the start and the end of the run: above the core count, the machine was shared. */
  loadStart: number;
  loadEnd: number;
}

export interface BenchResults {
  when: string;
  quick: boolean;
  durationS: number;
  machine: Machine;
  options: Record<string, unknown>;
  throughput: ThroughputResult | null;
  failover: FailoverResult | null;
  /** Whole-cluster restarts with data folders (absent in results from before they were measured). */
  restart?: RestartResult | null;
  /** Standby RMs through etcd (absent in results from before they were measured). */
  takeover?: TakeoverResult | null;
}

export interface Target {
  what: string;
  goal: string;
  value: number;
  unit: string;
  met: boolean;
}

const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const f2 = (x: number) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0)) : '-');

/** Rows of failure figures: label, samples (ms). */
export function failureRows(r: FailoverResult): { key: string; label: string; samples: number[] }[] {
  return [
    { key: 'crashDetect', label: 'kill -9 primary → RM delete', samples: r.crash.map((t) => t.rmDeleteMs) },
    { key: 'hangDetect', label: 'SIGSTOP backup → RM delete', samples: r.hang.map((t) => t.rmDeleteMs) },
    { key: 'lfdFailed', label: 'kill -9 primary → LFD failed', samples: r.crash.map((t) => t.lfdFailedMs) },
    { key: 'rmPrimary', label: 'kill -9 primary → RM: primary is X', samples: r.crash.map((t) => t.rmPrimaryMs) },
    { key: 'gap', label: 'kill -9 primary → a client\'s 1st reply from new primary', samples: r.crash.flatMap((t) => t.clientFirstReplyMs) },
    { key: 'gapAll', label: 'kill -9 primary → every client served again', samples: r.crash.map((t) => t.allRepliedMs) },
    { key: 'silence', label: 'longest client silence (last reply → next)', samples: r.crash.map((t) => t.maxClientGapMs) },
    { key: 'drainGap', label: 'drain (SIGTERM) primary → a client\'s 1st reply from new primary', samples: (r.drain ?? []).flatMap((t) => t.clientFirstReplyMs) },
    { key: 'drainSilence', label: 'drain (SIGTERM) primary → longest client silence', samples: (r.drain ?? []).map((t) => t.maxClientGapMs) },
    { key: 'relaunchSmall', label: 'kill -9 → relaunched replica serving (small state, warm spare)', samples: r.crash.map((t) => t.relaunchedReadyMs) },
    { key: 'relaunchBig', label: `kill -9 → relaunched replica serving (${bigLabel(r)}, cold start)`, samples: r.big.map((t) => t.relaunchedReadyMs) },
  ];
}

/** Rows of restart figures, per state in the order measured: label, samples (ms after the new processes' start). */
export function restartRows(r: RestartResult): { key: string; label: string; samples: number[] }[] {
  const states = [...new Set(r.trials.map((t) => t.state))];
  const measures: { key: keyof RestartTrial & `${string}Ms`; what: string }[] = [
    { key: 'rmMembersMs', what: 'RM hears of 3 members' },
    { key: 'rmPrimaryMs', what: 'RM names the primary' },
    { key: 'firstReplyMs', what: 'a client request answered' },
    { key: 'allReadyMs', what: 'every replica serving' },
  ];
  return states.flatMap((state) => {
    const trials = r.trials.filter((t) => t.state === state);
    return measures.map((m) => ({ key: `${state} ${m.key}`, label: `${state} state: ${m.what}`, samples: trials.map((t) => t[m.key]) }));
  });
}

/** Rows of takeover figures: label, samples (ms after the kill). */
export function takeoverRows(r: TakeoverResult): { key: string; label: string; samples: number[] }[] {
  const of = (kind: string) => r.trials.filter((t) => t.kind === kind);
  return [
    { key: 'rmLeads', label: 'kill -9 leading RM → the standby leads', samples: of('rm').map((t) => t.leadsMs) },
    { key: 'rmReady', label: 'kill -9 leading RM → new leader\'s first ready', samples: of('rm').map((t) => t.firstReadyMs) },
    { key: 'rmGap', label: 'kill -9 leading RM → longest client gap', samples: of('rm').map((t) => t.gapMs) },
    { key: 'bothReady', label: 'kill -9 leading RM + primary → first ready', samples: of('rm+primary').map((t) => t.firstReadyMs) },
    { key: 'bothGap', label: 'kill -9 leading RM + primary → longest client gap', samples: of('rm+primary').map((t) => t.gapMs) },
    { key: 'gfdLeads', label: 'kill -9 leading GFD + primary → the standby leads', samples: of('gfd+primary').map((t) => t.leadsMs) },
    { key: 'gfdReady', label: 'kill -9 leading GFD + primary → first ready', samples: of('gfd+primary').map((t) => t.firstReadyMs) },
    { key: 'gfdGap', label: 'kill -9 leading GFD + primary → longest client gap', samples: of('gfd+primary').map((t) => t.gapMs) },
  ];
}

function bigLabel(r: FailoverResult): string {
  const bytes = r.big[0]?.stateBytes;
  return bytes === undefined ? 'large state' : `${(bytes / 1e6).toFixed(0)} MB state`;
}

export function targets(results: BenchResults): Target[] {
  const out: Target[] = [];
  const tp = results.throughput;
  if (tp) {
    const top = Math.max(...tp.points.map((p) => p.clients));
    for (const [config, goal] of [
      ['passive sync', 0.45],
      ['active', 0.25],
      ['passive checkpoint', 0.8],
    ] as const) {
      const p = tp.points.find((x) => x.config === config && x.clients === top);
      if (p) out.push({ what: `${config} throughput at ${top} clients / echo`, goal: `≥ ${goal * 100} %`, value: p.ratio * 100, unit: '%', met: p.ratio >= goal });
    }
    for (const [config, stat, limit] of [
      ['passive sync', 'p50', 0.25],
      ['passive sync', 'p99', 1],
      ['active', 'p99', 2],
    ] as const) {
      const p = tp.points.find((x) => x.config === config && x.clients === 1);
      const value = p?.latency[stat];
      if (value !== undefined) out.push({ what: `${config} latency at 1 client`, goal: `${stat} ≤ ${limit} ms`, value, unit: 'ms', met: value <= limit });
    }
    if (tp.memory) {
      const worst = Math.max(...Object.values(tp.memory.idle));
      out.push({ what: 'idle resident memory, largest role', goal: '≤ 60 MB', value: worst, unit: 'MB', met: worst <= 60 });
    }
  }
  const fo = results.failover;
  if (fo) {
    const rows = new Map(failureRows(fo).map((r) => [r.key, summarize(r.samples)]));
    const hb = Number(fo.settings.heartbeat_freq) * 1000;
    const to = Number(fo.settings.heartbeat_timeout) * 1000;
    const push = (key: string, what: string, stat: keyof Summary, limit: number) => {
      const s = rows.get(key)!;
      if (s.n > 0) out.push({ what, goal: `${stat} ≤ ${limit} ms`, value: s[stat], unit: 'ms', met: s[stat] <= limit });
    };
    push('crashDetect', 'crash detection', 'p99', 100);
    push('hangDetect', 'hang detection', 'max', hb + to + 100);
    push('gap', 'passive failover gap', 'p50', 200);
    push('gap', 'passive failover gap', 'p99', 120);
    push('relaunchSmall', 'relaunch to serving, small state', 'p50', 300);
    // A planned hand-over is judged against the crashes of the same run, on the same cluster and load.
    const [kill, drain] = [rows.get('silence')!, rows.get('drainSilence')!];
    if (kill.n > 0 && drain.n > 0) {
      out.push({ what: 'drain: longest client silence', goal: `p99 < kill -9's p99 (${f0(kill.p99)} ms)`, value: drain.p99, unit: 'ms', met: drain.p99 < kill.p99 });
    }
  }
  return out;
}

/** The one table the bench prints (and the note quotes). */
export function table(results: BenchResults): string {
  const lines: string[] = [];
  const m = results.machine;
  lines.push(
    `steadfast bench, ${results.when}${results.quick ? ' (--quick)' : ''}: ${m.cores} cores (${m.cpu}), node ${m.node}, ` +
      `load average ${m.loadStart.toFixed(1)} at start, ${m.loadEnd.toFixed(1)} at end${m.loadStart > m.cores || m.loadEnd > m.cores ? ' (shared machine: figures are noisy)' : ''}`,
  );
  const tp = results.throughput;
  if (tp) {
    const o = results.options;
    lines.push('');
    lines.push(
      `Throughput and latency: ${o.bodySize} B requests, one outstanding per client` +
        (o.jitWarmupMs === undefined ? '' : `; each cluster (and the echo) first loaded for ${Number(o.jitWarmupMs) / 1000} s, unmeasured`) +
        `; ${Number(o.warmupMs) / 1000} s warm-up + ` +
        `${Number(o.durationMs) / 1000} s measured per point; roles at --log-level warn; an echo point before each cluster point; ratio to the median echo`,
    );
    lines.push(
      `${'configuration'.padEnd(LABEL)}${'clients'.padStart(8)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}` +
        `${'p999 ms'.padStart(9)}${'vs echo'.padStart(9)}${'CPU µs/req'.padStart(12)}`,
    );
    const row = (label: string, clients: number, tput: number, s: Summary, ratio: string, cpu: number) =>
      `${label.padEnd(LABEL)}${String(clients).padStart(8)}${f0(tput).padStart(9)}${f2(s.p50).padStart(9)}${f2(s.p99).padStart(9)}` +
      `${f2(s.p999).padStart(9)}${ratio.padStart(9)}${f0(cpu).padStart(12)}`;
    const concurrency = [...new Set(tp.points.map((p) => p.clients))];
    for (const c of concurrency) {
      // The echo row: the median throughput of the echo points at this concurrency (the ratios'
      // denominator) and the latencies of all of them pooled.
      const echo = tp.echo.filter((e) => e.clients === c);
      const pooled = summarize(echo.flatMap((e) => e.samples));
      lines.push(row(`echo (raw TCP) ×${echo.length}`, c, median(echo.map((e) => e.throughput)), pooled, '1.00', median(echo.map((e) => cpuTotal(e.cpu)))));
      for (const p of tp.points.filter((x) => x.clients === c)) lines.push(row(p.config, c, p.throughput, p.latency, p.ratio.toFixed(2), cpuTotal(p.cpu)));
    }
    lines.push('CPU µs/req: the CPU time (user + system) of every process (the clients included) over the measured window, per request');
    const top = concurrency.at(-1)!;
    lines.push('');
    lines.push(`Where the CPU goes at ${top} clients, µs per request (${results.machine.cores} cores in all)`);
    for (const p of tp.points.filter((x) => x.clients === top)) {
      const parts = Object.entries(p.cpu).filter(([, us]) => us >= cpuTotal(p.cpu) * 0.02);
      lines.push(`${p.config.padEnd(LABEL)}${parts.map(([k, us]) => `${k} ${f0(us)}`).join(', ')}`);
    }
    const echoTop = tp.echo.filter((e) => e.clients === top);
    if (echoTop.length > 0) lines.push(`${'echo (raw TCP)'.padEnd(LABEL)}${['echo', 'load'].map((k) => `${k} ${f0(median(echoTop.map((e) => e.cpu[k] ?? NaN)))}`).join(', ')}`);
    const durable = tp.points.filter((p) => p.syncs);
    if (durable.length > 0) {
      lines.push('');
      lines.push('Group commit: fdatasync + fsync calls of the servers over the measured window (perf stat, syscall tracepoints), per request');
      for (const p of durable) lines.push(`${p.config.padEnd(LABEL)}${String(p.clients).padStart(8)}  ${syncText(p.syncs!, p.completed)}`);
    }
    for (const p of tp.points.filter((x) => x.errors.length > 0)) lines.push(`  (${p.config} ${p.clients}: ${p.errors.length} error frames, first: ${p.errors[0]})`);
    for (const e of tp.errors ?? []) lines.push(`  (${e.split('\n')[0]})`);
    for (const p of tp.points.filter((x) => x.epochAfter !== x.epochBefore)) {
      lines.push(`  (${p.config} ${p.clients}: the epoch changed during the point, ${p.epochBefore} → ${p.epochAfter}: a failover, the figure is spoiled)`);
    }
    if (tp.memory) {
      const mem = tp.memory;
      lines.push('');
      lines.push(`Resident memory (MB), passive sync cluster; under load = ${concurrency.at(-1)} clients`);
      lines.push(`${'role'.padEnd(28)}${'idle'.padStart(8)}${'load'.padStart(8)}`);
      const keys = [...new Set([...Object.keys(mem.idle), ...Object.keys(mem.load)])];
      for (const k of keys) lines.push(`${k.padEnd(28)}${f1(mem.idle[k] ?? NaN).padStart(8)}${f1(mem.load[k] ?? NaN).padStart(8)}`);
      lines.push(
        `primary holding ${mem.manyClients.connections} client connections: ${f1(mem.manyClients.primaryMb)} MB ` +
          `(${f1(mem.manyClients.primaryIdleMb)} MB before; ${mem.manyClients.answered} requests answered)`,
      );
    }
  }
  const fo = results.failover;
  if (fo) {
    const s = fo.settings;
    lines.push('');
    lines.push(
      `Failures: passive, durability ${s.durability}, heartbeat_freq ${s.heartbeat_freq} s, heartbeat_timeout ${s.heartbeat_timeout} s, ` +
        `checkpoint_freq ${s.checkpoint_freq} s; ${fo.loadClients} closed-loop clients following the RM; ms after the signal`,
    );
    lines.push(`${'measure'.padEnd(58)}${'n'.padStart(5)}${'p50'.padStart(8)}${'p99'.padStart(8)}${'max'.padStart(8)}`);
    for (const r of failureRows(fo)) {
      const x = summarize(r.samples);
      if (x.n === 0) continue;
      lines.push(`${r.label.padEnd(58)}${String(x.n).padStart(5)}${f0(x.p50).padStart(8)}${f0(x.p99).padStart(8)}${f0(x.max).padStart(8)}`);
    }
    for (const e of fo.errors ?? []) lines.push(`  (${e.split('\n')[0]})`);
  }
  const rs = results.restart;
  if (rs) {
    const s = rs.settings;
    lines.push('');
    lines.push(
      `Whole-cluster restart: passive, durability ${s.durability}, app ${s.app}, data_dir, heartbeat_timeout ${s.heartbeat_timeout} s; ` +
        'kill -9 of every process, RM, GFD and LFDs started again; ms after their start',
    );
    for (const state of [...new Set(rs.trials.map((t) => t.state))]) {
      const t = rs.trials.find((x) => x.state === state)!;
      lines.push(`  ${state} state: ${fmtBytes(t.stateBytes)} of request text in the log`);
    }
    lines.push(`${'measure'.padEnd(58)}${'n'.padStart(5)}${'p50'.padStart(8)}${'min'.padStart(8)}${'max'.padStart(8)}`);
    for (const r of restartRows(rs)) {
      const x = summarize(r.samples);
      if (x.n === 0) continue;
      lines.push(`${r.label.padEnd(58)}${String(x.n).padStart(5)}${f0(x.p50).padStart(8)}${f0(x.min).padStart(8)}${f0(x.max).padStart(8)}`);
    }
    for (const t of rs.trials.filter((x) => x.survivors.length > 0)) {
      lines.push(`  (${t.state} ${t.trial}: outlived the kill of everything (an LFD started its server again first), killed before the start: ${t.survivors.join(', ')})`);
    }
    for (const t of rs.trials.filter((x) => x.reply !== x.expectedReply)) {
      lines.push(`  (${t.state} ${t.trial}: the request was answered at position ${t.reply}, ${t.expectedReply} was due: a request lost or applied twice)`);
    }
    for (const e of rs.errors) lines.push(`  (${e.split('\n')[0]})`);
  }
  const tk = results.takeover;
  if (tk) {
    const s = tk.settings;
    lines.push('');
    lines.push(
      `Standby RMs and GFDs (coordinator = etcd, one local etcd member): passive, durability ${s.durability}, heartbeat_timeout ${s.heartbeat_timeout} s, ` +
        `lease_ttl ${s.lease_ttl} s; closed-loop clients; ms after the kill`,
    );
    lines.push(`${'measure'.padEnd(58)}${'n'.padStart(5)}${'p50'.padStart(8)}${'p99'.padStart(8)}${'max'.padStart(8)}`);
    for (const r of takeoverRows(tk)) {
      const x = summarize(r.samples);
      if (x.n === 0) continue;
      lines.push(`${r.label.padEnd(58)}${String(x.n).padStart(5)}${f0(x.p50).padStart(8)}${f0(x.p99).padStart(8)}${f0(x.max).padStart(8)}`);
    }
    for (const e of tk.errors) lines.push(`  (${e.split('\n')[0]})`);
  }
  const t = targets(results);
  if (t.length > 0) {
    lines.push('');
    lines.push('Targets (issues 8, 20 and 21)');
    for (const x of t) lines.push(`${x.met ? 'met   ' : 'MISSED'}  ${x.what}: ${x.unit === '%' ? f0(x.value) : f0(x.value)} ${x.unit} (goal ${x.goal})`);
  }
  return lines.join('\n');
}

/** Width of the configuration column (`passive sync data_dir` and room). */
const LABEL = 24;

/** A point's fsync figure: per request in all and per server, or why it was not counted. */
function syncText(s: SyncCount, completed: number): string {
  if (!s.calls) return `not counted: ${s.error ?? 'no reason given'}`;
  const per = (n: number) => (n / Math.max(1, completed)).toFixed(3);
  const total = Object.values(s.calls).reduce((a, b) => a + b, 0);
  return `${s.perRequest.toFixed(3)} a request (${Object.entries(s.calls).map(([k, n]) => `${k} ${per(n)}`).join(', ')}; ${total} calls, ${completed} requests)`;
}

const fmtBytes = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`);

/** CPU µs per request summed over the processes (roles, echo server, clients). */
export const cpuTotal = (cpu: Record<string, number> | undefined): number => Object.values(cpu ?? {}).reduce((a, b) => a + b, 0);

/** Samples in the JSON: every one up to `cap`, else an evenly strided subset (the summaries use all). */
export function keepSamples(samples: readonly number[], cap: number): number[] {
  const step = Math.max(1, Math.ceil(samples.length / cap));
  const kept: number[] = [];
  for (let i = 0; i < samples.length; i += step) kept.push(Math.round(samples[i]! * 1000) / 1000);
  return kept;
}

export function toJson(results: BenchResults, sampleCap = 10_000): string {
  const slim = structuredClone(results);
  if (slim.throughput) {
    for (const p of [...slim.throughput.points, ...slim.throughput.echo]) {
      const all = p.samples.length;
      p.samples = keepSamples(p.samples, sampleCap);
      (p as { samplesStride?: number }).samplesStride = Math.max(1, Math.ceil(all / sampleCap));
    }
  }
  const summaries = slim.failover ? Object.fromEntries(failureRows(slim.failover).map((r) => [r.key, { label: r.label, ...summarize(r.samples) }])) : {};
  const restartSummaries = slim.restart ? Object.fromEntries(restartRows(slim.restart).map((r) => [r.key, { label: r.label, ...summarize(r.samples) }])) : {};
  const takeoverSummaries = slim.takeover ? Object.fromEntries(takeoverRows(slim.takeover).map((r) => [r.key, { label: r.label, ...summarize(r.samples) }])) : {};
  return JSON.stringify({ ...slim, failureSummaries: summaries, restartSummaries, takeoverSummaries, targets: targets(results) }, null, 1) + '\n';
}

// ---------------------------------------------------------------------------------------------
// SVG

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Latency percentiles (p50, p99, p999) of every throughput point, on a log axis. */
export function latencySvg(tp: ThroughputResult): string {
  const rows: { label: string; s: Summary }[] = [];
  for (const c of [...new Set(tp.points.map((p) => p.clients))]) {
    rows.push({ label: `echo, ${c}`, s: summarize(tp.echo.filter((e) => e.clients === c).flatMap((e) => e.samples)) });
    for (const p of tp.points.filter((x) => x.clients === c)) rows.push({ label: `${p.config}, ${c}`, s: p.latency });
  }
  const left = 190;
  const width = 760;
  const plot = width - left - 30;
  const rowH = 22;
  const top = 40;
  const height = top + rows.length * rowH + 50;
  const values = rows.flatMap((r) => [r.s.p50, r.s.p999]).filter((v) => Number.isFinite(v) && v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values, 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, 1)));
  const x = (v: number) => left + (plot * (Math.log10(Math.max(v, lo)) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${left}" y="18" font-size="14">Request → reply latency (ms, log scale): p50 ●, p99 ■, p999 ▲</text>`);
  for (let v = lo; v <= hi; v *= 10) {
    out.push(`<line x1="${x(v).toFixed(1)}" y1="${top - 8}" x2="${x(v).toFixed(1)}" y2="${top + rows.length * rowH}" stroke="#ddd"/>`);
    out.push(`<text x="${x(v).toFixed(1)}" y="${top + rows.length * rowH + 16}" text-anchor="middle">${v >= 1 ? v : v.toPrecision(1)}</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH + rowH / 2;
    const colour = r.label.startsWith('echo') ? '#888' : '#1f77b4';
    out.push(`<text x="${left - 8}" y="${y + 4}" text-anchor="end">${esc(r.label)}</text>`);
    if (!Number.isFinite(r.s.p50)) return;
    out.push(`<line x1="${x(r.s.p50).toFixed(1)}" y1="${y}" x2="${x(r.s.p999).toFixed(1)}" y2="${y}" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<circle cx="${x(r.s.p50).toFixed(1)}" cy="${y}" r="4" fill="${colour}"/>`);
    out.push(`<rect x="${(x(r.s.p99) - 4).toFixed(1)}" y="${y - 4}" width="8" height="8" fill="${colour}"/>`);
    const px = x(r.s.p999);
    out.push(`<path d="M${(px - 5).toFixed(1)},${y + 4} L${(px + 5).toFixed(1)},${y + 4} L${px.toFixed(1)},${y - 5} Z" fill="${colour}"/>`);
  });
  out.push(`<text x="${left + plot / 2}" y="${height - 10}" text-anchor="middle">ms (configuration, concurrent clients)</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

const FAILOVER_EVENTS = [
  { key: 'lfdFailedMs', label: 'LFD: failed', colour: '#ff7f0e' },
  { key: 'rmDeleteMs', label: 'RM: delete', colour: '#d62728' },
  { key: 'rmPrimaryMs', label: 'RM: primary is X', colour: '#9467bd' },
  { key: 'firstReplyMs', label: 'first client reply', colour: '#2ca02c' },
  { key: 'allRepliedMs', label: 'every client served', colour: '#17becf' },
] as const;
const RELAUNCH_EVENTS = [
  { key: 'rmDeleteMs', label: 'RM: delete', colour: '#d62728' },
  { key: 'launchingMs', label: 'LFD: launching', colour: '#8c564b' },
  { key: 'relaunchedReadyMs', label: 'relaunched serving', colour: '#1f77b4' },
] as const;

type TimeKey = 'lfdFailedMs' | 'rmDeleteMs' | 'rmPrimaryMs' | 'firstReplyMs' | 'allRepliedMs' | 'launchingMs' | 'relaunchedReadyMs';
type TrialEvent = { key: TimeKey & keyof CrashTrial; label: string; colour: string };

/**
 * Each crash trial as a row, in two panels with their own scales (the failover takes milliseconds,
 * the relaunch seconds): what happened when, in ms after the kill -9 of the primary.
 */
export function failoverSvg(fo: FailoverResult): string {
  const trials = fo.crash;
  const rowH = 16;
  const top = 86;
  const panelW = 380;
  const labelW = 70;
  const width = labelW + 2 * panelW + 40;
  const height = top + trials.length * rowH + 46;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${labelW}" y="18" font-size="14">Passive failover: kill -9 of the primary at 0 ms, ${fo.loadClients} clients under load</text>`);
  trials.forEach((t, i) => {
    const y = top + i * rowH + rowH / 2;
    out.push(`<text x="${labelW - 6}" y="${y + 4}" text-anchor="end">${t.trial}: ${t.victim}→${t.newPrimary}</text>`);
  });
  const panel = (x0: number, events: readonly TrialEvent[], title: string) => {
    const plot = panelW - 20;
    const max = Math.max(10, ...trials.flatMap((t) => events.map((e) => t[e.key])));
    const step = niceStep(max);
    const hi = Math.ceil(max / step) * step;
    const x = (v: number) => x0 + (plot * v) / hi;
    out.push(`<text x="${x0}" y="40" font-weight="bold">${esc(title)}</text>`);
    events.forEach((e, i) => {
      const lx = x0 + (i % 3) * 125;
      const ly = 58 + Math.floor(i / 3) * 14;
      out.push(`<circle cx="${lx + 4}" cy="${ly - 4}" r="4" fill="${e.colour}"/><text x="${lx + 11}" y="${ly}">${esc(e.label)}</text>`);
    });
    for (let v = 0; v <= hi; v += step) {
      out.push(`<line x1="${x(v).toFixed(1)}" y1="${top - 4}" x2="${x(v).toFixed(1)}" y2="${top + trials.length * rowH}" stroke="#ddd"/>`);
      out.push(`<text x="${x(v).toFixed(1)}" y="${top + trials.length * rowH + 16}" text-anchor="middle">${v}</text>`);
    }
    trials.forEach((t, i) => {
      const y = top + i * rowH + rowH / 2;
      const end = Math.max(...events.map((e) => t[e.key]));
      out.push(`<line x1="${x(0)}" y1="${y}" x2="${x(end).toFixed(1)}" y2="${y}" stroke="#bbb"/>`);
      for (const e of events) out.push(`<circle cx="${x(t[e.key]).toFixed(1)}" cy="${y}" r="3.5" fill="${e.colour}" fill-opacity="0.85"/>`);
    });
    out.push(`<text x="${x0 + plot / 2}" y="${height - 10}" text-anchor="middle">ms after kill -9</text>`);
  };
  panel(labelW, FAILOVER_EVENTS, 'failover: detection and the new primary');
  panel(labelW + panelW + 20, RELAUNCH_EVENTS, 'relaunch of the killed replica');
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function niceStep(max: number): number {
  const raw = max / 8;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (raw <= m * p) return m * p;
  return 10 * p;
}
