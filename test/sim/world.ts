/**
 * One simulated cluster: the RM, the GFD, one LFD per server (each launching its server through an
 * in-process launcher), and the clients, all real role machines on the simulated network, in one
 * process under the simulator's clock. The world starts, crashes, hangs and restarts processes on
 * the fault schedule's orders and tells the invariant checker what it sees.
 *
 * Hosts: the RM on 10.0.0.1, the GFD on 10.0.0.2, server Si and its LFDi on 10.0.1.i, client Ci on
 * 10.0.2.i. Pids count from 4242; a server process is named `S1#4242` in traces.
 */
import { createActor, fromCallback, type AnyActorRef, type AnyStateMachine } from 'xstate';
import { clientMachine } from '../../src/actors/client.js';
import { gfdMachine } from '../../src/actors/gfd.js';
import type { LauncherCommand, LauncherInput, LauncherReport } from '../../src/actors/launcher.js';
import { lfdMachine } from '../../src/actors/lfd.js';
import { rmMachine } from '../../src/actors/rm.js';
import { serverMachine, type ServerContext } from '../../src/actors/server.js';
import type { App } from '../../src/app/index.js';
import { kvApp } from '../../src/app/kv.js';
import { logApp } from '../../src/app/log.js';
import { KvWorkload } from '../../src/check/kv-workload.js';
import { parseConfig } from '../../src/config/load.js';
import type { ClusterConfig } from '../../src/config/types.js';
import type { LogEvent, Print } from '../../src/log/events.js';
import type { Frame, Mode, Phase } from '../../src/protocol/frames.js';
import type { Transport, TransportCommand } from '../../src/transport/types.js';
import { mulberry32 } from '../../src/random.js';
import { NetProcess, SimNet } from './net.js';
import { ProcessClock, Scheduler } from './scheduler.js';
import { Trace } from './trace.js';

export interface ClientSpec {
  name: string;
  intervalS: number;
}

/** The applications a run may replicate: both have a model the history is checked with. */
export type SimApp = 'log' | 'kv';

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
}

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
  const lines = [
    '[cluster]',
    `mode = ${c.mode}`,
    `heartbeat_freq = ${c.heartbeatFreqS}`,
    `heartbeat_timeout = ${c.heartbeatTimeoutS}`,
    `checkpoint_freq = ${c.checkpointFreqS}`,
    `durability = ${c.durability}`,
    `app = ${c.app}`,
    '[rm]',
    `host = ${RM_HOST}`,
    'port = 7000',
    '[gfd]',
    `host = ${GFD_HOST}`,
    'port = 7001',
  ];
  for (let i = 1; i <= c.servers; i++) {
    lines.push(`[server.S${i}]`, `host = ${serverHost(i)}`, `port = ${7100 + i}`, `peer_port = ${7200 + i}`);
    lines.push(`[lfd.LFD${i}]`, `server = S${i}`);
  }
  for (const cl of c.clients) lines.push(`[client.${cl.name}]`, `interval = ${cl.intervalS}`, `message = ${messageOf(cl.name)}`);
  return lines.join('\n') + '\n';
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
  actorError(who: string, err: unknown): void;
}

export interface ServerProc {
  server: string;
  pid: number;
  key: string;
  actor: AnyActorRef;
  clock: ProcessClock;
  net: NetProcess;
  alive: boolean;
  /** Paused (SIGSTOP) since this time. */
  hungSince: number | null;
  /** Why it ended. */
  how: string | null;
  /** Who watches it (its LFD's launcher): told when it exits. */
  onExit: ((how: string) => void) | null;
  /** Last LFD heartbeat it took (its lease runs `heartbeat_timeout` from here). */
  lastLease: number | null;
  phase: Phase | null;
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
  /** app = kv: the stream the clients' requests are drawn from (each client its own, from this). */
  workload?: () => number;
  /**
   * app = kv: a restarted client first sends again the request its previous process had in flight,
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
}

/** A server machine's phase from its state value. */
export function phaseOfValue(value: unknown): Phase {
  const role = (value as { role?: unknown }).role;
  return role === 'booting' || role === 'recovering' ? role : 'ready';
}

function stateText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value).replace(/"/g, '');
}

