/**
 * `steadfast chaos --mode active|passive --seconds N [--app log|kv]`: a cluster of real processes
 * on free local ports, several clients recording their histories (`client --history`), and N
 * seconds of faults against the servers — kill -9, SIGSTOP then SIGCONT (short, or past the
 * heartbeat timeout so the LFD kills the process), SIGTERM (a drain the LFD restarts) — aimed
 * at the primary (the sequencer) most of all. A fault hits a server only while another one serves
 * and is not paused, so the state is never lost by design. Then the faults stop, the cluster must
 * recover (every server serving), the clients stop, the replicas must agree, and the clients'
 * histories with the final state must be linearizable (`src/check/apps.ts`: the log as a list, kv
 * as a map checked per key; kv clients send generated requests, `chaos-feed.ts`). With
 * `--coordinator etcd` it starts a local etcd, two RMs and two GFDs, and kills and freezes the leading
 * RM and the leading GFD too. With `--hosts N` the roles run on test hosts, and with `--partitions`
 * the network between them fails too (`chaos-hosts.ts`).
 * Prints the operations, the faults by kind and the verdict; exit status 0 only on PASS.
 */
import { GFD_NAME } from '../protocol/links.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mulberry32 } from '../random.js';
import { checkHistory } from '../check/apps.js';
import { operationsOf, parseHistory } from '../check/history.js';
import { loadConfig } from '../config/load.js';
import type { ClusterConfig } from '../config/types.js';
import type { Mode, RmStatusFrame, ServerStatusFrame } from '../protocol/frames.js';
import { COMMON_HELP, UsageError, commonFlags, parse, positive, type Options } from './args.js';
import { configToIni } from './cluster/ini.js';
import { pollUntil } from './cluster/liveness.js';
import { freePorts, queryLeaderRm, queryServer, reachable } from '../transport/query.js';
import { MAIN, StartError, startGfd, startLfd, startRm } from './cluster/start.js';
import { haveEtcd, startLocalEtcd, stopLocalEtcd, type EtcdCluster } from '../coordination/local-etcd.js';
import { Supervisor } from './cluster/supervisor.js';
import { describeState, firstDifference, kvMix, type ChaosApp } from './chaos-describe.js';
import { KvFeeder } from './chaos-feed.js';
import { LOSS_PCT, NetworkFaults, placeOnHosts, type Placement } from './chaos-hosts.js';
import { canMakeHosts, TestNetwork } from '../hosts/network.js';

export const CHAOS_HELP = `steadfast chaos --mode active|passive --seconds N [options]
Runs a cluster of real processes on free ports of 127.0.0.1 (the first three servers of the file
with their LFDs, default S1-S3; RM, GFD; app = log or kv, durability = sync), several clients recording their histories, and N seconds of
faults against the servers, the primary (sequencer) most of all: kill -9, SIGSTOP then SIGCONT,
SIGTERM (a drain: the server hands its role over, stops, and its LFD starts it again). Then the
cluster must recover, the replicas must agree and the clients' histories must be linearizable. Prints operations, faults by kind and the verdict; exit status 0 only on PASS.
  --app log|kv        the application (default log): kv clients send generated get/put/cas/del
                      requests on a few keys, checked per key (status is refused: a register's
                      history shows too little)
  --seconds N         seconds of faults (default 60)
  --clients N         clients (default 3)
  --interval S        seconds between a client's requests (default 0.05)
  --every S           mean seconds between faults (default 1.5)
  --seed N            the fault schedule's seed (default: drawn and printed)
  --coordinator none|etcd  etcd: a local etcd (Debian's etcd-server), two RMs and two GFDs; the
                      leading RM and GFD are killed -9 (and started again) or frozen past their lease too,
                      in turn
  --leader-faults P   with etcd, the share of faults aimed at the leaders (default 0.2)
  --hosts N           run on N test hosts (network namespaces; root, iproute2 and nftables): the RM
                      and GFD on the first, a server and its LFD on each other (N >= 3); the
                      clients reach every host
  --partitions        with --hosts, network faults too: a host cut off (a server's, the primary's
                      most of all, or the RM's and GFD's), a one-way cut, ${LOSS_PCT}% loss on every link
  --heartbeat-freq S  (default 0.25)   --heartbeat-timeout S (default 1)   --checkpoint-freq S (default 1)
  --keep-dir          keep the temporary directory (ini file, histories)
  --verbose           print every role's lines as they come

${COMMON_HELP}`;

