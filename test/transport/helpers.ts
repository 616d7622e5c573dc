/**
 * Test helpers for the transport: a recording parent machine (one per simulated process) and two
 * harnesses that run the same cases over real TCP on 127.0.0.1 and over the in-memory network
 * under sinon fake timers. Every wait is bounded: `until` polls a condition and fails with a
 * description after a deadline (real time for TCP, simulated time for memory).
 */
import net from 'node:net';
import sinon from 'sinon';
import { createActor, enqueueActions, setup, type Actor } from 'xstate';
import type { Frame } from '../../src/protocol/frames.js';
import type { Limits, Peer } from '../../src/protocol/links.js';
import { MemoryNetwork, type MemoryNetworkOptions } from '../../src/transport/memory.js';
import type { Conn, Driver } from '../../src/transport/connection.js';
import { makeTcpTransport, tcpDriver } from '../../src/transport/tcp.js';
import type {
  LinkInput,
  LinksInput,
  ListenerInput,
  Transport,
  TransportCommand,
  TransportEvent,
  WantedPeer,
} from '../../src/transport/types.js';

export const LIMITS: Limits = { maxFrame: 1048576, maxStateFrame: 67108864 };

type Control =
  | { type: 'cmd'; to: string; command: TransportCommand }
  | { type: 'start.listener'; input: ListenerInput }
  | { type: 'start.link'; input: LinkInput }
  | { type: 'start.links'; input: LinksInput }
  | { type: 'stop.child'; id: string };

/** A parent that starts transport actors on request, passes commands to them and records every event. */
export function recorderMachine(transport: Transport) {
  return setup({
    types: {
      context: {} as { events: TransportEvent[] },
      events: {} as TransportEvent | Control,
    },
    actors: { listener: transport.listener, link: transport.link, links: transport.links },
  }).createMachine({
    id: 'recorder',
    context: { events: [] },
    on: {
      cmd: {
        actions: enqueueActions(({ enqueue, event }) => {
          enqueue.sendTo(event.to, event.command);
        }),
      },
      'start.listener': {
        actions: enqueueActions(({ enqueue, event }) => {
          enqueue.spawnChild('listener', { id: event.input.id, input: event.input });
        }),
      },
      'start.link': {
        actions: enqueueActions(({ enqueue, event }) => {
          enqueue.spawnChild('link', { id: event.input.id, input: event.input });
        }),
      },
      'start.links': {
        actions: enqueueActions(({ enqueue, event }) => {
          enqueue.spawnChild('links', { id: event.input.id, input: event.input });
        }),
      },
      'stop.child': {
        actions: enqueueActions(({ enqueue, event }) => {
          enqueue.stopChild(event.id);
        }),
      },
      '*': {
        actions: enqueueActions(({ enqueue, context, event }) => {
          enqueue.assign({ events: [...context.events, event as TransportEvent] });
        }),
      },
    },
  });
}

type Recorder = ReturnType<typeof recorderMachine>;

/** One simulated process: a recorder actor and conveniences around it. */
export class Proc {
  readonly actor: Actor<Recorder>;
  readonly errors: unknown[] = [];

  constructor(
    readonly name: string,
    transport: Transport,
  ) {
    this.actor = createActor(recorderMachine(transport));
    this.actor.subscribe({ error: (err) => this.errors.push(err) });
    this.actor.start();
  }

  get events(): TransportEvent[] {
    return this.actor.getSnapshot().context.events;
  }

  /** Recorded events of one type. */
  of<T extends TransportEvent['type']>(type: T): Extract<TransportEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<TransportEvent, { type: T }> => e.type === type);
  }

  listen(input: Omit<ListenerInput, 'limits'> & { limits?: Limits }): void {
    this.actor.send({ type: 'start.listener', input: { limits: LIMITS, ...input } });
  }

  link(input: Omit<LinkInput, 'limits'> & { limits?: Limits }): void {
    this.actor.send({ type: 'start.link', input: { limits: LIMITS, ...input } });
  }

  links(input: Omit<LinksInput, 'limits'> & { limits?: Limits }): void {
    this.actor.send({ type: 'start.links', input: { limits: LIMITS, ...input } });
  }

  /** Tell the links actor `to` which peers it links to. */
  want(to: string, peers: WantedPeer[]): void {
    this.actor.send({ type: 'cmd', to, command: { type: 'links.want', peers } });
  }

  send(to: string, frame: Frame, link?: string): void {
    this.actor.send({ type: 'cmd', to, command: link === undefined ? { type: 'send', frame } : { type: 'send', link, frame } });
  }

  /** Tell the links actor `to` that the peer `link` listens again. */
  retry(to: string, link: string): void {
    this.actor.send({ type: 'cmd', to, command: { type: 'links.retry', link } });
  }

  close(to: string, link: string): void {
    this.actor.send({ type: 'cmd', to, command: { type: 'close', link } });
  }

  stopChild(id: string): void {
    this.actor.send({ type: 'stop.child', id });
  }

  stop(): void {
    this.actor.stop();
  }
}