export class World {
  readonly config: ClusterConfig;
  readonly net: SimNet;
  readonly servers: string[];
  /** Every server process ever started, by server name, oldest first. */
  readonly procs = new Map<string, ServerProc[]>();
  readonly lfds = new Map<string, Role>();
  gfd: Role | null = null;
  rm: Role | null = null;
  readonly clients = new Map<string, Role>();
  /** Clients that gave up (printed that all servers are dead). */
  gaveUp = 0;
  private nextPid = 4242;
  /** app = kv: each client's requests, kept across its restarts, and the line it was fed last. */
  private readonly workloads = new Map<string, { workload: KvWorkload; fed: string }>();

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

  /** Start a role machine as its own process (own actor system). */
  private startActor(
    who: string,
    machine: AnyStateMachine,
    input: unknown,
    clock: ProcessClock | null,
    onSnapshot?: (snapshot: any) => void,
  ): AnyActorRef {
    let last = '';
    let lastNodes: readonly unknown[] = [];
    const trace = this.trace;
    const sched = this.sched;
    const options: Record<string, unknown> = { input };
    if (clock) options.clock = clock;
    if (this.options.events) {
      options.inspect = (ev: any) => {
        if (ev.type === '@xstate.event' && ev.actorRef === actor) {
          const e = ev.event;
          const kind = e.frame?.kind ? `${e.type} ${summary(e.frame)}` : e.type;
          trace.add({ t: sched.now, who, kind: 'event', event: kind });
        }
      };
    }
    const actor = createActor(machine, options);
    actor.subscribe({
      next: (snapshot: any) => {
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
      error: (err: unknown) => this.observer.actorError(who, err),
    });
    actor.start();
    return actor;
  }

  // ---------------------------------------------------------------------------------------------
  // Servers, started by their LFD through the in-process launcher

  private serverApp(procRef: () => ServerProc): App<any> {
    // The log's applied-once watch needs unique request strings; kv requests repeat (two gets).
    if (this.sim.app === 'kv') return kvApp;
    const observer = this.observer;
    return {
      ...logApp,
      apply(state, request) {
        observer.applied(procRef(), state, request);
        return logApp.apply(state, request);
      },
    };
  }

  /** Observe what a server sends through its listeners and links. */
  private watchedTransport(base: Transport, procRef: () => ServerProc): Transport {
    const observer = this.observer;
    const wrap = <L>(logic: L): L => {
      const inner = (logic as unknown as { config: (args: any) => unknown }).config;
      return fromCallback<TransportCommand, any>((args: any) =>
        inner({
          ...args,
          receive: (listener: (c: TransportCommand) => void) =>
            args.receive((command: TransportCommand) => {
              if (command.type === 'send') observer.serverSends(procRef(), command.frame);
              listener(command);
            }),
        }) as any,
      ) as unknown as L;
    };
    return { listener: wrap(base.listener), link: wrap(base.link), links: wrap(base.links) };
  }

  spawnServer(server: string): ServerProc {
    const pid = this.nextPid++;
    const key = `${server}#${pid}`;
    const index = this.servers.indexOf(server) + 1;
    const clock = new ProcessClock(this.sched);
    let proc: ServerProc | null = null;
    const ref = () => proc!;
    const net = this.net.process(key, serverHost(index), (reason) => {
      // A server that cannot bind its ports exits at once (status 1), as `steadfast server` does.
      this.note(key, `cannot listen (${reason}): exits`);
      globalThis.queueMicrotask(() => this.endServer(ref(), 'exit code 1'));
    });
    const t = this.watchedTransport(net.transport(), ref);
    proc = {
      server,
      pid,
      key,
      actor: null as unknown as AnyActorRef,
      clock,
      net,
      alive: true,
      hungSince: null,
      how: null,
      onExit: null,
      lastLease: null,
      phase: 'booting',
    };
    this.procs.set(server, [...(this.procs.get(server) ?? []), proc]);
    const input = { name: server, config: this.config, app: this.serverApp(ref), pid, print: this.printer(key, proc) };
    const p = proc;
    proc.actor = this.startActor(key, serverMachine.provide({ actors: { listener: t.listener, link: t.link, links: t.links } }), input, clock, (snapshot) => {
      if (!p.alive) return;
      const phase = snapshot.status === 'active' ? phaseOfValue(snapshot.value) : null;
      p.phase = phase;
      this.observer.serverChanged(p, phase, snapshot.context, snapshot.status === 'active' ? (snapshot.value as { lease?: string }).lease : undefined);
    });
    return proc;
  }

  /** The process ends (SIGKILL, or exit): its actor stops, its sockets close, its watcher hears. */
  endServer(proc: ServerProc, how: string): void {
    if (!proc.alive) return;
    proc.alive = false;
    proc.how = how;
    proc.clock.kill();
    const unaccepted = proc.net.kill();
    proc.phase = null;
    this.note(proc.key, `process ends (${how})`);
    if (unaccepted > 0) this.note(proc.key, `its kernel resets ${unaccepted} connection(s) it had not accepted (it was stopped)`);
    proc.actor.stop();
    const watcher = proc.onExit;
    proc.onExit = null;
    watcher?.(how);
  }

  /** The running process of a server (the latest, if alive). */
  current(server: string): ServerProc | null {
    const last = this.procs.get(server)?.at(-1);
    return last?.alive ? last : null;
  }

  /** Every live process of a server (an orphan and a new one may overlap). */
  live(server: string): ServerProc[] {
    return (this.procs.get(server) ?? []).filter((p) => p.alive);
  }

  private launcher(lfd: string) {
    return fromCallback<LauncherCommand, LauncherInput>(({ input, sendBack, receive }) => {
      let detached = false;
      const report = (r: LauncherReport) => {
        if (!detached) sendBack(r);
      };
      let proc: ServerProc | null;
      let attached = false;
      if (input.attachPid === null) {
        proc = this.spawnServer(input.server);
      } else {
        proc = this.live(input.server).find((p) => p.pid === input.attachPid) ?? null;
        attached = true;
      }
      const pid = proc?.pid ?? input.attachPid ?? -1;
      // Reported after the launcher is registered in the LFD, as a spawned child's would be.
      globalThis.queueMicrotask(() => report({ type: 'process.started', pid }));
      const exited = (how: string) => {
        // Production polls an attached process every 100 ms; a child's exit is heard at once.
        const delay = attached ? 100 - (this.now % 100) : 0;
        if (delay === 0) report({ type: 'process.exited', pid, how });
        else globalThis.setTimeout(() => report({ type: 'process.exited', pid, how }), delay);
      };
      // A pid that is gone is found so at the first poll, after `process.started` (as in production).
      if (proc === null) globalThis.queueMicrotask(() => exited('gone'));
      else proc.onExit = exited;
      receive((command) => {
        if (command.type !== 'kill' || !proc?.alive) return;
        this.note(lfd, `kills ${proc.key} (SIGKILL)`);
        this.endServer(proc, 'signal SIGKILL');
      });
      // The LFD stopped (in the simulator: crashed): its server runs on, an orphan it may attach to.
      return () => {
        detached = true;
        if (proc && proc.onExit === exited) proc.onExit = null;
      };
    });
  }

  // ---------------------------------------------------------------------------------------------
  // The other roles

  startLfd(name: string): void {
    const index = Number(name.slice(3));
    const net = this.net.process(name, serverHost(index));
    const t = net.transport();
    const logic = lfdMachine.provide({ actors: { listener: t.listener, link: t.link, launcher: this.launcher(name) } });
    const launch = !this.isByHand(`S${name.slice(3)}`);
    const actor = this.startActor(name, logic, { name, config: this.config, launch, print: this.printer(name) }, null);
    this.lfds.set(name, { name, actor, net, alive: true });
  }

  startGfd(): void {
    const net = this.net.process('GFD', GFD_HOST);
    const t = net.transport();
    const actor = this.startActor(
      'GFD',
      gfdMachine.provide({ actors: { listener: t.listener, link: t.link } }),
      { config: this.config, print: this.printer('GFD') },
      null,
    );
    this.gfd = { name: 'GFD', actor, net, alive: true };
  }

  startRm(): void {
    const net = this.net.process('RM', RM_HOST);
    const t = net.transport();
    const actor = this.startActor(
      'RM',
      rmMachine.provide({ actors: { listener: t.listener, link: t.link, links: t.links } }),
      { config: this.config, print: this.printer('RM') },
      null,
    );
    this.rm = { name: 'RM', actor, net, alive: true };
  }

  startClient(name: string): void {
    const index = Number(name.slice(1));
    const net = this.net.process(name, clientHost(index));
    const t = net.transport();
    const kv = this.sim.app === 'kv';
    const print = this.printer(name);
    const actor = this.startActor(
      name,
      clientMachine.provide({ actors: { listener: t.listener, link: t.link, links: t.links } }),
      { name, config: this.config, print: kv ? this.feeding(name, print) : print, stdin: kv },
      null,
      (snapshot) => {
        if (snapshot.status === 'done' && this.clients.get(name)?.actor === actor) {
          // It printed that all servers are dead and exited; an operator starts it again.
          this.gaveUp += 1;
          this.stopRole(this.clients.get(name)!, 'exits (all servers dead)');
          globalThis.setTimeout(() => {
            if (!this.clients.get(name)?.alive) this.startClient(name);
          }, 1000);
        }
      },
    );
    this.clients.set(name, { name, actor, net, alive: true });
    if (kv) {
      const before = this.workloads.get(name);
      if (before && this.options.resendAfterRestart) actor.send({ type: 'line', text: before.fed });
      else this.feed(name);
    }
  }

  /**
   * app = kv: the client takes its requests as lines (`stdin: true`), one line for its first request
   * and one more after each reply, as `steadfast chaos` writes them to a client's standard input. A
   * resend or a renumbering after a restart reuses the line it holds, so it never runs short.
   */
  private feeding(name: string, print: Print): Print {
    return (event) => {
      print(event);
      if (event.event !== 'client.received') return;
      const w = this.workloads.get(name)!;
      w.workload.observe(w.fed, event.result);
      this.feed(name);
    };
  }

  private feed(name: string): void {
    let w = this.workloads.get(name);
    if (!w) {
      if (!this.options.workload) throw new Error('app = kv needs a workload stream');
      const seed = Math.floor(this.options.workload() * 4294967296);
      w = { workload: new KvWorkload(mulberry32(seed), messageOf(name)), fed: '' };
      this.workloads.set(name, w);
    }
    const client = this.clients.get(name);
    if (!client?.alive) return;
    w.fed = w.workload.next();
    client.actor.send({ type: 'line', text: w.fed });
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
    proc.onExit = () => {
      if (!this.stopping) globalThis.setTimeout(() => !this.stopping && this.startByHand(server), 1000);
    };
  }

  isByHand(server: string): boolean {
    return (this.options.byHand ?? []).includes(server);
  }

  private stopping = false;

  /** Stop everything (end of run). */
  stopAll(): void {
    this.stopping = true;
    for (const c of this.clients.values()) if (c.alive) this.stopRole(c, 'stops');
    for (const l of this.lfds.values()) if (l.alive) this.stopRole(l, 'stops');
    for (const procs of this.procs.values()) for (const p of procs) if (p.alive) this.endServer(p, 'stopped');
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
