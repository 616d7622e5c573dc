/**
 * One simulated cluster: the RM, the GFD, one LFD per server (each launching its server through an
 * in-process launcher), and the clients, all real role machines on the simulated network, in one
 * process under the simulator's clock. The world starts, crashes, hangs and restarts processes on
 * the fault schedule's orders and tells the invariant checker what it sees.
 *
 * Hosts: the RM on 10.0.0.1, the GFD on 10.0.0.2, server Si and its LFDi on 10.0.1.i, client Ci on
 * 10.0.2.i. Pids count from 4242; a server process is named `S1#4242` in traces.
 */
import type { AnyActorRef } from 'xstate';
import type { ServerContext } from '../actors/server.js';
import type { App } from '../app/index.js';
import { KvWorkload } from '../check/kv-workload.js';
import { parseConfig } from '../config/load.js';
import { tapTransport } from '../transport/tap.js';
import type { ClusterConfig } from '../config/types.js';
import type { LogEvent, Print } from '../log/events.js';
import type { Frame, Mode, Phase } from '../protocol/frames.js';
import { mulberry32 } from '../random.js';
import { auditedApp, type AppCheck } from './app-audit.js';
import * as cluster from './cluster.js';
import { SimDisks } from './disks.js';
import { NetProcess, SimNet } from './net.js';
import { ProcessClock, Scheduler } from './scheduler.js';
import { Trace } from './trace.js';

export interface ClientSpec {
  name: string;
  intervalS: number;
}

/**
 * The application a run replicates, as `[cluster] app` names it: a built-in name, a module's path
 * or a package name (`loadApp`). A string, so that it crosses into campaign worker threads. `log`
 * and `kv` have workloads of their own and hand-written checkers; any other app is fed the requests
 * its `sample` draws (or `RunOptions.requests`) and is checked with itself as the model.
 */
export type SimApp = string;

/** The cluster a seed draws (times in seconds, as in the file); the app is the run's choice, not drawn. */
export interface SimConfig {
  app: SimApp;
  mode: Mode;
  durability: 'sync' | 'checkpoint';
  heartbeatFreqS: number;
  heartbeatTimeoutS: number;
  checkpointFreqS: number;
  servers: number;
  clients: ClientSpec[];
  /** `[cluster] secret`: every control link proves it (not drawn: the run's choice). */
  secret?: string;
  /** `[cluster] data_dir`: every server writes to a simulated disk (not drawn: the run's choice). */
  disks?: boolean;
}

/** The pids of the app audit's other processes (above any a run reaches: they count from 4242). */
const ELSEWHERE_PID = 90_000;

export const RM_HOST = '10.0.0.1';
export const GFD_HOST = '10.0.0.2';
export const serverHost = (i: number) => `10.0.1.${i}`;
export const clientHost = (i: number) => `10.0.2.${i}`;
/**
 * What client Ci's request n carries (app = log): `c1-n`, unique per (client, number), so logs show
 * duplicates. Under kv the same prefix starts every value Ci writes (`KvWorkload`).
 */
export const messageOf = (client: string) => `${client.toLowerCase()}-`;

export function iniText(c: SimConfig): string {
  return cluster.clusterIni({
    cluster: {
      mode: c.mode,
      heartbeat_freq: c.heartbeatFreqS,
      heartbeat_timeout: c.heartbeatTimeoutS,
      checkpoint_freq: c.checkpointFreqS,
      durability: c.durability,
      app: c.app,
      ...(c.secret !== undefined && { secret: c.secret }),
      ...(c.disks && { data_dir: 'data' }),
    },
    rm: { host: RM_HOST, port: 7000 },
    gfd: { host: GFD_HOST, port: 7001 },
    servers: Array.from({ length: c.servers }, (_, i) => ({ name: `S${i + 1}`, host: serverHost(i + 1), port: 7101 + i, peerPort: 7201 + i })),
    clients: Object.fromEntries(c.clients.map((cl) => [cl.name, { interval: cl.intervalS, message: messageOf(cl.name) }])),
  });
}

/** What the world tells the invariant checker. */
export interface Observer {
  print(who: string, proc: ServerProc | null, event: LogEvent): void;
  /** A server machine took a transition: its phase, context and lease (`held`, `none`) after it. */
  serverChanged(proc: ServerProc, phase: Phase | null, context: ServerContext, lease?: string): void;
  /** A server is about to send a frame to a client or a peer (its context as before the step). */
  serverSends(proc: ServerProc, frame: Frame): void;
  /** A server process's log applied a request (`app.apply`, app = log only); `log` is the state before. */
  applied(proc: ServerProc, log: string[], body: string): void;
  /** The app audit found the app at fault while `proc` applied a request. */
  appCheckFailed(proc: ServerProc, check: AppCheck, detail: string): void;
  actorError(who: string, err: unknown): void;
}

