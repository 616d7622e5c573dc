/**
 * Runs role machines (server, LFD, GFD, RM, client) in this one process, over either transport:
 *
 * - `memory`: the in-memory network under sinon fake timers. Time moves only when a test moves it,
 *   so timings can be checked to the millisecond.
 * - `tcp`: real sockets on 127.0.0.1 (free ports picked first, because the config names fixed
 *   ports) and real timers; every wait is bounded (`until`), and timings are checked loosely.
 *
 * A `Harness` builds the cluster config from ini text (`parseConfig`, short timings), starts role
 * actors with the transport and a recording printer, starts scriptable stand-ins (`Fake`) for the
 * roles a test does not run, and runs an in-process launcher for the LFDs. `close()` stops every
 * actor it started and checks that nothing is left open and that no actor crashed.
 */
import net from 'node:net';
import { expect } from 'chai';
import sinon from 'sinon';
import { createActor, enqueueActions, fromCallback, setup, type Actor, type AnyActorRef } from 'xstate';
import { clientMachine } from '../../src/actors/client.js';
import { gfdMachine } from '../../src/actors/gfd.js';
import type { LauncherCommand, LauncherInput, LauncherReport } from '../../src/actors/launcher.js';
import { lfdMachine } from '../../src/actors/lfd.js';
import { rmMachine } from '../../src/actors/rm.js';
import { serverMachine } from '../../src/actors/server.js';
import { BUILT_IN_APPS } from '../../src/app/index.js';
import { parseConfig } from '../../src/config/load.js';
import type { ClusterConfig } from '../../src/config/types.js';
import type { LogEvent, LogEventName, Print } from '../../src/log/events.js';
import { formatText, levelOf } from '../../src/log/printer.js';
import type { Frame, FrameKind, FrameOf, Mode, Phase, ReplicaRole, RoleKind } from '../../src/protocol/frames.js';
import type { Limits, Peer, PortKind } from '../../src/protocol/links.js';
import { makeTransport, type Conn, type Driver } from '../../src/transport/actors.js';
import { MemoryNetwork } from '../../src/transport/memory.js';
import { tcpDriver } from '../../src/transport/tcp.js';
import type { LinkInput, ListenerInput, Origin, Transport, TransportCommand, TransportEvent } from '../../src/transport/types.js';

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
}

