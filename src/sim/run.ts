/**
 * One simulated run from a seed: the seed draws the cluster (mode, durability, timings, servers,
 * clients) and, as the run goes, the faults; the world runs the real machines; the checker watches.
 *
 * Timeline (5 simulated minutes by default): faults from 3 s until 75 s before the end; those under
 * way then end as planned (hung servers resume, partitions heal, crashed roles restart, all within
 * 4 × heartbeat_timeout + 1 s) and the cluster has the rest of a minute to relaunch and recover; the
 * clients stop 15 s before the end; the final checks run at the end. A violation stops the run at
 * once (it is what the seed is for).
 */
import { plant, type PlantedBug } from '../core/switches.js';
import { Checker, type Violation } from './invariants.js';
import { PENDING_BUGS, type PendingBug } from './pending.js';
import { hostOf } from './net.js';
import { Scheduler, streams, type Timer } from './scheduler.js';
import { Trace } from './trace.js';
import type { ServerContext } from '../actors/server.js';
import { isDraining } from '../actors/server-phase.js';
import type { Mode } from '../protocol/frames.js';
import type { App } from '../app/app.js';
import { BUILT_IN_APPS, isBuiltInApp } from '../app/index.js';
import { loadApp } from '../app/load.js';
import { clientHost, GFD_HOST, RM_HOST, serverHost, World, type ServerProc, type SimApp, type SimConfig } from './world.js';

export const FAULT_KINDS = [
  'crash-server',
  'hang-server',
  'crash-lfd',
  'crash-gfd',
  'crash-rm',
  'drop-link',
  'slow-link',
  'partition',
] as const;
/**
 * With disks (`RunOptions.disks`) the schedule draws from these: a power cut of the whole cluster
 * too. A separate list, so that a run without disks draws its faults as it always did.
 */
export const DISK_FAULT_KINDS = [...FAULT_KINDS, 'power-cut'] as const;
/** With drains (`RunOptions.drains`): a server told to hand its role over and stop (SIGTERM), too. */
export const DRAIN_FAULT_KINDS = [...FAULT_KINDS, 'drain-server'] as const;
export const ALL_FAULT_KINDS = [...DISK_FAULT_KINDS, 'drain-server'] as const;
export type FaultKind = (typeof ALL_FAULT_KINDS)[number];

export interface RunOptions {
  seed: number;
  /**
   * The replicated application, as `[cluster] app` names it (default `log`). Not drawn from the
   * seed, so a seed's cluster and faults are the same under any. Other than a built-in app, it
   * must be loaded first: `runAppSeed`.
   */
  app?: SimApp;
  /** An app other than log and kv without a `sample`: the request lines its clients draw from. */
  requests?: string[];
  /** Simulated minutes (default 5). */
  minutes?: number;
  /** The cluster has a secret: every control link proves it (docs/protocol.md, Authenticated hellos). */
  secret?: boolean;
  /** Replication style of the cluster; drawn from the seed when not given. */
  mode?: Mode;
  /** At most this many faults (shrinking a failure: the first ones of the seed's schedule). */
  maxFaults?: number;
  /** The clients stop once they sent this many requests (shrinking a failure). */
  maxRequests?: number;
  /** Record every event each machine takes in the trace (slower; replays use it). */
  events?: boolean;
  /** Planted bugs to switch on for this run (test only). */
  plant?: PlantedBug[];
  /** Inject faults (default true). */
  faults?: boolean;
  /** Keep the trace in the result (default: only when the run failed). */
  keepTrace?: boolean;
  /**
   * Cut off servers' and the GFD's hosts for longer than failure detection takes (issue 19,
   * docs/partitions.md): a cut-off server's lease then runs out (it is suspended), and the RM may
   * lose every member it counted. Its own part of the CI batch (`test/sim/ci.ts`).
   */
  longPartitions?: boolean;
  /** S1 is started by hand and its LFD runs with `--no-launch` (`WorldOptions.byHand`). */
  byHand?: boolean;
  /** Pending bugs (`pending.ts`) whose triggers the schedule does not steer around. */
  allow?: PendingBug[];
  /**
   * Every server has a data folder (`[cluster] data_dir`) on a simulated disk that outlives its
   * processes, and the schedule cuts the whole cluster's power now and then (`power-cut`).
   */
  disks?: boolean;
  /** With disks: a power cut empties every disk instead (test only: the checker must see answers lost). */
  diskLoss?: boolean;
  /** The schedule drains servers too (`drain-server`: SIGTERM, a graceful hand-over, docs/operations.md). */
  drains?: boolean;
}