/** A server process of the simulated cluster: its machine, its clock and its network, which a hang pauses. */
export class ServerProc extends cluster.ServerProcess {
  /** `S1#4242`: its name in traces. */
  readonly key: string;
  actor!: AnyActorRef;
  /** Paused (SIGSTOP) since this time. */
  hungSince: number | null = null;
  /** Last LFD heartbeat it took (its lease runs `heartbeat_timeout` from here). */
  lastLease: number | null = null;
  phase: Phase | null = 'booting';

  readonly clock: ProcessClock;
  readonly net: NetProcess;

  constructor(server: string, pid: number, sched: Scheduler, net: SimNet, host: string, halt: (proc: ServerProc) => void) {
    super(server, pid, () => halt(this));
    this.key = `${server}#${pid}`;
    this.clock = new ProcessClock(sched);
    this.net = net.process(this.key, host);
  }
}

interface Role {
  name: string;
  actor: AnyActorRef;
  net: NetProcess;
  alive: boolean;
}

export interface WorldOptions {
  /** Record every event each role machine takes (slower; for replays). */
  events: boolean;
  /** The application `SimConfig.app` names, loaded. */
  app: App<any>;
  /** Neither log nor kv, and the app has no `sample`: the request lines clients draw from. */
  requests?: readonly string[];
  /** Every app but log: the stream the clients' requests are drawn from (each client its own, from this). */
  workload?: () => number;
  /**
   * Every app but log: a restarted client first sends again the request its previous process had in flight,
   * so that a number both processes use carries one request (pending.ts:
   * restarted-client-reuses-number). Off: it starts with a new one.
   */
  resendAfterRestart?: boolean;
  /**
   * Servers started by hand, their LFDs run with `--no-launch` (they watch and report the server,
   * but cannot start or kill it); a supervisor (systemd's `Restart=always`) starts such a server
   * again a second after its process ends.
   */
  byHand?: string[];
  /** With `SimConfig.disks`: the stream that times the disks' syncs and cuts their torn writes. */
  disks?: () => number;
}

/** Where a fed client's request lines come from; `observe` learns from each reply (kv's cas). */
interface Workload {
  next(): string;
  observe?(request: string, reply: string): void;
}

function stateText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value).replace(/"/g, '');
}

export class World {
  readonly config: ClusterConfig;
  readonly net: SimNet;
  readonly servers: string[];
  /** Every server process ever started, by server name, oldest first. */
  readonly procs = new cluster.ProcessTable<ServerProc>();
  readonly lfds = new Map<string, Role>();
  gfd: Role | null = null;
  rm: Role | null = null;
  readonly clients = new Map<string, Role>();
  /** Clients that gave up (printed that all servers are dead). */
  gaveUp = 0;
  /** Every app but log: each client's requests, kept across its restarts, and the line it was fed last. */
  private readonly workloads = new Map<string, { workload: Workload; fed: string }>();
  /** With `SimConfig.disks`: each server's disk, kept across its processes and power cuts. */
  readonly disks: SimDisks | null;
  /** Power cuts so far: what a supervisor planned before one is not done after it. */
  private powerCuts = 0;

  constructor(
    readonly sim: SimConfig,
    readonly sched: Scheduler,
    networkRandom: () => number,
    readonly trace: Trace,
    readonly observer: Observer,
    readonly options: WorldOptions,
  ) {
    this.config = parseConfig(iniText(sim), 'sim.ini');
    this.servers = this.config.servers.map((s) => s.name);
    this.net = new SimNet(networkRandom, () => sched.now, (fn) => sched.run(fn));
    this.disks = sim.disks ? new SimDisks(sched, options.disks ?? (() => 0)) : null;
  }

  get now(): number {
    return this.sched.now;
  }

  note(who: string, text: string): void {
    this.trace.add({ t: this.now, who, kind: 'sim', text });
  }

  private printer(who: string, proc: ServerProc | null = null): Print {
    return (event) => {
      this.trace.add({ t: this.sched.now, who, kind: 'print', event });
      this.observer.print(who, proc, event);
    };
  }

