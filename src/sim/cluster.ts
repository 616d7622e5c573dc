/**
 * Builds a cluster inside this one process, for the machine tests' harness and the simulator's
 * world: the cluster file (`clusterIni`), each role's machine on a transport of its own
 * (`startRole`), and server "processes" with pids that the LFDs' in-process launcher starts and
 * watches (`ServerProcess`, `ProcessTable`, `inProcessLauncher`). What differs between its users
 * (transport, clock, printer, what ending a process stops) they pass in. It lives in `src/`, free
 * of anything test-only, because the simulator is part of the package, for a command to run.
 */
import { createActor, fromCallback, type Actor, type ActorOptions, type AnyActorLogic, type EventObject, type InputFrom } from 'xstate';
import { clientMachine } from '../actors/client.js';
import { gfdMachine } from '../actors/gfd.js';
import type { LauncherCommand, LauncherInput, LauncherReport } from '../actors/launcher.js';
import { lfdMachine } from '../actors/lfd.js';
import { rmMachine } from '../actors/rm.js';
import { phaseOf, serverMachine, type ServerContext, type ServerDisk } from '../actors/server.js';
import type { App } from '../app/index.js';
import type { ClusterConfig, Endpoint, ServerConfig } from '../config/types.js';
import type { Print } from '../log/events.js';
import type { Phase } from '../protocol/frames.js';
import type { Transport } from '../transport/types.js';
import { tapTransport } from '../transport/tap.js';

// ---------------------------------------------------------------------------------------------
// The cluster file

/** Where every role is; LFDi watches the i-th server. */
export interface ClusterLayout {
  /** `[cluster]` keys, as written in the file (`mode`, `heartbeat_freq`, …). */
  cluster: Record<string, string | number>;
  rm: Endpoint;
  gfd: Endpoint;
  /** `peerHost` only where it differs from `host`. */
  servers: (Omit<ServerConfig, 'peerHost'> & { peerHost?: string })[];
  /** `[client.NAME]` sections, with their keys. */
  clients: Record<string, Record<string, string | number>>;
}