type FaultKind = 'kill' | 'stop-short' | 'stop-long' | 'term';

/** Of the faults with `--partitions`, the share that fails the network. */
const NETWORK_FAULTS = 0.35;

/** Of the faults, the share aimed at the leading RM or GFD (in turn) with a coordinator, by default. */
const LEADER_FAULTS = 0.2;
/** The leaders' lease with a coordinator, in seconds. */
const LEASE_TTL_S = 2;

/**
 * The servers (up to three, each with its LFD) of the given or default file, on free local ports;
 * with `etcd`, two RMs and two GFDs coordinated by it.
 */
async function chaosConfig(
  base: ClusterConfig,
  app: ChaosApp,
  mode: Mode,
  clients: number,
  intervalMs: number,
  timing: { freq: number; timeout: number; checkpoint: number },
  etcd: EtcdCluster | null,
): Promise<ClusterConfig> {
  const host = '127.0.0.1';
  const servers = base.servers.filter((s) => base.lfds.some((l) => l.server === s.name)).slice(0, 3);
  const pairs = etcd === null ? 1 : 2;
  const ports = await freePorts(2 * pairs + 2 * servers.length, host);
  const take = () => ports.shift()!;
  const rms = Array.from({ length: pairs }, (_, i) => ({ name: etcd === null ? 'RM' : `RM${i + 1}`, host, port: take() }));
  const gfds = Array.from({ length: pairs }, (_, i) => ({ name: etcd === null ? GFD_NAME : `GFD${i + 1}`, host, port: take() }));
  return {
    ...base,
    cluster: { ...base.cluster, mode, heartbeatFreqMs: timing.freq, heartbeatTimeoutMs: timing.timeout, checkpointFreqMs: timing.checkpoint, durability: 'sync', app },
    etcd: etcd === null ? null : { endpoints: etcd.endpoints, prefix: '/steadfast-chaos/', leaseTtlS: LEASE_TTL_S },
    rms,
    gfds,
    servers: servers.map((s) => ({ name: s.name, host, port: take(), peerHost: host, peerPort: take() })),
    lfds: base.lfds.filter((l) => servers.some((s) => s.name === l.server)),
    clients: Array.from({ length: clients }, (_, i) => ({ name: `C${i + 1}`, intervalMs, message: `c${i + 1}-` })),
  };
}

/** The flags of this command besides the common ones (docs/configuration.md lists them). */
export const CHAOS_OPTIONS = {
  seconds: { type: 'string' },
  clients: { type: 'string' },
  interval: { type: 'string' },
  every: { type: 'string' },
  'leader-faults': { type: 'string' },
  seed: { type: 'string' },
  'keep-dir': { type: 'boolean' },
  verbose: { type: 'boolean' },
  coordinator: { type: 'string' },
  hosts: { type: 'string' },
  partitions: { type: 'boolean' },
} as const satisfies Options;

