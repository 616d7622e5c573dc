/**
 * `steadfast scenario active|passive`: SPEC §7's eight steps against a fresh cluster of real
 * processes on free ports. Each step is printed as it runs, with PASS or FAIL and its evidence,
 * then a summary table; exit status 0 only when every step passed.
 *
 * The cluster: the given configuration (or the default) with every port replaced by a free one on
 * 127.0.0.1, written to a temporary ini file. The scenario's own timings replace the file's
 * (short ones, so that it finishes in well under a minute) unless given as flags, and so do
 * `app = log` and `durability = sync`. Each client's message is prefixed with its name
 * (`C1_hello_world`), so every log entry tells which client's request it is.
 */
import { GFD_NAME, RM_NAME } from '../protocol/links.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import type { ClusterConfig } from '../config/types.js';
import type { Mode } from '../protocol/frames.js';
import { loadApp } from '../app/load.js';
import { COMMON_HELP, UsageError, commonFlags, parse, positive, type Options } from './args.js';
import { configToIni } from './cluster/ini.js';
import { Labeler, colourWanted, eventText, table } from './cluster/output.js';
import { freePorts } from '../transport/query.js';
import { Scenario, StepFailure } from './cluster/scenario-steps.js';
import { MAIN } from './cluster/start.js';
import { Supervisor } from './cluster/supervisor.js';

export const SCENARIO_HELP = `steadfast scenario active|passive [--config FILE] [options]
Runs SPEC section 7's eight steps for that replication style against a fresh cluster of real
processes on free ports of 127.0.0.1 (the servers, LFDs and clients of the file, default the built-in
one; at least three servers). Prints each step with PASS or FAIL and its evidence, then a summary;
exit status 0 only when every step passed. Between steps the clients are paused (SIGSTOP), and the
serving replicas are checked: the same state and client table, no request applied twice, and every
answered request in the state at the position its client was told (app = log).
  --step-timeout S       seconds a step may take before it fails (default 20)
  --interval S           seconds between a client's requests (default 0.2)
  --heartbeat-freq S     (default 0.2)   --heartbeat-timeout S (default 0.6)   --checkpoint-freq S (default 1)
  --app log|status       (default log)   --durability sync|checkpoint (default sync)
  --progress N           replies each client must get after a failure to "go on" (default 3)
  --verbose              also print every role's lines, as NAME | line
  --keep-dir             keep the temporary directory (the ini file) afterwards

${COMMON_HELP}`;

/** The scenario's cluster: the base configuration on free local ports, with the scenario's settings. */
async function scenarioConfig(base: ClusterConfig, settings: Partial<ClusterConfig['cluster']>, intervalMs: number): Promise<ClusterConfig> {
  const host = '127.0.0.1';
  const ports = await freePorts(2 + 2 * base.servers.length, host);
  const take = () => ports.shift()!;
  return {
    ...base,
    cluster: { ...base.cluster, ...settings },
    rms: [{ name: RM_NAME, host, port: take() }],
    gfds: [{ name: GFD_NAME, host, port: take() }],
    servers: base.servers.map((s) => ({ name: s.name, host, port: take(), peerHost: host, peerPort: take() })),
    clients: base.clients.map((c) => ({ name: c.name, intervalMs, message: `${c.name}_${c.message}` })),
  };
}

interface Result {
  n: number;
  title: string;
  outcome: 'PASS' | 'FAIL' | 'not run';
  ms: number;
}

/** The flags of this command besides the common ones (docs/configuration.md lists them). */
export const SCENARIO_OPTIONS = {
  'step-timeout': { type: 'string' },
  interval: { type: 'string' },
  progress: { type: 'string' },
  verbose: { type: 'boolean' },
  'keep-dir': { type: 'boolean' },
} as const satisfies Options;