export function clusterIni(layout: ClusterLayout): string {
  const keyLines = (keys: Record<string, string | number>) => Object.entries(keys).map(([key, value]) => `${key} = ${value}`);
  const lines = ['[cluster]', ...keyLines(layout.cluster)];
  lines.push('[rm]', `host = ${layout.rm.host}`, `port = ${layout.rm.port}`, '[gfd]', `host = ${layout.gfd.host}`, `port = ${layout.gfd.port}`);
  layout.servers.forEach((s, i) => {
    lines.push(`[server.${s.name}]`, `host = ${s.host}`, `port = ${s.port}`, ...(s.peerHost ? [`peer_host = ${s.peerHost}`] : []), `peer_port = ${s.peerPort}`);
    lines.push(`[lfd.LFD${i + 1}]`, `server = ${s.name}`);
  });
  for (const [name, keys] of Object.entries(layout.clients)) lines.push(`[client.${name}]`, ...keyLines(keys));
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Role actors

type Machines = { server: typeof serverMachine; lfd: typeof lfdMachine; gfd: typeof gfdMachine; rm: typeof rmMachine; client: typeof clientMachine };
const MACHINES: Machines = { server: serverMachine, lfd: lfdMachine, gfd: gfdMachine, rm: rmMachine, client: clientMachine };
export type RoleKind = keyof Machines;
export type RoleActor<K extends RoleKind> = Actor<Machines[K]>;
export type ServerActor = RoleActor<'server'>;
export type LfdActor = RoleActor<'lfd'>;
export type GfdActor = RoleActor<'gfd'>;
export type RmActor = RoleActor<'rm'>;
export type ClientActor = RoleActor<'client'>;

/** What a role's process is given: the cluster file, its own transport, its printer. */
export interface RoleEnv {
  config: ClusterConfig;
  transport: Transport;
  print: Print;
}

/** How the caller watches the actor it starts; all are in place before the actor starts. */
export interface ActorHooks {
  /** The clock of the process (the simulator's); default: the real timers. */
  clock?: NonNullable<ActorOptions<AnyActorLogic>['clock']>;
  /** Every event the role's root actor takes (xstate inspection, installed only when given). */
  onEvent?: (event: EventObject) => void;
  onSnapshot?: (snapshot: any) => void;
  onError?: (err: unknown) => void;
}

/**
 * One role's machine, started on the process's transport with `input` (besides the config and the
 * printer). `actors`: what else it needs provided (an LFD's `launcher`).
 */
export function startRole<K extends RoleKind>(
  kind: K,
  env: RoleEnv,
  input: Omit<InputFrom<Machines[K]>, 'config' | 'print'>,
  hooks: ActorHooks = {},
  actors: Record<string, AnyActorLogic> = {},
): RoleActor<K> {
  const logic = (MACHINES[kind] as Machines[RoleKind]).provide({ actors: { ...env.transport, ...actors } } as never);
  const options: ActorOptions<AnyActorLogic> = { input: { ...input, config: env.config, print: env.print } };
  if (hooks.clock) options.clock = hooks.clock;
  const onEvent = hooks.onEvent;
  if (onEvent) {
    options.inspect = (ev) => {
      if (ev.type === '@xstate.event' && ev.actorRef === actor) onEvent(ev.event);
    };
  }
  const actor = createActor(logic as AnyActorLogic, options);
  actor.subscribe({ next: hooks.onSnapshot, error: hooks.onError });
  actor.start();
  return actor as RoleActor<K>;
}

/** A server machine's phase, from its role region (null once it stopped). */
export function serverPhase(snapshot: { status: string; value: unknown; context: Pick<ServerContext, 'suspended'> }): Phase | null {
  return snapshot.status === 'active' ? phaseOf(snapshot) : null;
}

// ---------------------------------------------------------------------------------------------
// Server processes and the LFDs' launcher

/** A server run as a process of this one: a pid, and an end that its watcher hears of. */
export class ServerProcess {
  alive = true;
  /** How it ended (`signal SIGKILL`, `exit code 1`), once it ended. */
  how: string | null = null;
  /** Who watches it (its LFD's launcher): told once, when it ends. */
  onExit: ((how: string) => void) | null = null;

  constructor(
    readonly server: string,
    readonly pid: number,
    /** Stops what runs it (its actor, sockets, timers). */
    private readonly halt: () => void,
  ) {}

  /** The process ends (it exits, or a signal ends it): what runs it stops, its watcher hears how. */
  end(how: string): void {
    if (!this.alive) return;
    this.alive = false;
    this.how = how;
    this.halt();
    const watcher = this.onExit;
    this.onExit = null;
    watcher?.(how);
  }

  /** `kill -9`: it stops at once, its sockets close, its watcher hears it exited. */
  kill(): void {
    this.end('signal SIGKILL');
  }
}

/**
 * A server started as a process: its machine on `env`'s transport, ending the process at once
 * (`exit code 1`) when a listener cannot bind, as `steadfast server` exits.
 */
export function startServerProcess(
  proc: ServerProcess,
  env: RoleEnv,
  app: App<any>,
  hooks: ActorHooks = {},
  disk?: ServerDisk,
): ServerActor {
  const transport = tapTransport(env.transport, {
    event: (event) => {
      if (event.type === 'listen.failed') queueMicrotask(() => proc.end('exit code 1'));
    },
  });
  const actor = startRole('server', { ...env, transport }, { name: proc.server, pid: proc.pid, app, ...(disk && { disk }) }, hooks);
  // A drained server's machine ends (`stopped`): `steadfast server` then exits 0.
  actor.subscribe({ complete: () => queueMicrotask(() => proc.end('exit code 0')) });
  return actor;
}

/** The server processes of a cluster, by server name, oldest first; pids count from 4242. */
export class ProcessTable<P extends ServerProcess> {
  private readonly byServer = new Map<string, P[]>();
  private nextPid = 4242;

  newPid(): number {
    return this.nextPid++;
  }

  add(proc: P): P {
    this.byServer.set(proc.server, [...this.of(proc.server), proc]);
    return proc;
  }

  of(server: string): P[] {
    return this.byServer.get(server) ?? [];
  }

  /** Every process, server by server (in the order each first started), oldest first. */
  all(): P[] {
    return [...this.byServer.values()].flat();
  }

  /** The running process of a server (the latest, if alive). */
  current(server: string): P | null {
    const last = this.of(server).at(-1);
    return last?.alive ? last : null;
  }

  /** Every live process of a server (an orphan and a new one may overlap). */
  live(server: string): P[] {
    return this.of(server).filter((p) => p.alive);
  }

  find(server: string, pid: number): P | null {
    return this.live(server).find((p) => p.pid === pid) ?? null;
  }
}

/** What the in-process launcher asks of the machine its processes run on. */
export interface ProcessHost<P extends ServerProcess> {
  /** A new process of `server`, started now. */
  spawn(server: string): P;
  /** The live process of `server` with this pid (one the LFD found running), or null: it is gone. */
  attach(server: string, pid: number): P | null;
  /** The LFD kills it (SIGKILL). */
  kill(proc: P): void;
  /** The LFD drains it (SIGTERM, when the LFD itself is told to stop gracefully); none: it cannot. */
  term?(proc: P): void;
  /** How long after a process ends its launcher hears it (`attached`: not its child, so it polls). */
  exitDelayMs(attached: boolean): number;
  /**
   * What becomes of the launcher's child when the LFD's actor stops: `terminate` (the LFD stops
   * at once and stops it, SIGINT, as production does) or `orphan` (the LFD was killed: it runs on).
   * A process it attached to is not its child and runs on either way.
   */
  onStop: 'terminate' | 'orphan';
}

/**
 * The LFD's launcher, in process (production's is `processLauncher`): one actor is one process,
 * started by `host.spawn` or, with `attachPid`, found by `host.attach`.
 */
export function inProcessLauncher<P extends ServerProcess>(host: ProcessHost<P>) {
  return fromCallback<LauncherCommand, LauncherInput>(({ input, sendBack, receive }) => {
    let stopped = false;
    const report = (r: LauncherReport) => {
      if (!stopped) sendBack(r);
    };
    const attached = input.attachPid !== null;
    const proc = input.attachPid === null ? host.spawn(input.server) : host.attach(input.server, input.attachPid);
    const pid = proc?.pid ?? input.attachPid!;
    // Reported after the launcher is registered in the LFD, as a spawned child's would be.
    queueMicrotask(() => report({ type: 'process.started', pid }));
    const exited = (how: string) => {
      const delay = host.exitDelayMs(attached);
      if (delay === 0) report({ type: 'process.exited', pid, how });
      else setTimeout(() => report({ type: 'process.exited', pid, how }), delay);
    };
    // A pid that is gone is found so at the first poll, after `process.started` (as in production).
    if (proc === null) queueMicrotask(() => exited('gone'));
    else proc.onExit = exited;
    receive((command) => {
      if (!proc?.alive) return;
      if (command.type === 'kill') host.kill(proc);
      else host.term?.(proc);
    });
    return () => {
      stopped = true;
      if (proc?.onExit === exited) proc.onExit = null;
      if (proc && !attached && host.onStop === 'terminate') proc.end('signal SIGINT');
    };
  });
}