  /** A role's process: its network endpoint and its printer. */
  private env(who: string, net: NetProcess, proc: ServerProc | null = null): cluster.RoleEnv {
    return { config: this.config, transport: net.transport(), print: this.printer(who, proc) };
  }

  /** Trace a role's states (and, with `events`, every event it takes); report a crash. */
  private watch(who: string, onSnapshot?: (snapshot: any) => void): cluster.ActorHooks {
    let last = '';
    let lastNodes: readonly unknown[] = [];
    const trace = this.trace;
    const sched = this.sched;
    const hooks: cluster.ActorHooks = {
      onSnapshot: (snapshot: any) => {
        // Compare the active state nodes first: a new state value object comes with every step.
        const nodes = snapshot._nodes as readonly unknown[];
        if (nodes.length !== lastNodes.length || nodes.some((n, i) => n !== lastNodes[i])) {
          lastNodes = nodes;
          const text = stateText(snapshot.value);
          if (text !== last) {
            last = text;
            trace.add({ t: sched.now, who, kind: 'state', state: text });
          }
        }
        onSnapshot?.(snapshot);
      },
      onError: (err: unknown) => this.observer.actorError(who, err),
    };
    if (this.options.events) {
      hooks.onEvent = (e: any) => {
        // A batch (`batch.order`, …) shows each of its frames, as the single events did.
        const frames = e.frame?.kind ? [e.frame] : Array.isArray(e.events) ? e.events.map((x: any) => x.frame) : [];
        const kind = frames.length > 0 ? `${e.type} ${frames.map(summary).join(' | ')}` : e.type;
        trace.add({ t: sched.now, who, kind: 'event', event: kind });
      };
    }
    return hooks;
  }

  // ---------------------------------------------------------------------------------------------
  // Servers, started by their LFD through the in-process launcher

  /**
   * The app as server process `proc` runs it: audited (`app-audit.ts`), every call made as that
   * process (its own `process.pid`), and under log the applied-once watch on each request it applies.
   */
  private serverApp(proc: ServerProc): App<any> {
    const { sched, observer } = this;
    const audited = auditedApp(this.options.app, {
      elsewhere: (k, fn) => sched.as(ELSEWHERE_PID + k, k === 1 ? 1 : 3_600_001, fn),
      fail: (check, detail) => observer.appCheckFailed(proc, check, detail),
    });
    const app: App<any> =
      this.sim.app === 'log'
        ? {
            ...audited,
            apply(state, request) {
              // The log's applied-once watch needs unique request strings; other apps' requests repeat (two gets).
              observer.applied(proc, state, request);
              return audited.apply(state, request);
            },
          }
        : audited;
    const own = <T>(fn: () => T): T => sched.as(proc.pid, 0, fn);
    return {
      ...app,
      initial: () => own(() => app.initial()),
      apply: (state, request) => own(() => app.apply(state, request)),
      snapshot: (state) => own(() => app.snapshot(state)),
      restore: (text) => own(() => app.restore(text)),
      show: (state) => own(() => app.show(state)),
    };
  }

  private spawnServer(server: string): ServerProc {
    const host = serverHost(this.servers.indexOf(server) + 1);
    const proc = this.procs.add(new ServerProc(server, this.procs.newPid(), this.sched, this.net, host, (p) => this.halt(p)));
    const env = this.env(proc.key, proc.net, proc);
    // Observe what it sends; a server that cannot bind its ports exits, as `steadfast server` does.
    const transport = tapTransport(env.transport, {
      command: (command) => {
        if (command.type === 'send') this.observer.serverSends(proc, command.frame);
      },
      event: (event) => {
        if (event.type === 'listen.failed') this.note(proc.key, `cannot listen (${event.reason}): exits`);
      },
    });
    const hooks = this.watch(proc.key, (snapshot) => {
      if (!proc.alive) return;
      const phase = cluster.serverPhase(snapshot);
      proc.phase = phase;
      this.observer.serverChanged(proc, phase, snapshot.context, snapshot.status === 'active' ? (snapshot.value as { lease?: string }).lease : undefined);
    });
    const disk = this.disks?.open({ server, gate: (fn) => proc.net.gate(fn), exit: () => proc.end('exit code 1') }, env.print);
    proc.actor = cluster.startServerProcess(proc, { ...env, transport }, this.serverApp(proc), { ...hooks, clock: proc.clock }, disk);
    return proc;
  }