export interface Harness {
  readonly name: string;
  readonly host: string;
  /** Install fakes, make a network (called in `beforeEach`). */
  setup(): void;
  /** Undo `setup` (called in `afterEach`, after the processes were stopped). */
  teardown(): Promise<void>;
  transport(name: string): Transport;
  /** A bare driver: connections that write whatever a test types, partial frames included. */
  driver(): Driver;
  /** Let `ms` pass (simulated for memory, real for TCP). */
  pass(ms: number): Promise<void>;
  /** Wait until `cond` holds; fail naming `what` after `ms`. */
  until(cond: () => boolean | Promise<boolean>, what: string, ms?: number): Promise<void>;
  /** Whether a fresh listener could bind `host:port` now. */
  portFree(port: number): Promise<boolean>;
  /** Open connections, where the harness can see them (memory). */
  openConnections(): number | null;
}

export const FAKE_TIMERS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] as const;

export function memoryHarness(options: MemoryNetworkOptions = {}): Harness & { network(): MemoryNetwork; clock(): sinon.SinonFakeTimers } {
  let clock: sinon.SinonFakeTimers | null = null;
  let network: MemoryNetwork | null = null;
  const host = '127.0.0.1';
  const need = <T>(x: T | null): T => {
    if (x === null) throw new Error('memory harness not set up');
    return x;
  };
  return {
    name: 'memory',
    host,
    setup() {
      clock = sinon.useFakeTimers({ toFake: [...FAKE_TIMERS] });
      network = new MemoryNetwork(options);
    },
    async teardown() {
      clock?.restore();
      clock = null;
      network = null;
    },
    network: () => need(network),
    clock: () => need(clock),
    transport: (name) => need(network).transport({ name }),
    driver: () => need(network).driver({ name: 'raw' }),
    async pass(ms) {
      await need(clock).tickAsync(ms);
    },
    async until(cond, what, ms = 5000) {
      const c = need(clock);
      const deadline = c.now + ms;
      while (!(await cond())) {
        if (c.now >= deadline) throw new Error(`memory: no ${what} within ${ms} ms (simulated)`);
        await c.tickAsync(1);
      }
    },
    async portFree(port) {
      return !need(network).listening().includes(`${host}:${port}`);
    },
    openConnections: () => need(network).connections().length,
  };
}

/** Bind and release `host:port`: true when nothing holds it. */
export function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port }, () => server.close(() => resolve(true)));
  });
}

export function tcpHarness(): Harness {
  const host = '127.0.0.1';
  const sleep = (ms: number) => new Promise<void>((resolve) => globalThis.setTimeout(resolve, ms));
  return {
    name: 'tcp',
    host,
    setup() {},
    async teardown() {},
    // A fixed random keeps backoff delays at a known fraction of their ceiling.
    transport: () => makeTcpTransport({ random: () => 0.5 }),
    driver: () => tcpDriver(),
    pass: sleep,
    async until(cond, what, ms = 5000) {
      const deadline = Date.now() + ms;
      while (!(await cond())) {
        if (Date.now() >= deadline) throw new Error(`tcp: no ${what} within ${ms} ms`);
        await sleep(2);
      }
    },
    portFree: (port) => canBind(host, port),
    openConnections: () => null,
  };
}

/** The port a listener reported (the latest `listen.ready` of `via`). */
export function readyPort(proc: Proc, via: string): number | null {
  const ready = proc.of('listen.ready').filter((e) => e.via === via);
  return ready.at(-1)?.port ?? null;
}

export const peer = (name: string, role: Peer['role']): Peer => ({ name, role });

/** A bare connection to `port`, with whether (and why) it closed. */
export async function rawConnect(h: Harness, port: number): Promise<{ conn: Conn; closed: () => string | null }> {
  let conn: Conn | null = null;
  let failed: string | null = null;
  let why: string | null = null;
  h.driver().connect(h.host, port, (result) => {
    if (!result.ok) {
      failed = result.reason;
      return;
    }
    result.conn.onClose((reason) => (why = reason));
    result.conn.onData(() => {});
    conn = result.conn;
  });
  await h.until(() => conn !== null || failed !== null, 'a raw connection');
  if (conn === null) throw new Error(`raw connection to ${port}: ${failed}`);
  return { conn, closed: () => why };
}