export const DEFAULT_OPTIONS: ClusterOptions = {
  mode: 'passive',
  heartbeatFreq: 0.1,
  heartbeatTimeout: 0.3,
  checkpointFreq: 0.5,
  app: 'status',
  durability: 'checkpoint',
  clientInterval: 0.05,
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

export type ServerActor = Actor<typeof serverMachine>;
export type LfdActor = Actor<typeof lfdMachine>;
export type GfdActor = Actor<typeof gfdMachine>;
export type RmActor = Actor<typeof rmMachine>;
export type ClientActor = Actor<typeof clientMachine>;

/** A process the in-process launcher started for an LFD. */
export interface Launched {
  server: string;
  pid: number;
  /** The server machine; null for a hung stand-in. */
  role: Role<ServerActor> | null;
  /** The stand-in of a hung process (takes the LFD's hello, stops answering: `hangOnLaunch`). */
  hung: Fake | null;
  alive: boolean;
  /** How it ended (`signal SIGKILL`), once it ended. */
  how: string | null;
  /** End it from outside, as `kill -9` would: its sockets close, its LFD learns it exited. */
  kill(): void;
  /** The process exits by itself (`exit code 1`: it could not bind its ports). */
  exit(how: string): void;
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

/** Ports that are free now: bound to port 0 together (so they differ), then released. */
async function freePorts(host: string, n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const s = net.createServer();
          s.once('error', reject);
          s.listen({ host, port: 0 }, () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

/** TCP handles of this process (sockets and listening servers), to check that a test left none. */
function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
}

const FAKE_TIMERS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] as const;

export class Harness {
  readonly host = '127.0.0.1';
  readonly logs: Logged[] = [];
  /** Launched processes, by server name, oldest first. */
  readonly processes = new Map<string, Launched[]>();
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
  /** In-memory network: extra latency (ms) of what one role writes to another, by `WRITER>READER` (`S1>S2`). */
  readonly slow = new Map<string, number>();

  private options: ClusterOptions = { ...DEFAULT_OPTIONS };
  private built: ClusterConfig | null = null;
  private seq = 0;
  private nextPid = 4242;
  private readonly stoppers: (() => void)[] = [];
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly errors: string[] = [];
  private readonly conns: Conn[] = [];
  private readonly listening: { closed: boolean }[] = [];
  private tcpBaseline = 0;
  private clock: sinon.SinonFakeTimers | null = null;
  private network: MemoryNetwork | null = null;
  private ports: number[] = [];
  /** Every server machine started, by its (fake) pid. */
  private readonly byPid = new Map<number, Role<ServerActor>>();

  private constructor(readonly kind: TransportKind) {}

  static async create(kind: TransportKind): Promise<Harness> {
    const h = new Harness(kind);
    if (kind === 'memory') {
      h.clock = sinon.useFakeTimers({ toFake: [...FAKE_TIMERS] });
      h.network = new MemoryNetwork({ latencyMs: (from, to) => 1 + h.extraLatency(from, to) });
      // Any ports do on the in-memory network; these are the default file's.
      h.ports = [7000, 7001, 7101, 7201, 7102, 7202, 7103, 7203];
    } else {
      h.tcpBaseline = tcpHandles();
      h.ports = await freePorts(h.host, 8);
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
    const lines = [
      '[cluster]',
      `mode = ${o.mode}`,
      `heartbeat_freq = ${o.heartbeatFreq}`,
      `heartbeat_timeout = ${o.heartbeatTimeout}`,
      `checkpoint_freq = ${o.checkpointFreq}`,
      `durability = ${o.durability}`,
      `app = ${o.app}`,
      '',
      '[rm]',
      `host = ${this.host}`,
      `port = ${rm}`,
      '[gfd]',
      `host = ${this.host}`,
      `port = ${gfd}`,
    ];
    SERVERS.forEach((s, i) => {
      lines.push(`[server.${s}]`, `host = ${this.host}`, `port = ${rest[2 * i]}`, `peer_port = ${rest[2 * i + 1]}`);
      lines.push(`[lfd.LFD${i + 1}]`, `server = ${s}`);
    });
    for (const c of CLIENTS) lines.push(`[client.${c}]`, `interval = ${o.clientInterval}`, `message = ${MESSAGE[c]}`);
    return lines.join('\n') + '\n';
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

  private start<A extends AnyActorRef>(name: string, make: (inspect: (ev: any) => void) => A): Role<A> {
    const role = { name, received: [] } as unknown as Role<A> & { actor: A };
    const inspect = (ev: any) => {
      if (ev.type === '@xstate.event' && ev.actorRef === role.actor) role.received.push({ seq: this.nextSeq(), at: Date.now(), event: ev.event });
    };
    role.actor = make(inspect);
    let stopped = false;
    role.stop = () => {
      if (stopped) return;
      stopped = true;
      role.actor.stop();
    };
    role.actor.subscribe({ error: (err: unknown) => this.fail(name, err) });
    this.stoppers.push(role.stop);
    role.actor.start();
    return role;
  }

  server(name: string, pid = this.nextPid++, onBindFailure?: (reason: string) => void): Role<ServerActor> {
    const t = this.transport(name);
    if (onBindFailure) t.listener = reportBindFailure(t.listener, onBindFailure);
    const input = { name, config: this.config, app: BUILT_IN_APPS[this.config.cluster.app]!, pid, print: this.printer(name, pid) };
    const role = this.start(name, (inspect) => createActor(serverMachine.provide({ actors: { listener: t.listener, link: t.link, links: t.links } }), { input, inspect }));
    this.byPid.set(pid, role);
    return role;
  }

  /** An LFD; with `launch` its server runs through the in-process launcher. */
  lfd(name: string, launch = true): Role<LfdActor> {
    const t = this.transport(name);
    const input = { name, config: this.config, launch, print: this.printer(name) };
    const logic = lfdMachine.provide({ actors: { listener: t.listener, link: t.link, launcher: this.launcher() } });
    return this.start(name, (inspect) => createActor(logic, { input, inspect }));
  }

  gfd(): Role<GfdActor> {
    const t = this.transport('GFD');
    const input = { config: this.config, print: this.printer('GFD') };
    return this.start('GFD', (inspect) => createActor(gfdMachine.provide({ actors: { listener: t.listener, link: t.link } }), { input, inspect }));
  }

  rm(mode?: Mode): Role<RmActor> {
    const t = this.transport('RM');
    const input = { config: this.config, print: this.printer('RM'), ...(mode ? { mode } : {}) };
    return this.start('RM', (inspect) => createActor(rmMachine.provide({ actors: { listener: t.listener, link: t.link, links: t.links } }), { input, inspect }));
  }

  client(name: string, opts: { count?: number; intervalMs?: number } = {}): Role<ClientActor> {
    const t = this.transport(name);
    const input = { name, config: this.config, print: this.printer(name), ...opts };
    return this.start(name, (inspect) => createActor(clientMachine.provide({ actors: { listener: t.listener, link: t.link, links: t.links } }), { input, inspect }));
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

  /** The processes launched for a server, oldest first. */
  launched(server: string): Launched[] {
    return this.processes.get(server) ?? [];
  }

  /** The phase of the running process of a server (null: none runs). */
  phase(server: string): Phase | null {
    const role = this.current(server)?.role;
    return role ? phaseOf(role) : null;
  }

  /** The running process of a server (the latest launch, if alive). */
  current(server: string): Launched | null {
    const last = this.launched(server).at(-1);
    return last?.alive ? last : null;
  }

  /**
   * The LFDs' launcher, in process: a server machine (or a hung stand-in) per launch, with a fake
   * pid. `kill` (SIGKILL) stops it at once, as the kernel would: its sockets close, and the LFD
   * hears `process.exited` (after `exitDelayMs`). Stopping the launcher stops the server too (the
   * production launcher sends SIGTERM). With `attachPid` (an LFD that found its server already
   * running) it watches that process instead of starting one.
   */
  launcher() {
    return fromCallback<LauncherCommand, LauncherInput>(({ input, sendBack, receive }) => {
      const server = input.server;
      let stopped = false;
      const report = (r: LauncherReport) => {
        if (!stopped) sendBack(r);
      };
      const attachPid = (input as { attachPid?: number | null }).attachPid ?? null;
      const proc = attachPid === null ? this.spawn(server) : this.attach(server, attachPid);
      const end = (how: string) => {
        if (!proc.alive) return;
        proc.alive = false;
        proc.how = how;
        proc.role?.stop();
        proc.hung?.stop();
        if (this.exitDelayMs === 0) report({ type: 'process.exited', pid: proc.pid, how });
        else globalThis.setTimeout(() => report({ type: 'process.exited', pid: proc.pid, how }), this.exitDelayMs);
      };
      proc.kill = () => end('signal SIGKILL');
      proc.exit = end;
      // Reported after the launcher actor is registered in the LFD, as a spawned child's would be.
      queueMicrotask(() => report({ type: 'process.started', pid: proc.pid }));
      receive((command) => {
        if (command.type !== 'kill' || !proc.alive) return;
        this.kills.push({ seq: this.nextSeq(), at: Date.now(), server, pid: proc.pid });
        this.onKill?.(proc);
        end('signal SIGKILL');
      });
      return () => {
        stopped = true;
        proc.alive = false;
        proc.role?.stop();
        proc.hung?.stop();
      };
    });
  }

  /** A new process for a server: a server machine, or a hung stand-in when `hangOnLaunch` says so. */
  private spawn(server: string): Launched {
    const pid = this.nextPid++;
    const answers = this.hangOnLaunch.get(server);
    const hung = answers === undefined ? null : this.hungServer(server, answers);
    // Like `steadfast server`, a launched server that cannot bind its ports exits at once with status 1.
    const role = hung ? null : this.server(server, pid, (reason) => queueMicrotask(() => proc.exit(`exit code 1 (${reason})`)));
    const proc: Launched = { server, pid, role, hung, alive: true, how: null, kill: () => {}, exit: () => {} };
    this.processes.set(server, [...this.launched(server), proc]);
    return proc;
  }

  /** The running process with that pid: one launched before, or a server started by `server()`. */
  private attach(server: string, pid: number): Launched {
    const known = this.launched(server).find((p) => p.pid === pid && p.alive);
    if (known) return known;
    const role = this.byPid.get(pid) ?? null;
    const proc: Launched = { server, pid, role, hung: null, alive: true, how: null, kill: () => {}, exit: () => {} };
    this.processes.set(server, [...this.launched(server), proc]);
    return proc;
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

/** A server machine's phase, from its state value (null once stopped). */
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

export function phaseOf(role: Role<ServerActor>): Phase | null {
  const snapshot = role.actor.getSnapshot();
  if (snapshot.status !== 'active') return null;
  // Read from the state value's words, whatever regions the machine has around them.
  const value = JSON.stringify(snapshot.value);
  return value.includes('"booting"') ? 'booting' : value.includes('"recovering"') ? 'recovering' : 'ready';
}

/**
 * One `describe` per transport, with a fresh harness around every test. The body reads the harness
 * through `h()`, and may call `h().use(…)` before it starts anything.
 */
export function describeBoth(title: string, body: (h: () => Harness, kind: TransportKind) => void): void {
  for (const kind of KINDS) {
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

/** A listener that also tells `onFailure` when it cannot bind (as `run-role.ts` makes that fatal). */
function reportBindFailure(listener: Transport['listener'], onFailure: (reason: string) => void): Transport['listener'] {
  const inner = (listener as unknown as { config: (args: any) => (() => void) | void }).config;
  return fromCallback<TransportCommand, ListenerInput>((args: any) =>
    inner({
      ...args,
      sendBack: (event: TransportEvent) => {
        if (event.type === 'listen.failed') onFailure(event.reason);
        args.sendBack(event);
      },
    }),
  );
}