  /** The process ends (SIGKILL, or exit): its timers stop, its sockets close, its actor stops. */
  private halt(proc: ServerProc): void {
    proc.clock.kill();
    const unaccepted = proc.net.kill();
    proc.phase = null;
    this.note(proc.key, `process ends (${proc.how})`);
    if (unaccepted > 0) this.note(proc.key, `its kernel resets ${unaccepted} connection(s) it had not accepted (it was stopped)`);
    proc.actor.stop();
  }

  /**
   * An LFD's launcher. Production polls an attached process every 100 ms (a child's exit is heard
   * at once); an LFD here stops only by a crash, which leaves its server running, an orphan it may
   * attach to when it comes back.
   */
  private launcher(lfd: string) {
    return cluster.inProcessLauncher<ServerProc>({
      spawn: (server) => this.spawnServer(server),
      attach: (server, pid) => this.procs.find(server, pid),
      kill: (proc) => {
        this.note(lfd, `kills ${proc.key} (SIGKILL)`);
        proc.kill();
      },
      exitDelayMs: (attached) => (attached ? 100 - (this.now % 100) : 0),
      onStop: 'orphan',
    });
  }

  // ---------------------------------------------------------------------------------------------
  // The other roles

  startLfd(name: string): void {
    const net = this.net.process(name, serverHost(Number(name.slice(3))));
    const launch = !this.isByHand(`S${name.slice(3)}`);
    const actor = cluster.startRole('lfd', this.env(name, net), { name, launch }, this.watch(name), { launcher: this.launcher(name) });
    this.lfds.set(name, { name, actor, net, alive: true });
  }

  startGfd(): void {
    const net = this.net.process('GFD', GFD_HOST);
    this.gfd = { name: 'GFD', actor: cluster.startRole('gfd', this.env('GFD', net), {}, this.watch('GFD')), net, alive: true };
  }

  startRm(): void {
    const net = this.net.process('RM', RM_HOST);
    this.rm = { name: 'RM', actor: cluster.startRole('rm', this.env('RM', net), {}, this.watch('RM')), net, alive: true };
  }

  startClient(name: string): void {
    const net = this.net.process(name, clientHost(Number(name.slice(1))));
    const fed = this.sim.app !== 'log';
    const env = this.env(name, net);
    const hooks = this.watch(name, (snapshot) => {
      if (snapshot.status === 'done' && this.clients.get(name)?.actor === actor) {
        // It printed that all servers are dead and exited; an operator starts it again.
        this.gaveUp += 1;
        this.stopRole(this.clients.get(name)!, 'exits (all servers dead)');
        globalThis.setTimeout(() => {
          if (!this.clientsStopped && !this.clients.get(name)?.alive) this.startClient(name);
        }, 1000);
      }
    });
    // A power cut takes every server down for longer than three empty rounds: with disks a client
    // waits for the cluster to come back, as the library's clients do, and resends what it had in
    // flight, rather than exit and leave its request's fate unknown.
    const giveUp = this.disks === null;
    const actor = cluster.startRole('client', { ...env, print: fed ? this.feeding(name, env.print) : env.print }, { name, stdin: fed, giveUp }, hooks);
    this.clients.set(name, { name, actor, net, alive: true });
    if (fed) {
      const before = this.workloads.get(name);
      if (before && this.options.resendAfterRestart) actor.send({ type: 'line', text: before.fed });
      else this.feed(name);
    }
  }

  /**
   * Every app but log: the client takes its requests as lines (`stdin: true`), one line for its first request
   * and one more after each reply, as `steadfast chaos` writes them to a client's standard input. A
   * resend or a renumbering after a restart reuses the line it holds, so it never runs short.
   */
  private feeding(name: string, print: Print): Print {
    return (event) => {
      print(event);
      if (event.event !== 'client.received') return;
      const w = this.workloads.get(name)!;
      w.workload.observe?.(w.fed, event.result);
      this.feed(name);
    };
  }

  private feed(name: string): void {
    let w = this.workloads.get(name);
    if (!w) {
      if (!this.options.workload) throw new Error(`app = ${this.sim.app} needs a workload stream`);
      const seed = Math.floor(this.options.workload() * 4294967296);
      w = { workload: this.workload(mulberry32(seed), name), fed: '' };
      this.workloads.set(name, w);
    }
    const client = this.clients.get(name);
    if (!client?.alive) return;
    w.fed = w.workload.next();
    client.actor.send({ type: 'line', text: w.fed });
  }

  /** Client `name`'s requests: kv's own workload, or the request lines given, or the app's `sample`. */
  private workload(random: () => number, name: string): Workload {
    if (this.sim.app === 'kv') return new KvWorkload(random, messageOf(name));
    const lines = this.options.requests;
    if (lines?.length) return { next: () => lines[Math.floor(random() * lines.length)]! };
    const sample = this.options.app.sample!;
    return { next: () => sample(random) };
  }