export async function scenarioCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, SCENARIO_OPTIONS, true);
  const flags = commonFlags(values);
  if (flags.help) return void console.log(SCENARIO_HELP), 0;
  const [modeArg, ...extra] = positionals;
  if (modeArg !== 'active' && modeArg !== 'passive') throw new UsageError(`scenario: say active or passive (steadfast scenario active|passive)`);
  if (extra.length > 0) throw new UsageError(`scenario: unexpected '${extra[0]}'`);
  if (flags.inspect) throw new UsageError('--inspect: not for scenario (watch a cluster with: steadfast cluster --inspect)');
  const mode: Mode = modeArg;
  if (flags.overrides.mode !== undefined && flags.overrides.mode !== mode) throw new UsageError(`--mode ${flags.overrides.mode} contradicts 'scenario ${mode}'`);
  const o = flags.overrides;
  const settings = {
    mode,
    heartbeatFreqMs: o.heartbeatFreqMs ?? 200,
    heartbeatTimeoutMs: o.heartbeatTimeoutMs ?? 600,
    checkpointFreqMs: o.checkpointFreqMs ?? 1000,
    durability: o.durability ?? 'sync',
    app: o.app ?? 'log',
  } as const;
  if (settings.heartbeatTimeoutMs <= settings.heartbeatFreqMs) {
    throw new UsageError(`--heartbeat-timeout (${settings.heartbeatTimeoutMs / 1000} s) must exceed the heartbeat frequency (${settings.heartbeatFreqMs / 1000} s)`);
  }
  // The scenario writes its own ini, so only the flag can name a module: checked before anything starts.
  const app = await loadApp(settings.app, '--app');
  const stepTimeoutMs = positive('--step-timeout', values['step-timeout'], 20) * 1000;
  const intervalMs = positive('--interval', values.interval, 0.2) * 1000;
  const progress = positive('--progress', values.progress, 3, true);

  const base = loadConfig({ path: flags.configPath });
  if (base.servers.length < 3) throw new UsageError(`scenario: ${base.source} has ${base.servers.length} servers; section 7's steps need at least 3`);
  const unwatched = base.servers.filter((s) => !base.lfds.some((l) => l.server === s.name));
  if (unwatched.length > 0) throw new UsageError(`scenario: no LFD launches ${unwatched.map((s) => s.name).join(', ')} in ${base.source}`);
  if (base.clients.length === 0) throw new UsageError(`scenario: ${base.source} defines no client`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'steadfast-scenario-'));
  const file = path.join(dir, 'cluster.ini');
  const wanted = await scenarioConfig(base, settings, intervalMs);
  writeFileSync(file, configToIni(wanted, `steadfast scenario ${mode}: ${base.source} on free ports, with the scenario's settings`), { mode: 0o600 });
  const config = loadConfig({ path: file });

  const colour = colourWanted();
  const paint = (text: string, code: number) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
  const say = (line = '') => void process.stdout.write(line + '\n');
  const labeler = new Labeler(['RM', 'GFD', ...config.lfds.map((l) => l.name), ...config.servers.map((s) => s.name), ...config.clients.map((c) => c.name)], colour);
  /** The last role lines (not heartbeats), shown when a step fails. */
  const recent: string[] = [];
  const sup = new Supervisor({
    main: MAIN,
    roleArgs: ['--config', file, '--log-format', 'json', '--log-level', 'info'],
    cwd: dir,
    onLine: (name, raw, event) => {
      const text = event ? eventText(event.data) : raw;
      if (values.verbose) say(labeler.line(name, text));
      if (event && (event.event === 'server.heartbeat' || event.event === 'lfd.heartbeat')) return;
      recent.push(labeler.line(name, text));
      if (recent.length > 30) recent.shift();
    },
  });

  const scenario = new Scenario(sup, { mode, config, app, stepTimeoutMs, progress });
  const k = config.cluster;
  say(`steadfast scenario ${mode}: ${config.servers.map((s) => s.name).join(', ')} with ${config.lfds.map((l) => l.name).join(', ')}, ` +
    `clients ${scenario.clients.join(', ')}, on 127.0.0.1 (RM port ${config.rms[0]!.port}, GFD port ${config.gfds[0]!.port})`);
  say(`  app ${k.app}, durability ${k.durability}, heartbeat every ${k.heartbeatFreqMs / 1000} s (timeout ${k.heartbeatTimeoutMs / 1000} s), ` +
    `checkpoint every ${k.checkpointFreqMs / 1000} s, client interval ${intervalMs / 1000} s; config ${file}`);

  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    say('interrupted: stopping the cluster');
    scenario.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const steps = scenario.steps();
  const results: Result[] = [];
  const t0 = Date.now();
  let failed = false;
  const runOne = async (n: number, title: string, body: () => Promise<void>) => {
    if (failed || interrupted) return void results.push({ n, title, outcome: 'not run', ms: 0 });
    say();
    say(n > steps.length ? `final: ${title}` : `step ${n}/${steps.length}: ${title}`);
    const start = Date.now();
    scenario.begin();
    let error: Error | null = null;
    try {
      await body();
    } catch (err) {
      error = err as Error;
    }
    const ms = Date.now() - start;
    for (const line of scenario.evidence) say(`    ${line}`);
    if (error === null) {
      say(`  ${paint('PASS', 32)} (${(ms / 1000).toFixed(1)} s)`);
      results.push({ n, title, outcome: 'PASS', ms });
      return;
    }
    failed = true;
    results.push({ n, title, outcome: 'FAIL', ms });
    say(`  ${paint('FAIL', 31)} (${(ms / 1000).toFixed(1)} s): ${error instanceof StepFailure ? error.message : (error.stack ?? error.message)}`);
    say(`    the last lines of the roles:`);
    for (const line of recent) say(`      ${line}`);
  };

  for (const [i, step] of steps.entries()) await runOne(i + 1, step.title, step.run);
  await runOne(steps.length + 1, 'the clients stop; every answered request is checked once more', () => scenario.finalCheck());

  say();
  say('stopping the cluster');
  await sup.stopAll();
  const left = sup.alivePids();
  if (left.length > 0) say(`${paint('still running', 31)} after stop: pids ${left.join(', ')}`);
  else say(`stopped: ${sup.pids.size} processes started, none left running`);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (values['keep-dir']) say(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });

  const total = Date.now() - t0;
  const passed = results.filter((r) => r.outcome === 'PASS').length;
  say();
  say(`summary: scenario ${mode}`);
  const rows = [['step', 'result', 'time', 'what'], ...results.map((r) => [String(r.n > steps.length ? 'final' : r.n), r.outcome, r.outcome === 'not run' ? '-' : `${(r.ms / 1000).toFixed(1)} s`, r.title])];
  for (const row of table(rows)) say(`  ${row}`);
  const ok = passed === results.length && left.length === 0 && !interrupted;
  say(ok
    ? paint(`all ${steps.length} steps passed in ${(total / 1000).toFixed(1)} s`, 32)
    : paint(`${results.length - passed} of ${results.length} checks did not pass (${(total / 1000).toFixed(1)} s)`, 31));
  return ok ? 0 : 1;
}
