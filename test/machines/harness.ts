/**
 * Runs role machines (server, LFD, GFD, RM, client) in this one process, over either transport:
 *
 * - `memory`: the in-memory network under sinon fake timers. Time moves only when a test moves it,
 *   so timings can be checked to the millisecond.
 * - `tcp`: real sockets on 127.0.0.1 (free ports picked first, because the config names fixed
 *   ports) and real timers; every wait is bounded (`until`), and timings are checked loosely.
 *
 * A `Harness` builds its cluster with `src/sim/cluster.ts`, as the simulator does: the config
 * from ini text (short timings), role actors on the transport with a recording printer, and an
 * in-process launcher for the LFDs. It adds scriptable stand-ins (`Fake`) for the roles a test does
 * not run. `close()` stops every actor it started and checks that nothing is left open and that no
 * actor crashed.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { createActor, enqueueActions, setup, type Actor, type AnyActorRef } from 'xstate';
import { BUILT_IN_APPS } from '../../src/app/index.js';
import { openDataFolder } from '../../src/actors/data-folder.js';
import type { ServerDisk } from '../../src/actors/server.js';
import { parseConfig } from '../../src/config/load.js';
import type { ClusterConfig } from '../../src/config/types.js';
import type { LogEvent, LogEventName, Print } from '../../src/log/events.js';
import { formatText, levelOf } from '../../src/log/printer.js';
import type { Frame, FrameKind, FrameOf, Mode, Phase, ReplicaRole, RoleKind } from '../../src/protocol/frames.js';
import type { Limits, Peer, PortKind } from '../../src/protocol/links.js';
import { makeTransport, type Conn, type Driver } from '../../src/transport/actors.js';
import { MemoryNetwork } from '../../src/transport/memory.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import { freePorts } from '../../src/transport/query.js';
import { tcpDriver } from '../../src/transport/tcp.js';
import type { LinkInput, ListenerInput, Origin, Transport, TransportCommand, TransportEvent } from '../../src/transport/types.js';
import {
  clusterIni,
  inProcessLauncher,
  ProcessTable,
  serverPhase,
  ServerProcess,
  startRole,
  startServerProcess,
  type ActorHooks,
  type ClientActor,
  type GfdActor,
  type LfdActor,
  type RmActor,
  type RoleEnv,
  type ServerActor,
} from '../../src/sim/cluster.js';

export type { ClientActor, GfdActor, LfdActor, RmActor, ServerActor };

export type TransportKind = 'memory' | 'tcp';
export const KINDS: readonly TransportKind[] = ['memory', 'tcp'];

/** `[cluster]` settings of the generated config; times in seconds, as in the file. */
export interface ClusterOptions {
  mode: Mode;
  heartbeatFreq: number;
  heartbeatTimeout: number;
  checkpointFreq: number;
  app: 'status' | 'log';
  /**
   * `checkpoint` by default: a passive primary then replies at once, so a test that runs a primary
   * beside fake backups does not depend on acknowledgements the fakes would have to send.
   */
  durability: 'sync' | 'checkpoint';
  /** `[client.*]` interval, seconds. */
  clientInterval: number;
  /** `[cluster] data_dir`: every server launched gets its data folder on a `MemoryDisk` (`disks`). */
  disks: boolean;
}

export const DEFAULT_OPTIONS: ClusterOptions = {
  mode: 'passive',
  heartbeatFreq: 0.1,
  heartbeatTimeout: 0.3,
  checkpointFreq: 0.5,
  app: 'status',
  durability: 'checkpoint',
  clientInterval: 0.05,
  disks: false,
};

export const SERVERS = ['S1', 'S2', 'S3'] as const;
export const CLIENTS = ['C1', 'C2', 'C3'] as const;
/** What each client's requests carry: request n is `message` + n. */
export const MESSAGE: Record<string, string> = { C1: 'hello_world', C2: 'ciao_', C3: 'hola_' };

export const LIMITS: Limits = { maxFrame: 1048576, maxStateFrame: 67108864 };