  private clientsStopped = false;

  /** The workload ends: every client stops, and none is started again. */
  stopClients(why: string): void {
    this.clientsStopped = true;
    for (const c of this.clients.values()) if (c.alive) this.stopRole(c, why);
  }

  /** SIGKILL of a role that is not a server: its sockets close, it does nothing more. */
  stopRole(role: Role, why = 'crashes'): void {
    if (!role.alive) return;
    role.alive = false;
    this.note(role.name, why);
    role.net.kill();
    role.actor.stop();
  }

  start(): void {
    this.startRm();
    this.startGfd();
    for (const s of this.options.byHand ?? []) this.startByHand(s);
    for (const s of this.servers) this.startLfd(`LFD${s.slice(1)}`);
  }

  /** A server started by hand: when its process ends, its supervisor starts it again after 1 s. */
  private startByHand(server: string): void {
    const proc = this.spawnServer(server);
    this.note('supervisor', `starts ${proc.key}`);
    const cuts = this.powerCuts;
    proc.onExit = () => {
      // A power cut takes the supervisor down too; its host starts the server when the power is back.
      const due = () => !this.stopping && this.powerCuts === cuts;
      if (due()) globalThis.setTimeout(() => due() && this.startByHand(server), 1000);
    };
  }

  isByHand(server: string): boolean {
    return (this.options.byHand ?? []).includes(server);
  }

  private stopping = false;

  /**
   * The cluster loses power (its clients, on other hosts, do not): every LFD, server process, the
   * GFD and the RM die at once, and each disk keeps what was synced (`torn`: a part of each file's
   * first unsynced write too). `wipe`: the disks keep nothing (a test of the checker only).
   */
  powerCut(torn: boolean, wipe = false): void {
    this.note('sim', 'the power goes off');
    this.powerCuts += 1;
    // The LFDs first, so that none hears its server die and acts on it.
    for (const l of this.lfds.values()) if (l.alive) this.stopRole(l, 'loses power');
    for (const p of this.procs.all()) p.end('power cut');
    if (this.gfd?.alive) this.stopRole(this.gfd, 'loses power');
    if (this.rm?.alive) this.stopRole(this.rm, 'loses power');
    if (wipe) this.disks?.wipe();
    else this.disks?.crash(torn);
  }

  /** The power is back: every host starts its roles as at the start, and the LFDs launch the servers. */
  powerOn(): void {
    this.note('sim', 'the power is back');
    this.start();
  }

  /** Stop everything (end of run). */
  stopAll(): void {
    this.stopping = true;
    this.stopClients('stops');
    for (const l of this.lfds.values()) if (l.alive) this.stopRole(l, 'stops');
    for (const p of this.procs.all()) p.end('stopped');
    if (this.gfd?.alive) this.stopRole(this.gfd, 'stops');
    if (this.rm?.alive) this.stopRole(this.rm, 'stops');
  }
}

/** A frame in a few words, for event records. */
function summary(f: Frame): string {
  switch (f.kind) {
    case 'request':
    case 'reply':
      return `${f.client}:${f.num}`;
    case 'ready':
      return `${f.server} ${f.role} e${f.epoch} [${f.peers.join(';')}]`;
    case 'membership':
      return `${f.server} ${f.change}`;
    case 'members':
      return `[${f.servers.join(';')}] e${f.epoch}`;
    case 'serving':
      return `${f.server} e${f.epoch}`;
    case 'update':
      return `#${f.seq} ${f.client}:${f.num} e${f.epoch}`;
    case 'ack':
      return `#${f.seq} e${f.epoch}`;
    case 'checkpoint':
      return `from ${f.from} n${f.number} e${f.epoch}`;
    case 'recovery':
      return `from ${f.from} applied ${f.applied} e${f.epoch}`;
    case 'forward':
      return `${f.client}:${f.num} from ${f.from} e${f.epoch}`;
    case 'order':
      return `@${f.position} ${f.client}:${f.num} e${f.epoch}`;
    case 'commit':
      return `@${f.position} e${f.epoch}`;
    case 'sendCheckpoint':
      return `${f.server} -> ${f.to}`;
    case 'launch':
      return f.server;
    case 'heartbeat':
      return `#${f.count}`;
    case 'error':
      return f.message;
    default:
      return '';
  }
}