/** What every run of a campaign shares (its seed is the campaign's to give). */
export type RunShared = Omit<RunOptions, 'seed' | 'events' | 'keepTrace' | 'faults'>;

export interface RunResult {
  seed: number;
  config: SimConfig;
  simulatedMs: number;
  wallMs: number;
  violations: Violation[];
  faults: Record<FaultKind, number>;
  failovers: number;
  recoveries: number;
  answered: number;
  /** Requests the clients sent (a resend counts once). */
  requests: number;
  clientsGaveUp: number;
  timersFired: number;
  /** RM warnings (state lost). */
  warnings: string[];
  trace: Trace | null;
  /** The fault schedule as it happened, one line each. */
  schedule: string[];
  /** The command that replays this run. */
  replay: string;
  /** Pending bugs whose trigger the run hit (it does not count as failed for them). */
  pendingHits: { bug: PendingBug; at: number; detail: string }[];
}

const SIM_SECRET = 'the-simulated-cluster-secret';

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const between = (r: Rand, lo: number, hi: number): number => lo + r() * (hi - lo);

export function drawConfig(r: Rand, app: SimApp = 'log', only?: Mode): SimConfig {
  // Drawn even when fixed, so that the draws after it stay what they are for the seed.
  const drawn = r() < 0.5 ? 'active' : 'passive';
  const mode = only ?? drawn;
  const durability = mode === 'passive' && r() < 0.35 ? 'checkpoint' : 'sync';
  const heartbeatFreqS = pick(r, [0.5, 1, 1, 1]);
  const heartbeatTimeoutS = heartbeatFreqS * pick(r, [2, 3, 4]);
  const checkpointFreqS = pick(r, [1, 2, 5]);
  const servers = pick(r, [2, 3, 3, 3, 3, 4]);
  const clientCount = pick(r, [1, 2, 2, 3]);
  const clients = Array.from({ length: clientCount }, (_, i) => ({ name: `C${i + 1}`, intervalS: pick(r, [0.25, 0.5, 1, 2]) }));
  return { app, mode, durability, heartbeatFreqS, heartbeatTimeoutS, checkpointFreqS, servers, clients };
}

export function describeConfig(c: SimConfig): string {
  return (
    `${c.app === 'log' ? '' : `app=${c.app} `}${c.mode}${c.mode === 'passive' ? ` durability=${c.durability}` : ''}, ${c.servers} servers, ` +
    `heartbeat ${c.heartbeatFreqS} s / timeout ${c.heartbeatTimeoutS} s, checkpoint ${c.checkpointFreqS} s, ` +
    `clients ${c.clients.map((cl) => `${cl.name}@${cl.intervalS}s`).join(' ')}${c.secret !== undefined ? ', with a secret' : ''}${c.disks ? ', with disks' : ''}`
  );
}

/** A run of any application: its spec loaded first (`loadApp`, as `[cluster] app` is). */
export async function runAppSeed(options: RunOptions): Promise<RunResult> {
  return runSeed(options, await loadApp(options.app ?? 'log', 'simulator app'));
}

function builtInApp(spec: string): App<any> {
  if (!isBuiltInApp(spec)) throw new Error(`app = ${spec} is not built in: load it first (runAppSeed)`);
  return BUILT_IN_APPS[spec]!;
}