export async function chaosCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, CHAOS_OPTIONS);
  const flags = commonFlags(values);
  if (flags.help) return void console.log(CHAOS_HELP), 0;
  const mode = flags.overrides.mode;
  if (mode === undefined) throw new UsageError('chaos: say --mode active or --mode passive');
  const seconds = positive('--seconds', values.seconds, 60);
  const clientCount = positive('--clients', values.clients, 3, true);
  const intervalMs = positive('--interval', values.interval, 0.05) * 1000;
  const everyMs = positive('--every', values.every, 1.5) * 1000;
  const leaderShare = positive('--leader-faults', values['leader-faults'], LEADER_FAULTS);
  if (leaderShare > 1) throw new UsageError(`--leader-faults: a share, at most 1: ${leaderShare}`);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : positive('--seed', values.seed, 1, true);
  const o = flags.overrides;
  const timing = { freq: o.heartbeatFreqMs ?? 250, timeout: o.heartbeatTimeoutMs ?? 1000, checkpoint: o.checkpointFreqMs ?? 1000 };
  if (timing.timeout <= timing.freq) throw new UsageError(`--heartbeat-timeout must exceed the heartbeat frequency`);
  if (o.durability === 'checkpoint') throw new UsageError('chaos: durability = checkpoint may lose answered requests by design; chaos checks sync only');
  const app = o.app ?? 'log';
  if (app === 'status') throw new UsageError('chaos: a status history says too little (a register: only the final state is ever read); use --app log or --app kv');
  if (app !== 'log' && app !== 'kv') throw new UsageError(`chaos: checks the histories of log or kv, not ${app}`);

  const coordinator = values.coordinator ?? 'none';
  if (coordinator !== 'none' && coordinator !== 'etcd') throw new UsageError(`--coordinator: not none or etcd: '${coordinator}'`);
  if (coordinator === 'etcd' && !haveEtcd()) throw new UsageError('chaos --coordinator etcd: no etcd here (install Debian\'s etcd-server)');
  const hostCount = values.hosts === undefined ? 0 : positive('--hosts', values.hosts, 0, true);
  if (values.hosts !== undefined) {
    if (hostCount < 3) throw new UsageError(`--hosts: at least 3 (the RM's and GFD's, and two servers'): ${hostCount}`);
    if (coordinator === 'etcd') throw new UsageError('chaos: --hosts with --coordinator etcd is not supported yet (etcd would run outside the hosts)');
    const missing = canMakeHosts();
    if (missing !== null) throw new UsageError(`chaos --hosts: test hosts need root, iproute2 and nftables: ${missing}`);
  }
  if (values.partitions && hostCount === 0) throw new UsageError('chaos --partitions: say --hosts N (partitions need hosts to cut apart)');

  const base = loadConfig({ path: flags.configPath });
  if (base.servers.filter((s) => base.lfds.some((l) => l.server === s.name)).length < 2) {
    throw new UsageError(`chaos: ${base.source} needs at least two servers, each with an LFD`);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'steadfast-chaos-'));
  const file = path.join(dir, 'cluster.ini');
  const etcd = coordinator === 'etcd' ? await startLocalEtcd(1) : null;
  const network = hostCount > 0 ? TestNetwork.create(hostCount) : null;
  let chaos = await chaosConfig(base, app, mode, clientCount, intervalMs, timing, etcd);
  let placement: Placement | null = null;
  if (network !== null) ({ config: chaos, placement } = placeOnHosts(chaos, network));
  writeFileSync(file, configToIni(chaos, `steadfast chaos --mode ${mode} --app ${app}: a fresh local cluster`), { mode: 0o600 });
  const config = loadConfig({ path: file });
  const say = (line = '') => void process.stdout.write(line + '\n');
  const feeder = app === 'kv' ? new KvFeeder(seed) : null;
  const sup = new Supervisor({
    main: MAIN,
    roleArgs: ['--config', file, '--log-format', 'json', '--log-level', 'info'],
    cwd: dir,
    keep: (event) => event === 'rm.primary' || event === 'client.allDead' || event === 'lfd.launching' || event === 'leadership',
    ...(placement && { hostOf: placement.hostOf }),
    onLine: (name, raw, event) => {
      if (values.verbose) say(`${name} | ${raw}`);
      if (feeder && event) feeder.took(event.name, event.event, event.data);
    },
  });
  const servers = config.servers.map((s) => s.name);
  const clients = config.clients.map((c) => c.name);
  const historyFile = (c: string) => path.join(dir, `${c}.history.jsonl`);
  const k = config.cluster;
  say(`steadfast chaos --mode ${mode} --app ${app} --seconds ${seconds} --seed ${seed}: ${servers.join(', ')}, clients ${clients.join(', ')} every ${intervalMs / 1000} s, ` +
    `heartbeat ${k.heartbeatFreqMs / 1000} s / timeout ${k.heartbeatTimeoutMs / 1000} s, checkpoint ${k.checkpointFreqMs / 1000} s; in ${dir}`);
  if (placement) {
    const onHosts = [...placement.serverHosts].map(([server, host]) => `${server} ${host.address}`);
    say(`on ${hostCount} test hosts: RM and GFD ${placement.control.address}, ${onHosts.join(', ')}; clients from ${network!.observer}${values.partitions ? '; with partitions' : ''}`);
  }

  let interrupted = false;
  const onSignal = () => {
    if (!interrupted) say('interrupted: stopping');
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const rmStatus = async (): Promise<RmStatusFrame | null> => {
    try {
      return await queryLeaderRm(config, 1000);
    } catch {
      return null;
    }
  };
  const serverStatus = async (name: string): Promise<ServerStatusFrame | null> => {
    const s = config.servers.find((x) => x.name === name)!;
    const at = reachable(s);
    try {
      return await queryServer(at.host, at.port, name, 2000, config.cluster.tls);
    } catch {
      return null;
    }
  };
  /** Every server serving, as the RM and the servers themselves say. */
  const allServing = async (): Promise<boolean> => {
    const rm = await rmStatus();
    if (!rm || rm.primary === null || servers.some((s) => rm.members.find((m) => m.server === s)?.phase !== 'ready')) return false;
    const st = await Promise.all(servers.map(serverStatus));
    return st.every((s) => s !== null && s.phase === 'ready');
  };

  const faults: Record<string, number> = {};
  const count = (what: string) => void (faults[what] = (faults[what] ?? 0) + 1);
  const problems: string[] = [];
  const paused = new Map<string, NodeJS.Timeout>();
  /** SIGCONT to the server's latest process (harmless if the LFD killed and replaced the paused one). */
  const resume = (server: string) => {
    paused.delete(server);
    sup.signal(server, 'SIGCONT');
  };
  /**
   * The leading RM or GFD killed -9 (started again a lease later, as a standby) or frozen past its
   * lease (then thawed), only while the other of its kind runs, so that one can always take over.
   */
  const leadersDown = { rm: new Set<string>(), gfd: new Set<string>() };
  /** The kind the next leader fault hits: RM and GFD take turns, so that a short run meets both. */
  let nextLeader: 'rm' | 'gfd' = 'rm';
  const leaderFault = async (kind: 'rm' | 'gfd', leader: string | null, r: () => number): Promise<void> => {
    if (leader === null) return;
    const standby = (kind === 'rm' ? config.rms : config.gfds).find((x) => x.name !== leader)!.name;
    const down = leadersDown[kind];
    if (down.size > 0 || sup.stateOf(standby) !== 'running' || sup.stateOf(leader) !== 'running') return;
    down.add(leader);
    nextLeader = kind === 'rm' ? 'gfd' : 'rm';
    const leaseMs = LEASE_TTL_S * 1000;
    const noun = kind.toUpperCase();
    if (r() < 0.5) {
      sup.signal(leader, 'SIGKILL');
      count(`kill leading ${noun}`);
      const start = kind === 'rm' ? startRm : startGfd;
      setTimeout(() => void start(sup, config, leader, 10_000).catch((err: Error) => problems.push(`${leader} did not start again: ${err.message}`)).finally(() => down.delete(leader)), leaseMs + 500);
    } else {
      sup.signal(leader, 'SIGSTOP');
      count(`stop leading ${noun}`);
      setTimeout(() => (sup.signal(leader, 'SIGCONT'), down.delete(leader)), leaseMs + 1000 + r() * 1000);
    }
  };
  /** The GFD whose latest leadership line says it leads. */
  const leadingGfd = (): string | null => {
    const latest = config.gfds.map((g) => sup.events((e) => e.event === 'leadership' && e.name === g.name).at(-1));
    return latest.find((e) => e?.data.state === 'leading')?.name ?? null;
  };
  let ops = { total: 0, completed: 0, unknown: 0 };
  let mix = '';
  let verdictLines: string[] = [];
  const r = mulberry32(seed);
  const netFaults = values.partitions ? new NetworkFaults(network!, placement!, k.heartbeatTimeoutMs, r) : null;

  try {
    for (const rm of config.rms) await startRm(sup, config, rm.name, 10_000);
    for (const gfd of config.gfds) await startGfd(sup, config, gfd.name, 10_000);
    await Promise.all(config.lfds.map((l) => startLfd(sup, config, l.name, 10_000)));
    if (!(await pollUntil(allServing, 20_000, 100))) throw new StartError('the cluster did not come up: not every server serves within 20 s');
    // A partition may suspend every replica for a while: the clients wait it out.
    const patience = netFaults ? ['--no-give-up'] : [];
    for (const c of config.clients) {
      if (!feeder) sup.start(c.name, 'client', ['--history', historyFile(c.name), ...patience]);
      else {
        const m = sup.start(c.name, 'client', ['--history', historyFile(c.name), '--stdin', ...patience], { stdin: true });
        feeder.add(c.name, c.message, m.child.stdin!);
      }
    }
    const pids = [...[...sup.members.values()].map((m) => `${m.name} pid ${m.pid}`), ...servers.map((s) => `${s} pid ${sup.pidOf(s)}`)];
    say(`cluster up (${pids.join(', ')}); ${clients.length} clients started; faults for ${seconds} s`);

    // ---------------------------------------------------------------------------------------
    // Faults
    const T = k.heartbeatTimeoutMs;
    /**
     * Under partitions the RM's view may be stale (it is cut off, or not told yet): a server counts
     * as holding the state only if it says so itself too (a suspended one may lack what was
     * answered since; a relaunched one holds nothing).
     */
    const saysReady = async (s: string) => !netFaults || (await serverStatus(s))?.phase === 'ready';
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end && !interrupted) {
      await new Promise((res) => setTimeout(res, everyMs * (0.5 + r())));
      if (Date.now() >= end || interrupted) break;
      const rm = await rmStatus();
      if (!rm) continue;
      if (etcd !== null && r() < leaderShare) {
        await leaderFault(nextLeader, nextLeader === 'rm' ? rm.from : leadingGfd(), r);
        continue;
      }
      const primary = rm.primary !== null && servers.includes(rm.primary) ? rm.primary : null;
      if (netFaults && !netFaults.active && r() < NETWORK_FAULTS) {
        count(netFaults.strike(primary, mode === 'active' ? 'sequencer' : 'primary')!);
        continue;
      }
      const holding = new Set<string>();
      for (const s of servers) {
        const ready = rm.members.find((m) => m.server === s)?.phase === 'ready' && !paused.has(s) && sup.stateOf(s) === 'running';
        if (ready && (await saysReady(s))) holding.add(s);
      }
      const healthy = (s: string) => holding.has(s);
      const aimAtPrimary = primary !== null && r() < 0.7;
      const target = aimAtPrimary ? primary : servers[Math.floor(r() * servers.length)]!;
      const role = target === primary ? (mode === 'active' ? 'sequencer' : 'primary') : 'backup';
      const pick = r();
      const kind: FaultKind = pick < 0.55 ? 'kill' : pick < 0.72 ? 'stop-short' : pick < 0.87 ? 'stop-long' : 'term';
      // Another replica must certainly hold the state, and the target must run (not paused already).
      if (!servers.some((s) => s !== target && healthy(s)) || paused.has(target) || sup.stateOf(target) !== 'running') continue;
      if (sup.pidOf(target) === null) continue;
      if (kind === 'kill') sup.signal(target, 'SIGKILL');
      else if (kind === 'term') sup.signal(target, 'SIGTERM');
      else {
        const ms = kind === 'stop-short' ? T * (0.2 + 0.5 * r()) : T * (1.5 + r());
        sup.signal(target, 'SIGSTOP');
        paused.set(target, setTimeout(() => resume(target), ms));
      }
      count(`${kind} ${role}`);
    }
    netFaults?.healAll();
    for (const [server, timer] of paused) {
      clearTimeout(timer);
      resume(server);
    }
    for (const leader of [...config.rms, ...config.gfds]) sup.signal(leader.name, 'SIGCONT');
    await pollUntil(() => leadersDown.rm.size + leadersDown.gfd.size === 0, 20_000, 100);
    if (interrupted) throw new StartError('interrupted before the checks');

    // ---------------------------------------------------------------------------------------
    // Recovery, quiescence, checks
    say(`faults stop; waiting for every server to serve again`);
    const recovered = await pollUntil(allServing, 30_000, 200);
    if (!recovered) problems.push('the cluster did not recover: not every server serves 30 s after the faults stopped');
    const gaveUp = sup.events((e) => e.event === 'client.allDead');
    const exited = clients.filter((c) => sup.members.get(c)?.exit !== null);
    if (gaveUp.length > 0 || exited.length > 0) problems.push(`clients exited before the end: ${exited.join(', ') || gaveUp.map((e) => e.name).join(', ')}`);
    for (const c of clients) sup.signal(c, 'SIGTERM');
    await pollUntil(() => clients.every((c) => sup.members.get(c)?.exit !== null), 5000, 50);

    // Quiescence: the serving replicas report the same log twice in a row.
    let states: (ServerStatusFrame | null)[] = [];
    let agreed = false;
    let previous = '';
    await pollUntil(async () => {
      states = await Promise.all(servers.map(serverStatus));
      const shown = states.map((s) => (s ? `${s.phase} ${s.state} ${s.clients.map((c) => `${c.client}:${c.num}:${c.reply}`).join(';')}` : 'none'));
      agreed = shown.every((x) => x === shown[0]) && states.every((s) => s?.phase === 'ready');
      const stable = agreed && shown[0] === previous;
      previous = shown[0]!;
      return stable;
    }, 10_000, 300);
    if (!agreed) {
      const summary = states.map((s, i) => `${servers[i]} ${s ? `${s.phase}, ${describeState(app, s.state)}, clients ${s.clients.map((c) => `${c.client}:${c.num}`).join(' ')}` : 'no answer'}`);
      problems.push(`the replicas differ: ${summary.join('; ')}`);
      const a = states[0];
      for (const [i, b] of states.entries()) {
        const where = a && b && i > 0 ? firstDifference(app, a.state, b.state) : null;
        if (where) problems.push(`  ${servers[0]} and ${servers[i]}: ${where}`);
      }
    }
    const primary = (await rmStatus())?.primary ?? null;
    const at = servers.indexOf(primary ?? '');
    const holder = states[at] ? at : states.findIndex((s) => s !== null);
    const final = holder < 0 ? undefined : states[holder]!.state;

    const histories = clients.map((c) => {
      try {
        return parseHistory(readFileSync(historyFile(c), 'utf8'), historyFile(c));
      } catch (err) {
        problems.push(`${c}: ${(err as Error).message}`);
        return [];
      }
    });
    const operations = operationsOf(...histories);
    ops = { total: operations.length, completed: operations.filter((x) => x.complete !== null).length, unknown: operations.filter((x) => x.complete === null).length };
    if (app === 'kv') mix = kvMix(operations);
    const t0 = performance.now();
    const v = checkHistory(app, operations, { finalSnapshot: final });
    const ms = performance.now() - t0;
    const shown = final === undefined ? 'no final state' : `${servers[holder]}'s final ${describeState(app, final)}`;
    verdictLines = [
      `linearizability (${v.method} check${app === 'kv' ? ' per key' : ''} with ${shown}, ${ms.toFixed(0)} ms): ` +
        (v.ok === true ? 'linearizable' : `${v.ok === false ? 'NOT linearizable' : 'undecided'}: ${v.reason}`),
      `replicas: ${agreed && final !== undefined ? `all ${servers.length} serve the same ${describeState(app, final)} and the same client table` : 'DIFFER'}`,
    ];
    if (v.ok !== true) problems.push(`the history is ${v.ok === false ? 'not linearizable' : 'undecided'}`);
    if (ops.completed === 0) problems.push('no operation completed');
  } catch (err) {
    problems.push(err instanceof StartError ? err.message : String((err as Error)?.stack ?? err));
  } finally {
    for (const timer of paused.values()) clearTimeout(timer);
    netFaults?.healAll();
    await sup.stopAll();
    network?.remove();
    if (etcd !== null) await stopLocalEtcd(etcd);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const left = sup.alivePids();
  if (left.length > 0) problems.push(`still running after stop: pids ${left.join(', ')}`);
  if (interrupted) problems.push('interrupted');

  const failovers = sup.events((e) => e.event === 'rm.primary').length - 1;
  const launches = sup.events((e) => e.event === 'lfd.launching').length - servers.length;
  const kinds = Object.keys(faults).sort();
  const total = kinds.reduce((n, kd) => n + faults[kd]!, 0);
  const seqWord = mode === 'active' ? 'sequencer' : 'primary';
  say();
  say(`operations: ${ops.total} (${ops.completed} completed, ${ops.unknown} unknown)${mix ? `: ${mix}` : ''}`);
  say(`faults: ${total}${kinds.length ? ` (${kinds.map((kd) => `${kd} ${faults[kd]}`).join(', ')})` : ''}`);
  say(`${seqWord} kills (kill -9): ${faults[`kill ${seqWord}`] ?? 0}; ${seqWord} changes: ${Math.max(0, failovers)}; relaunches: ${Math.max(0, launches)}`);
  if (etcd !== null) {
    for (const [noun, names] of [['RM', config.rms], ['GFD', config.gfds]] as const) {
      const of = (e: { event: string; name: string }) => e.event === 'leadership' && names.some((x) => x.name === e.name);
      const takeovers = sup.events((e) => of(e) && e.data.state === 'leading').length - 1;
      const deposed = sup.events((e) => of(e) && e.data.reason !== undefined).length;
      say(`${noun} takeovers: ${Math.max(0, takeovers)}; leaders deposed (frozen past the lease): ${deposed}`);
    }
  }
  for (const line of verdictLines) say(line);
  for (const p of problems) say(`problem: ${p}`);
  if (values['keep-dir']) say(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
  const ok = problems.length === 0;
  say(`verdict: ${ok ? 'PASS' : 'FAIL'}`);
  return ok ? 0 : 1;
}