/** One printed line, as data and as the text the printer would write. */
export interface Logged {
  /** Order among everything the harness records (logs, kills). */
  seq: number;
  at: number;
  /** The actor that printed it (a role name: S1, LFD1, GFD, RM, C1). */
  by: string;
  /** A server's pid: which process of that name printed it. */
  pid: number | null;
  event: LogEvent;
  line: string;
}

export interface Stamped<E> {
  seq: number;
  at: number;
  event: E;
}

/** A started role machine and what it received (recorded through xstate's inspection API). */
export interface Role<A extends AnyActorRef> {
  name: string;
  actor: A;
  /** Every event the root actor took, with the time it took it. */
  received: Stamped<{ type: string } & Record<string, any>>[];
  /** Stop the actor (its sockets close); idempotent. */
  stop(): void;
}

/**
 * A server process: one the in-process launcher started for an LFD, or one a test started by hand
 * (`server()`). Ending it (`kill()`, or an exit) stops its server machine or its hung stand-in.
 */
export class Launched extends ServerProcess {
  /** The server machine; null for a hung stand-in. */
  role: Role<ServerActor> | null = null;

  constructor(
    server: string,
    pid: number,
    /** The stand-in of a hung process (takes the LFD's hello, stops answering: `hangOnLaunch`). */
    readonly hung: Fake | null = null,
  ) {
    super(server, pid, () => {
      this.role?.stop();
      this.hung?.stop();
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Fakes: scriptable stand-ins for a role (a listener or links, every event recorded)

type FakeControl =
  | { type: 'fake.listen'; input: ListenerInput }
  | { type: 'fake.link'; input: LinkInput }
  | { type: 'fake.cmd'; to: string; command: TransportCommand }
  | { type: 'fake.stopChild'; id: string };

function fakeMachine(transport: Transport) {
  return setup({
    types: {
      input: {} as { record: (event: TransportEvent) => void },
      context: {} as { record: (event: TransportEvent) => void },
      events: {} as TransportEvent | FakeControl,
    },
    actors: { listener: transport.listener, link: transport.link },
  }).createMachine({
    id: 'fake',
    context: ({ input }) => ({ record: input.record }),
    on: {
      'fake.listen': {
        actions: enqueueActions(({ enqueue, event }) => {
          enqueue.spawnChild('listener', { id: event.input.id, input: event.input });
        }),
      },
      'fake.link': {
        actions: enqueueActions(({ enqueue, event }) => {
          enqueue.spawnChild('link', { id: event.input.id, input: event.input });
        }),
      },
      'fake.cmd': {
        actions: enqueueActions(({ enqueue, event, self }) => {
          // Like the network, drop what goes to a transport actor that is gone.
          if (event.to in self.getSnapshot().children) enqueue.sendTo(event.to, event.command);
        }),
      },
      'fake.stopChild': {
        actions: enqueueActions(({ enqueue, event }) => {
          enqueue.stopChild(event.id);
        }),
      },
      '*': { actions: ({ context, event }) => context.record(event as TransportEvent) },
    },
  });
}

/** A frame a fake received, with when and from where. */
export interface Got<K extends FrameKind> {
  seq: number;
  at: number;
  frame: FrameOf<K>;
  origin: Origin;
}

/**
 * A stand-in for a role: it opens listeners and links on the harness transport, records every
 * transport event, and lets the test (or `onEvent`, for automatic answers) send frames.
 */
export class Fake {
  readonly actor: Actor<ReturnType<typeof fakeMachine>>;
  readonly events: Stamped<TransportEvent>[] = [];
  /** Called for every event after it was recorded: answer heartbeats, reply to requests, … */
  onEvent: ((event: TransportEvent) => void) | null = null;
  private stopped = false;

  constructor(
    private readonly h: Harness,
    readonly name: string,
    transport: Transport,
  ) {
    this.actor = createActor(fakeMachine(transport), {
      input: {
        record: (event) => {
          this.events.push({ seq: h.nextSeq(), at: Date.now(), event });
          this.onEvent?.(event);
        },
      },
    });
    this.actor.subscribe({ error: (err) => h.fail(`fake ${name}`, err) });
    this.actor.start();
  }

  /** Listen as `self` on a port of the given kind; the listener's id is `via`. */
  listen(kind: PortKind, port: number, self: Peer, via = 'listener'): this {
    this.actor.send({ type: 'fake.listen', input: { id: via, host: this.h.host, port, kind, self, limits: LIMITS } });
    return this;
  }

  /** An outbound link (reconnecting, as the real ones do). */
  link(via: string, port: number, self: Peer, target: RoleKind, hello: boolean): this {
    const input: LinkInput = { id: via, host: this.h.host, port, self, target, hello, limits: LIMITS, backoff: { initialMs: 20, maxMs: 100 } };
    this.actor.send({ type: 'fake.link', input });
    return this;
  }

  send(via: string, frame: Frame, link?: string): void {
    const command: TransportCommand = link === undefined ? { type: 'send', frame } : { type: 'send', link, frame };
    this.actor.send({ type: 'fake.cmd', to: via, command });
  }

  /** Answer on the connection an event came from. */
  reply(origin: Origin, frame: Frame): void {
    this.send(origin.via, frame, origin.link === '' ? undefined : origin.link);
  }

  /** Close a listener's connection, or (with link `''`) a link's current connection. */
  close(via: string, link = ''): void {
    this.actor.send({ type: 'fake.cmd', to: via, command: { type: 'close', link } });
  }

  stopChild(via: string): void {
    this.actor.send({ type: 'fake.stopChild', id: via });
  }

  /** Frames of one kind received, in order. */
  frames<K extends FrameKind>(kind: K): Got<K>[] {
    return this.events
      .filter((e) => e.event.type === `frame.${kind}`)
      .map((e) => {
        const ev = e.event as { frame: Frame; origin: Origin };
        return { seq: e.seq, at: e.at, frame: ev.frame as FrameOf<K>, origin: ev.origin };
      });
  }

  of<T extends TransportEvent['type']>(type: T): Stamped<Extract<TransportEvent, { type: T }>>[] {
    return this.events.filter((e): e is Stamped<Extract<TransportEvent, { type: T }>> => e.event.type === type);
  }

  /** The listener connection of the latest hello from `name`. */
  linkOf(name: string): Origin | null {
    return this.of('frame.hello').filter((e) => e.event.origin.peer?.name === name).at(-1)?.event.origin ?? null;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.actor.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// The harness

/** TCP handles of this process (sockets and listening servers), to check that a test left none. */
function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
}

const FAKE_TIMERS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] as const;

export class Harness {
  readonly host = '127.0.0.1';
  readonly logs: Logged[] = [];
  /** Processes launched (or attached to) by an LFD, by server name, oldest first. */
  private readonly procs = new ProcessTable<Launched>();
  /** Processes a test started by hand (`server()`), by pid: an LFD may attach to one. */
  private readonly byHand = new Map<number, Launched>();
  /** Processes their LFD killed (SIGKILL), in order with the logs; a kill of a dead one is not counted. */
  readonly kills: { seq: number; at: number; server: string; pid: number }[] = [];
  /**
   * Servers whose next launches start a process that hangs instead of a server: it answers this
   * many heartbeats, then nothing more.
   */
  readonly hangOnLaunch = new Map<string, number>();
  /** How long a killed process takes to be reported exited (production: the `exit` event). */
  exitDelayMs = 0;
  /** Runs when the launcher kills a process, just before it goes (what it wrote last still arrives). */
  onKill: ((proc: Launched) => void) | null = null;
  /** With the `disks` option: each server's data folder, kept across its processes (a power cut is `crash()`). */
  readonly disks = new Map<string, MemoryDisk>();
  /** In-memory network: extra latency (ms) of what one role writes to another, by `WRITER>READER` (`S1>S2`). */
  readonly slow = new Map<string, number>();

  private options: ClusterOptions = { ...DEFAULT_OPTIONS };
  private built: ClusterConfig | null = null;
  private seq = 0;
  private readonly stoppers: (() => void)[] = [];
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly errors: string[] = [];
  private readonly conns: Conn[] = [];
  private readonly listening: { closed: boolean }[] = [];
  private tcpBaseline = 0;
  private clock: sinon.SinonFakeTimers | null = null;
  private network: MemoryNetwork | null = null;
  private ports: number[] = [];

  private constructor(readonly kind: TransportKind) {}

  static async create(kind: TransportKind): Promise<Harness> {
    const h = new Harness(kind);
    if (kind === 'memory') {
      h.clock = sinon.useFakeTimers({ toFake: [...FAKE_TIMERS] });
      h.network = new MemoryNetwork({ latencyMs: (from, to) => 1 + h.extraLatency(from, to), turns: true });
      // Any ports do on the in-memory network; these are the default file's.
      h.ports = [7000, 7001, 7101, 7201, 7102, 7202, 7103, 7203];
    } else {
      h.tcpBaseline = tcpHandles();
      h.ports = await freePorts(8, h.host);
    }
    return h;
  }

  /** The `slow` entry of a write from address `local` to `remote`, found by the connection's role names. */
  private extraLatency(local: string, remote: string): number {
    if (this.slow.size === 0 || !this.network) return 0;
    for (const c of this.network.connections()) {
      if (c.from === local && c.to === remote) return this.slow.get(`${c.fromName}>${c.toName}`) ?? 0;
      if (c.to === local && c.from === remote) return this.slow.get(`${c.toName}>${c.fromName}`) ?? 0;
    }
    return 0;
  }

  /** In-memory network: resets the connections `from` (a role's name) opened to `to`; returns how many. */
  cut(from: string, to: string): number {
    const network = this.network;
    if (!network) throw new Error('harness: cut() needs the in-memory network');
    const wires = network.connections().filter((c) => c.fromName === from && c.toName === to);
    return wires.reduce((n, c) => n + network.disconnect(c.from), 0);
  }

  /** Change `[cluster]` settings; only before the config is first used. */
  use(options: Partial<ClusterOptions>): this {
    if (this.built) throw new Error('harness: use() after the config was built');
    this.options = { ...this.options, ...options };
    return this;
  }

  /** The cluster config, parsed from ini text as every role would read it. */
  get config(): ClusterConfig {
    this.built ??= parseConfig(this.iniText(), `machines-${this.kind}.ini`);
    return this.built;
  }

  iniText(): string {
    const o = this.options;
    const [rm, gfd, ...rest] = this.ports;
    return clusterIni({
      cluster: {
        mode: o.mode,
        heartbeat_freq: o.heartbeatFreq,
        heartbeat_timeout: o.heartbeatTimeout,
        checkpoint_freq: o.checkpointFreq,
        durability: o.durability,
        app: o.app,
        ...(o.disks && { data_dir: 'data' }),
      },
      rm: { host: this.host, port: rm! },
      gfd: { host: this.host, port: gfd! },
      servers: SERVERS.map((name, i) => ({ name, host: this.host, port: rest[2 * i]!, peerPort: rest[2 * i + 1]! })),
      clients: Object.fromEntries(CLIENTS.map((c) => [c, { interval: o.clientInterval, message: MESSAGE[c]! }])),
    });
  }

  /** Milliseconds of the config's timings. */
  get freqMs(): number {
    return this.config.cluster.heartbeatFreqMs;
  }
  get timeoutMs(): number {
    return this.config.cluster.heartbeatTimeoutMs;
  }
  get checkpointMs(): number {
    return this.config.cluster.checkpointFreqMs;
  }

  serverConfig(name: string) {
    const s = this.config.servers.find((x) => x.name === name);
    if (!s) throw new Error(`no server ${name}`);
    return s;
  }

  /** Same value for everything recorded, so records of different kinds can be ordered. */
  nextSeq(): number {
    return ++this.seq;
  }

  now(): number {
    return Date.now();
  }

  /** A crash of an actor: reported by `close()` so the test fails. */
  fail(who: string, err: unknown): void {
    this.errors.push(`${who}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }

  // -------------------------------------------------------------------------------------------
  // Transport

  /** A transport for one process; TCP connections are tracked so `close()` can check them. */
  transport(name: string): Transport {
    if (this.network) return this.network.transport({ name });
    return makeTransport(this.tracked(tcpDriver({ random: () => 0.5 })));
  }

  private tracked(driver: Driver): Driver {
    return {
      random: () => driver.random(),
      nonce: () => driver.nonce(),
      listen: (host, port, onConnection, done) =>
        driver.listen(
          host,
          port,
          (conn) => {
            this.conns.push(conn);
            onConnection(conn);
          },
          (result) => {
            if (!result.ok) return done(result);
            const handle = { closed: false };
            this.listening.push(handle);
            done({
              ...result,
              close: () => {
                handle.closed = true;
                result.close();
              },
            });
          },
        ),
      connect: (host, port, done) =>
        driver.connect(host, port, (result) => {
          if (result.ok) this.conns.push(result.conn);
          done(result);
        }),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Time

  /** Let `ms` pass: simulated for memory, real for TCP (only to show that nothing happens). */
  async pass(ms: number): Promise<void> {
    if (this.clock) await this.clock.tickAsync(ms);
    else await new Promise<void>((resolve) => globalThis.setTimeout(resolve, ms));
  }

  /** Memory only: move the fake clock to exactly `at`. */
  async tickTo(at: number): Promise<void> {
    if (!this.clock) throw new Error('tickTo needs fake timers');
    if (at < this.clock.now) throw new Error(`tickTo(${at}): already at ${this.clock.now}`);
    await this.clock.tickAsync(at - this.clock.now);
  }

  /**
   * Wait until `cond` holds, at most `ms` (simulated for memory, real for TCP); fail naming `what`.
   * Memory moves the clock 1 ms at a time, so the condition is seen at the first millisecond it holds.
   */
  async until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
    const start = Date.now();
    if (this.clock) {
      while (!cond()) {
        if (Date.now() - start >= ms) throw new Error(`memory: no ${what} within ${ms} ms (simulated)`);
        await this.clock.tickAsync(1);
      }
      return;
    }
    while (!cond()) {
      if (Date.now() - start >= ms) throw new Error(`tcp: no ${what} within ${ms} ms`);
      await new Promise<void>((resolve) => globalThis.setTimeout(resolve, 5));
    }
  }

  /**
   * Check a duration the machines timed: exact under fake timers; over TCP only roughly, because
   * Node measures a timer from the event loop's cached time, which lags behind the clock on a busy
   * machine (a 100 ms timer was seen firing 64 ms after it was set), and a busy loop runs it late.
   */
  took(actual: number, expected: number, what: string): void {
    if (this.kind === 'memory') expect(actual, what).to.equal(expected);
    else expect(actual, what).to.be.within(expected / 2, expected + 500);
  }

  /** Run `fn` every `ms` until the harness closes (fake-timer driven under memory). */
  every(ms: number, fn: () => void): void {
    this.timers.push(globalThis.setInterval(fn, ms));
  }

  // -------------------------------------------------------------------------------------------
  // Logs

  /** The print function of one role: records each event and its text line. */
  printer(by: string, pid: number | null = null): Print {
    return (event) => {
      const at = Date.now();
      const line = formatText(event, new Date(at));
      this.logs.push({ seq: this.nextSeq(), at, by, pid, event, line });
      if (process.env.MACHINES_TRACE) console.log(`${this.kind} ${String(at % 100000).padStart(5)} ${by.padEnd(4)} ${line}`);
    };
  }

  /** Logged events of one kind (optionally of one printer), in order. */
  logged<N extends LogEventName>(event: N, by?: string): (Logged & { event: Extract<LogEvent, { event: N }> })[] {
    return this.logs.filter(
      (l): l is Logged & { event: Extract<LogEvent, { event: N }> } => l.event.event === event && (by === undefined || l.by === by),
    );
  }

  /** Text lines of one printer, without the `[HH:MM:SS] ` prefix. */
  lines(by: string): string[] {
    return this.logs.filter((l) => l.by === by).map((l) => l.line.replace(/^\[\d\d:\d\d:\d\d\] /, ''));
  }

  /** The latest `members` line of the GFD or the RM. */
  members(by: 'GFD' | 'RM'): string[] | null {
    return this.logged('members', by).at(-1)?.event.members ?? null;
  }

  // -------------------------------------------------------------------------------------------
  // Roles

  /** A role's actor on its own transport, with every event it takes recorded; stopped by `close()`. */
  private start<A extends AnyActorRef>(name: string, make: (hooks: ActorHooks) => A): Role<A> {
    const received: Role<A>['received'] = [];
    const actor = make({
      onEvent: (event) => received.push({ seq: this.nextSeq(), at: Date.now(), event }),
      onError: (err) => this.fail(name, err),
    });
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      actor.stop();
    };
    this.stoppers.push(stop);
    return { name, actor, received, stop };
  }

  private env(name: string, pid: number | null = null): RoleEnv {
    return { config: this.config, transport: this.transport(name), print: this.printer(name, pid) };
  }

  /** A server started by hand: an LFD that finds it running attaches to it by its pid. */
  /** A server started by hand; `disk`: its data folder and what it held. */
  server(name: string, pid = this.procs.newPid(), disk?: ServerDisk): Role<ServerActor> {
    const proc = new Launched(name, pid);
    this.byHand.set(pid, proc);
    return this.runServer(proc, disk);
  }

  private runServer(proc: Launched, disk?: ServerDisk): Role<ServerActor> {
    const app = BUILT_IN_APPS[this.config.cluster.app]!;
    proc.role = this.start(proc.server, (hooks) => startServerProcess(proc, this.env(proc.server, proc.pid), app, hooks, disk));
    return proc.role;
  }

  /** An LFD; with `launch` its server runs through the in-process launcher. */
  lfd(name: string, launch = true): Role<LfdActor> {
    return this.start(name, (hooks) => startRole('lfd', this.env(name), { name, launch }, hooks, { launcher: this.launcher() }));
  }

  gfd(): Role<GfdActor> {
    return this.start('GFD', (hooks) => startRole('gfd', this.env('GFD'), {}, hooks));
  }

  rm(mode?: Mode): Role<RmActor> {
    return this.start('RM', (hooks) => startRole('rm', this.env('RM'), mode ? { mode } : {}, hooks));
  }

  /** `config`: what the client knows instead of the cluster's configuration (fewer servers, say). */
  client(name: string, opts: { count?: number; intervalMs?: number; giveUp?: boolean; config?: ClusterConfig } = {}): Role<ClientActor> {
    const { config, ...input } = opts;
    return this.start(name, (hooks) => startRole('client', { ...this.env(name), ...(config && { config }) }, { name, ...input }, hooks));
  }

  /** A stand-in on the harness transport; stopped by `close()`. */
  fake(name: string): Fake {
    const f = new Fake(this, name, this.transport(`fake-${name}`));
    this.stoppers.push(() => f.stop());
    return f;
  }

  /**
   * A stand-in LFD for a server: links to its peer port, says hello, and heartbeats it every
   * `heartbeat_freq` as a real LFD does (a server may serve only while its LFD's heartbeats come).
   */
  fakeLfd(server: string, beating: () => boolean = () => true): Fake {
    const index = SERVERS.indexOf(server as (typeof SERVERS)[number]) + 1;
    const lfd = this.fake(`LFD${index}`).link('server', this.serverConfig(server).peerPort, { name: `LFD${index}`, role: 'lfd' }, 'server', true);
    let count = 0;
    this.every(this.freqMs, () => {
      if (beating()) lfd.send('server', { kind: 'heartbeat', from: `LFD${index}`, to: server, count: ++count });
    });
    return lfd;
  }

  /**
   * A stand-in GFD on the GFD's port: it heartbeats every LFD that said hello, every
   * `heartbeat_freq`, naming the last heartbeat the LFD answered on that link, as a real GFD does
   * (an LFD renews its server's lease only while a GFD shows it heard it).
   */
  fakeGfd(beating: () => boolean = () => true): Fake {
    const gfd = this.fake('GFD').listen('gfd', this.config.gfds[0]!.port, { name: 'GFD', role: 'gfd' });
    let count = 0;
    this.every(this.freqMs, () => {
      if (!beating()) return;
      count += 1;
      const lfds = new Map(gfd.of('frame.hello').map((e) => [e.event.origin.peer?.name ?? '', e.event.origin]));
      for (const [lfd, origin] of lfds) {
        const answered = gfd.frames('heartbeat').filter((f) => f.origin.link === origin.link).at(-1)?.frame.count;
        gfd.reply(origin, { kind: 'heartbeat', from: 'GFD', to: lfd, count, ...(answered !== undefined && { answered }) });
      }
    });
    return gfd;
  }

  /** The processes launched for a server, oldest first. */
  launched(server: string): Launched[] {
    return this.procs.of(server);
  }

  /** The phase of the running process of a server (null: none runs). */
  phase(server: string): Phase | null {
    const role = this.current(server)?.role;
    return role ? phaseOf(role) : null;
  }

  /** The running process of a server (the latest launch, if alive). */
  current(server: string): Launched | null {
    return this.procs.current(server);
  }

  /**
   * The LFDs' launcher: a server machine (or a hung stand-in) per launch. A killed process is heard
   * exited after `exitDelayMs`; stopping an LFD stops the server it launched (production sends
   * SIGINT), not one it attached to; its `term` drains the server.
   */
  private launcher() {
    return inProcessLauncher<Launched>({
      spawn: (server) => this.spawn(server),
      attach: (server, pid) => this.procs.find(server, pid) ?? this.attachByHand(pid),
      kill: (proc) => {
        this.kills.push({ seq: this.nextSeq(), at: Date.now(), server: proc.server, pid: proc.pid });
        this.onKill?.(proc);
        proc.kill();
      },
      term: (proc) => proc.role?.actor.send({ type: 'drain' }),
      exitDelayMs: () => this.exitDelayMs,
      onStop: 'terminate',
    });
  }

  /** A new process for a server: a server machine, or a hung stand-in when `hangOnLaunch` says so. */
  private spawn(server: string): Launched {
    const pid = this.procs.newPid();
    const answers = this.hangOnLaunch.get(server);
    if (answers !== undefined) return this.procs.add(new Launched(server, pid, this.hungServer(server, answers)));
    const proc = this.procs.add(new Launched(server, pid));
    this.runServer(proc, this.options.disks ? this.dataFolder(proc) : undefined);
    return proc;
  }

  /** A launched process's data folder, as the server command opens it; a failed write kills it. */
  private dataFolder(proc: Launched): ServerDisk {
    const disk = this.disks.get(proc.server) ?? new MemoryDisk();
    this.disks.set(proc.server, disk);
    return openDataFolder(disk, { server: proc.server, print: this.printer(proc.server, proc.pid), failStop: () => proc.kill() });
  }

  /** A server started by hand, now watched by an LFD. */
  private attachByHand(pid: number): Launched | null {
    const proc = this.byHand.get(pid);
    return proc?.alive ? this.procs.add(proc) : null;
  }

  /** A process that hangs: it takes hellos on its peer port, answers `answers` heartbeats, then nothing. */
  hungServer(server: string, answers = 0): Fake {
    const fake = this.fake(`${server}-hung`).listen('server-peer', this.serverConfig(server).peerPort, { name: server, role: 'server' });
    let left = answers;
    answerHeartbeats(fake, server, () => left-- > 0);
    return fake;
  }

  // -------------------------------------------------------------------------------------------
  // Teardown

  /**
   * Stop every actor and timer, then check that every connection and listener is closed (memory:
   * the network is empty; TCP: no socket of this process is left) and that no actor crashed.
   */
  async close(failed = false): Promise<void> {
    for (const t of this.timers) globalThis.clearInterval(t);
    for (const stop of [...this.stoppers].reverse()) stop();
    const problems = [...this.errors];
    try {
      if (this.network) {
        const network = this.network;
        await this.until(() => network.connections().length === 0 && network.listening().length === 0, 'empty network', 1000).catch(() =>
          problems.push(`left open: ${JSON.stringify(network.connections())} listening ${network.listening().join(' ')}`),
        );
      } else {
        await this.until(
          () => this.conns.every((c) => c.closed) && this.listening.every((l) => l.closed) && tcpHandles() <= this.tcpBaseline,
          'closed sockets',
          3000,
        ).catch(() =>
          problems.push(
            `left open: ${this.conns.filter((c) => !c.closed).length} connections, ${this.listening.filter((l) => !l.closed).length} listeners, ` +
              `${tcpHandles()} TCP handles (baseline ${this.tcpBaseline})`,
          ),
        );
      }
    } finally {
      this.clock?.restore();
      this.clock = null;
    }
    if (failed || problems.length > 0) {
      // What went wrong shows in the lifecycle lines (start, ready, failures, members); per-request
      // and heartbeat lines would hide them, so only the last few of those follow.
      const show = (l: Logged) => `${l.at % 100000} ${l.by}: ${l.line}`;
      const lifecycle = this.logs.filter((l) => levelOf(l.event) !== 'info');
      console.log(
        `--- lifecycle lines (${this.kind}) ---\n${lifecycle.slice(-80).map(show).join('\n')}\n` +
          `--- last lines ---\n${this.logs.slice(-15).map(show).join('\n')}`,
      );
    }
    if (problems.length > 0) throw new Error(problems.join('\n'));
  }
}

/** A `ready` as the RM sends it; `serving`: the mark for a member the RM counts as serving. */
export const ready = (server: string, mode: Mode, role: ReplicaRole, epoch: number, peers: string[], serving = false): Frame => ({
  kind: 'ready',
  server,
  mode,
  role,
  epoch,
  peers,
  ...(serving ? { serving: true } : {}),
});

/** A client's request. */
export const request = (server: string, num: number, body: string, client = 'C1'): Frame => ({ kind: 'request', client, server, num, body });

/** A server machine's phase (null once stopped). */
export const phaseOf = (role: Role<ServerActor>): Phase | null => serverPhase(role.actor.getSnapshot());

/**
 * One `describe` per transport (of `kinds`), with a fresh harness around every test. The body reads
 * the harness through `h()`, and may call `h().use(…)` before it starts anything.
 */
export function describeBoth(title: string, body: (h: () => Harness, kind: TransportKind) => void, kinds = KINDS): void {
  for (const kind of kinds) {
    describe(`${title} [${kind}]`, function () {
      let current: Harness | null = null;
      beforeEach(async () => {
        current = await Harness.create(kind);
      });
      afterEach(async function () {
        const h = current;
        current = null;
        await h?.close(this.currentTest?.state === 'failed');
      });
      body(() => {
        if (!current) throw new Error('no harness outside a test');
        return current;
      }, kind);
    });
  }
}

/** An automatic heartbeat answer for a fake server or LFD: `<S1, LFD1, 8, heartbeat>` back. */
export function answerHeartbeats(fake: Fake, self: string, when: () => boolean = () => true): void {
  const previous = fake.onEvent;
  fake.onEvent = (event) => {
    previous?.(event);
    if (event.type === 'frame.heartbeat' && when()) {
      fake.reply(event.origin, { kind: 'heartbeat', from: self, to: event.frame.from, count: event.frame.count });
    }
  };
}