/** A run; `app` is the application `options.app` names, loaded. */
export function runSeed(options: RunOptions, app: App<any> = builtInApp(options.app ?? 'log')): RunResult {
  // Refused before the simulated clock replaces this thread's timers, rather than by a client mid-run.
  const fedOwnWorkload = options.app === undefined || options.app === 'log' || options.app === 'kv';
  if (!fedOwnWorkload && !app.sample && !options.requests?.length) {
    throw new Error(`app = ${options.app} has no sample: the run needs request lines (requests)`);
  }
  const seed = options.seed;
  const duration = Math.round((options.minutes ?? 5) * 60_000);
  const rand = streams(seed);
  const r = rand.schedule;
  const config = { ...drawConfig(r, options.app, options.mode), ...(options.secret && { secret: SIM_SECRET }), ...(options.disks && { disks: true }) };
  const sched = new Scheduler(rand.stray);
  const trace = new Trace();
  let stop = false;
  const checker = new Checker((v) => {
    stop = true;
    sched.halted = true;
    trace.add({ t: sched.now, who: 'check', kind: 'violation', text: `${v.invariant}: ${v.detail}` });
  });
  if (options.maxRequests !== undefined) {
    const max = options.maxRequests;
    checker.onSent = (sent) => {
      if (sent === max) sched.setTimeout(() => world.stopClients(`stops (${max} requests sent)`), 0);
    };
  }
  const planted = { ...plant };
  for (const bug of options.plant ?? []) plant[bug] = true;
  const wallStart = performance.now();
  sched.install();
  const world = new World(config, sched, rand.network, trace, checker, {
    events: options.events ?? false,
    app,
    requests: options.requests,
    workload: rand.workload,
    resendAfterRestart: !(options.allow ?? []).includes('restarted-client-reuses-number'),
    byHand: options.byHand ? ['S1'] : [],
    disks: rand.disk,
  });
  checker.world = world;
  const faults = Object.fromEntries(ALL_FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const kinds = options.disks ? DISK_FAULT_KINDS : options.drains ? DRAIN_FAULT_KINDS : FAULT_KINDS;
  const schedule: string[] = [];
  const T = world.config.cluster.heartbeatTimeoutMs;
  const F = world.config.cluster.heartbeatFreqMs;

  /** Undo actions of faults in progress (resume, heal, restart), by what they undo. */
  const undo = new Map<string, { timer: Timer; fn: () => void }>();
  const later = (key: string, ms: number, fn: () => void): void => {
    const timer = sched.setTimeout(() => {
      undo.delete(key);
      fn();
    }, ms);
    undo.set(key, { timer, fn });
  };
  let faultCount = 0;
  const fault = (kind: FaultKind, text: string): void => {
    faultCount += 1;
    faults[kind] += 1;
    schedule.push(`${(sched.now / 1000).toFixed(3)} s ${kind}: ${text}`);
    world.note('sim', `${kind}: ${text}`);
  };

  // A pending bug's rule (see `pending.ts`) steers around its trigger unless it is allowed.
  for (const bug of options.allow ?? []) if (!PENDING_BUGS.includes(bug)) throw new Error(`no pending bug ${bug}`);

  const lfdOf = (server: string) => world.lfds.get(`LFD${server.slice(1)}`)!;
  const hostOfServer = (server: string) => serverHost(Number(server.slice(1)));
  /**
   * Serving, watched, reachable, staying: a replica that certainly holds the state. One that drains
   * does not count: it stops on its own, soon (and without the RM's release, after a wait).
   */
  const healthy = (server: string): boolean => {
    const p = world.procs.current(server);
    return (
      p !== null &&
      p.hungSince === null &&
      p.phase === 'ready' &&
      !isDraining(p.actor.getSnapshot()) &&
      lfdOf(server).alive &&
      !undo.has(`lfd ${server}`) &&
      !world.net.isolated.has(hostOfServer(server))
    );
  };
  /** A fault may hit `server` only while another replica certainly keeps the state. */
  const mayHit = (server: string): boolean => world.servers.some((s) => s !== server && healthy(s));

  /** Within the links' limits: slower, never so slow that a heartbeat times out. */
  const slowestMs = Math.max(1, Math.floor((0.8 * (T - F)) / 2));
  const slowDown = (a: string, b: string, ms: number): void => {
    const until = sched.now + ms;
    world.net.slow.push({ a, b, until, maxMs: slowestMs });
    later(`slow ${a} ${b} ${until}`, ms, () => {
      const i = world.net.slow.findIndex((s) => s.until === until && s.a === a && s.b === b);
      if (i >= 0) world.net.slow.splice(i, 1);
    });
  };

  const isSyncPrimary = (p: ServerProc): boolean =>
    config.mode === 'passive' && config.durability === 'sync' && p.phase === 'ready' && (p.actor.getSnapshot().context as ServerContext).role === 'primary';
  /**
   * The output rule's moment: a primary dies while its updates are on their way to the backups. Its
   * links to the other servers slow down first (a congested switch), and the kill comes while
   * frames are still on them; a reply sent before the backups acknowledged is then a lost write.
   * The timing comes from its own stream, so the schedule's draws stay what they were.
   */
  const killInFlight = (p: ServerProc): void => {
    const host = hostOfServer(p.server);
    const after = Math.round(slowestMs * (0.25 + 0.75 * rand.aim()));
    fault('crash-server', `${host} <-> the other servers up to ${slowestMs} ms slower, kill -9 ${p.key} ${after} ms later`);
    for (const s of world.servers) if (s !== p.server) slowDown(host, hostOfServer(s), after + slowestMs);
    later(`kill ${p.key}`, after, () => {
      if (!p.alive || !mayHit(p.server)) return;
      world.note('sim', `kill -9 ${p.key}`);
      p.kill();
    });
  };

  const hosts = [RM_HOST, GFD_HOST, ...world.servers.map(hostOfServer), ...config.clients.map((_, i) => clientHost(i + 1))];

  function inject(): void {
    const kind = pick(r, kinds);
    switch (kind) {
      case 'crash-server': {
        const server = pick(r, world.servers);
        const p = world.procs.current(server);
        if (!p || !mayHit(server)) return;
        if (isSyncPrimary(p) && rand.aim() < 0.5) {
          killInFlight(p);
          return;
        }
        fault(kind, `kill -9 ${p.key}`);
        p.kill();
        return;
      }
      case 'drain-server': {
        const server = pick(r, world.servers);
        const p = world.procs.current(server);
        if (!p || p.hungSince !== null || !mayHit(server)) return;
        fault(kind, `drain ${p.key} (SIGTERM)`);
        p.actor.send({ type: 'drain' });
        return;
      }
      case 'hang-server': {
        const server = pick(r, world.servers);
        const p = world.procs.current(server);
        if (!p || p.hungSince !== null || !mayHit(server)) return;
        const style = r();
        // Short, at the lease's edge (where a thaw races the LFD's timeout), or long (killed).
        const ms = Math.round(style < 0.35 ? between(r, 0.2 * T, 0.9 * T) : style < 0.65 ? T + between(r, -15, 15) : between(r, 1.1 * T, 3 * T));
        fault(kind, `${p.key} stops (SIGSTOP) for ${ms} ms`);
        p.hungSince = sched.now;
        p.clock.pause();
        p.net.pause();
        later(`hang ${p.key}`, ms, () => {
          p.hungSince = null;
          if (!p.alive) return;
            world.note('sim', `${p.key} resumes (SIGCONT)`);
          checker.thawed(p);
          p.clock.resume();
          p.net.resume();
        });
        return;
      }
      case 'crash-lfd': {
        const server = pick(r, world.servers);
        const lfd = lfdOf(server);
        if (!lfd.alive || !mayHit(server)) return;
        const ms = Math.round(between(r, 0.2 * T, 3 * T));
        fault(kind, `kill -9 ${lfd.name}, restarted after ${ms} ms`);
        world.stopRole(lfd);
        later(`lfd ${server}`, ms, () => {
            world.startLfd(lfd.name);
        });
        return;
      }
      case 'crash-gfd':
      case 'crash-rm': {
        const role = kind === 'crash-gfd' ? world.gfd! : world.rm!;
        if (!role.alive) return;
        const ms = Math.round(between(r, 0.2 * T, 3 * T));
        fault(kind, `kill -9 ${role.name}, restarted after ${ms} ms`);
        world.stopRole(role);
        later(role.name, ms, () => {
          if (kind === 'crash-gfd') world.startGfd();
          else world.startRm();
        });
        return;
      }
      case 'drop-link': {
        const open = world.net.network.connections();
        if (open.length === 0) return;
        const c = open[Math.floor(r() * open.length)]!;
        // Losing the LFD's link to its server, or a server's own link, may cost that server.
        const touched = [c.fromName, c.toName].map((n) => (n.startsWith('LFD') ? `S${n.slice(3)}` : n.split('#')[0]!));
        if (touched.some((s) => world.servers.includes(s) && !mayHit(s))) return;
        fault(kind, `reset ${c.fromName} -> ${c.toName} (${c.from} -> ${c.to})`);
        world.net.network.disconnect(c.from);
        return;
      }
      case 'slow-link': {
        const a = pick(r, hosts);
        const b = pick(r, hosts.filter((h) => h !== a));
        const ms = Math.round(between(r, 2000, 10000));
        fault(kind, `${a} <-> ${b} up to ${slowestMs} ms slower for ${ms} ms`);
        slowDown(a, b, ms);
        return;
      }
      case 'partition': {
        const host = pick(r, hosts);
        if (world.net.isolated.has(host)) return;
        const server = world.servers.find((s) => hostOfServer(s) === host);
        if (server && !mayHit(server)) return;
        // A server's or the GFD's host is cut off for less than failure detection takes, or with
        // `options.longPartitions` for up to 4 × heartbeat_timeout, as a client's or the RM's host
        // always is (a long cut of the RM's delays its commands past a relaunch: `ready` frames
        // marked `serving` keep them from a fresh process).
        const detected = host === GFD_HOST || server !== undefined;
        const ms = Math.round(
          detected && !options.longPartitions ? between(r, 0.2 * (T - F), 0.8 * (T - F)) : between(r, 0.3 * T, 4 * T),
        );
        fault(kind, `${host} cut off from every other host for ${ms} ms`);
        world.net.isolate(host);
        later(`partition ${host}`, ms, () => {
            world.note('sim', `${host} heals`);
          world.net.heal(host);
        });
        return;
      }
      case 'power-cut': {
        // Unlike the other faults, it needs no replica left up: the disks hold what was answered.
        if (undo.has('power') || undo.has('power cut')) return;
        const torn = r() < 0.5;
        const ms = Math.round(between(r, 0.2 * T, 3 * T));
        // Half the time aimed: a few milliseconds after a server writes, while the write may still
        // be on its way to the disk and its answer on its way to the client.
        const aimed = rand.aim() < 0.5;
        const after = 1 + Math.floor(rand.aim() * 4);
        const cut = (): void => {
          world.disks!.onWrite = null;
          fault(
            kind,
            `${aimed ? `${after} ms after a write, ` : ''}every server, LFD, the GFD and the RM lose power; ` +
              `the disks keep what was synced${torn ? ', and a torn part of what was not' : ''}; back after ${ms} ms`,
          );
          // A restart planned by an earlier crash would start a second copy of its role after this one's.
          for (const [key, u] of [...undo]) {
            if (key === 'GFD' || key === 'RM' || key.startsWith('lfd ')) {
              sched.clearTimeout(u.timer);
              undo.delete(key);
            }
          }
          checker.powerCuts += 1;
          world.powerCut(torn, options.diskLoss === true);
          later('power', ms, () => world.powerOn());
        };
        if (!aimed) {
          cut();
          return;
        }
        // No write within 2 s (nothing serves): the cut comes then.
        later('power cut', 2000, cut);
        world.disks!.onWrite = () => {
          const waiting = undo.get('power cut');
          if (!waiting) return;
          sched.clearTimeout(waiting.timer);
          later('power cut', after, cut);
        };
        return;
      }
    }
  }

  let error: unknown = null;
  try {
    world.start();
    const clientsAt = Math.round(between(r, 0, 3000));
    const faultsFrom = 3000;
    const faultsUntil = duration - 75_000;
    const clientsStop = duration - 15_000;
    sched.runUntil(clientsAt);
    for (const c of config.clients) world.startClient(c.name);
    let t = faultsFrom;
    while (!stop && options.faults !== false && faultCount < (options.maxFaults ?? Infinity)) {
      t += Math.round(between(r, 1000, 10000));
      if (t >= faultsUntil) break;
      sched.runUntil(t);
      if (sched.error) break;
      if (!stop) sched.run(inject);
    }
    if (!stop && !sched.error) {
      sched.runUntil(Math.max(sched.now, faultsUntil));
    }
    if (!stop && !sched.error) {
      // No new faults; those under way end as planned (a hang resumes, a cut heals, a crashed
      // role restarts: at most 4 × heartbeat_timeout + 1 s from now).
      world.note('sim', `faults stop (${undo.size} under way end as planned)`);
      sched.runUntil(clientsStop);
    }
    if (!stop && !sched.error) {
      world.stopClients('stops (end of the workload)');
      sched.runUntil(duration);
    }
    if (sched.error) checker.actorError('simulator', sched.error);
    else if (!stop) checker.final();
    sched.halted = false;
    world.stopAll();
    sched.runUntil(sched.now + 1);
  } catch (err) {
    error = err;
  } finally {
    sched.uninstall();
    Object.assign(plant, planted);
  }
  if (error) throw error;
  const failed = checker.violations.length > 0;
  return {
    seed,
    config,
    simulatedMs: sched.now,
    wallMs: performance.now() - wallStart,
    violations: checker.violations,
    faults,
    failovers: checker.failovers,
    recoveries: checker.recoveries,
    answered: checker.answers.length,
    requests: checker.history.operations.length,
    clientsGaveUp: world.gaveUp,
    timersFired: sched.fired,
    warnings: checker.warnings,
    trace: failed || options.keepTrace ? trace : null,
    schedule,
    replay: replayCommand(options),
    pendingHits: checker.pendingHits,
  };
}

export { hostOf };

export function replayCommand(o: RunOptions): string {
  const [seed, ...rest] = replayFlags(o);
  const app = o.app !== undefined && o.app !== 'log' ? [`--app ${o.app}`] : [];
  return `npm run sim -- ${[seed, ...app, ...rest].join(' ')}`;
}

/** The flags that give a run its seed and shape (the app aside: each command names it its own way). */
export function replayFlags(o: RunOptions): string[] {
  const flags = [`--seed ${o.seed}`];
  if (o.minutes !== undefined && o.minutes !== 5) flags.push(`--minutes ${o.minutes}`);
  if (o.mode !== undefined) flags.push(`--mode ${o.mode}`);
  if (o.secret) flags.push('--secret');
  if (o.maxFaults !== undefined) flags.push(`--max-faults ${o.maxFaults}`);
  if (o.maxRequests !== undefined) flags.push(`--max-requests ${o.maxRequests}`);
  if (o.plant?.length) flags.push(`--plant ${o.plant.join(',')}`);
  if (o.allow?.length) flags.push(`--allow ${o.allow.join(',')}`);
  if (o.longPartitions) flags.push('--long-partitions');
  if (o.byHand) flags.push('--by-hand');
  if (o.disks) flags.push('--disks');
  if (o.diskLoss) flags.push('--disk-loss');
  if (o.drains) flags.push('--drains');
  return flags;
}
