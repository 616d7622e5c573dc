/**
 * TCP simulated in one process, for whole-cluster tests under fake timers. Each role gets its own
 * `network.transport(name)`; machines cannot tell it from `tcpTransport`.
 *
 * - Listeners register `host:port` (port 0 takes a free port); a second listen on a bound address
 *   fails with `address in use`. Binding is exact: `0.0.0.0` is an address like any other.
 * - Connecting to an address without a listener fails with `connection refused` after one latency.
 * - What one end writes reaches the other after the latency (default 1 ms), as one chunk per write,
 *   in order per direction; a close reaches the other end after what was written before it.
 * - Every delay goes through `globalThis.setTimeout`, looked up at each call, so sinon fake timers
 *   installed at any time drive it; the only random source is the injected one (default a seeded
 *   PRNG), so a run is reproducible.
 * - Fault injection: `disconnect(target)` cuts connections (both ends see `connection reset`, data
 *   in flight is lost); `connections()` lists what is open.
 */
import { mulberry32 } from '../random.js';
import { makeTransport } from './actors.js';
import { wholeText } from '../protocol/transfer.js';
import { BaseConn, type Driver, type Outgoing } from './connection.js';
import type { Transport } from './types.js';

export type Latency = number | ((from: string, to: string) => number);

export interface MemoryNetworkOptions {
  /** Uniform in [0, 1): backoff jitter of every link on this network. Default `mulberry32(1)`. */
  random?: () => number;
  /** One-way delay in ms, or a function of the sending and receiving ends' addresses. Default 1. */
  latencyMs?: Latency;
  /** Sees everything the network does (for debugging simulation tests). */
  trace?: (event: NetworkTrace) => void;
  /**
   * Turns as TCP has them: what a batching listener reads at one instant reaches its machine
   * together, in a zero-delay timer (`Driver.atTurnEnd`). Default off: each write is its own delivery.
   */
  turns?: boolean;
}

export interface MemoryTransportOptions {
  /** Names the process using this transport (for `disconnect` and `connections`). */
  name?: string;
  /** The host its outbound connections come from (their address is `host:ephemeral-port`). */
  host?: string;
}

/** One open (or half-closed) connection. */
export interface ConnectionInfo {
  id: number;
  /** The connecting end's address (`host:ephemeral-port`). */
  from: string;
  /** The listener's address. */
  to: string;
  /** Transport names of the connecting and the listening side. */
  fromName: string;
  toName: string;
}

export type NetworkTrace =
  | { type: 'listen'; address: string; name: string }
  | { type: 'unlisten'; address: string }
  | { type: 'refused'; from: string; to: string }
  | { type: 'connect'; id: number; from: string; to: string }
  | { type: 'data'; id: number; from: string; to: string; text: string }
  | { type: 'close'; id: number; from: string; to: string }
  | { type: 'reset'; id: number; from: string; to: string };

function later(ms: number, fn: () => void): ReturnType<typeof setTimeout> {
  return globalThis.setTimeout(fn, Math.max(0, ms));
}

/**
 * One direction of a connection: items arrive after their latency, never before an item queued
 * earlier (a later write with a smaller latency waits for the earlier one).
 */
class Pipe {
  private last = 0;
  private queue: { deliver: () => void; timer: ReturnType<typeof setTimeout> }[] = [];

  push(latency: number, deliver: () => void): void {
    const now = Date.now();
    const at = Math.max(now + Math.max(0, latency), this.last);
    this.last = at;
    const timer = later(at - now, () => this.queue.shift()?.deliver());
    this.queue.push({ deliver, timer });
  }

  /** Lose everything in flight. */
  drop(): void {
    for (const item of this.queue) globalThis.clearTimeout(item.timer);
    this.queue = [];
  }
}

interface Wire {
  id: number;
  from: string;
  to: string;
  fromName: string;
  toName: string;
  ends: [MemEnd, MemEnd];
  cut: boolean;
}

class MemEnd extends BaseConn {
  other!: MemEnd;
  wire!: Wire;
  private readonly out = new Pipe();

  constructor(
    private readonly network: MemoryNetwork,
    readonly local: string,
    readonly remote: string,
  ) {
    super();
  }

  protected transmit(out: Outgoing): void {
    if (this.wire.cut) return;
    const text = wholeText(out);
    const other = this.other;
    const bytes = new TextEncoder().encode(text);
    this.network.emitTrace({ type: 'data', id: this.wire.id, from: this.local, to: this.remote, text });
    this.out.push(this.network.latency(this.local, this.remote), () => other.arrive(bytes));
  }

  protected shutdown(): void {
    if (!this.wire.cut) {
      const other = this.other;
      this.network.emitTrace({ type: 'close', id: this.wire.id, from: this.local, to: this.remote });
      this.out.push(this.network.latency(this.local, this.remote), () => other.end('closed by peer'));
    }
    this.network.settle(this.wire);
  }

  arrive(bytes: Uint8Array): void {
    this.received(bytes);
  }

  end(reason: string): void {
    this.lost(reason);
    this.network.settle(this.wire);
  }

  /** Cut: lose what is in flight from this end; this end learns of it after one latency. */
  reset(): void {
    this.out.drop();
    if (!this.closed) later(this.network.latency(this.remote, this.local), () => this.end('connection reset'));
  }
}

interface Listening {
  name: string;
  onConnection: (conn: MemEnd) => void;
}

export class MemoryNetwork {
  readonly random: () => number;
  private readonly latencyOption: Latency;
  private readonly trace: ((event: NetworkTrace) => void) | undefined;
  private readonly listeners = new Map<string, Listening>();
  private readonly wires = new Set<Wire>();
  private nextPort = 49152;
  private nextWire = 0;
  private nextName = 0;
  private nonces = 0;
  private readonly turns: boolean;

  constructor(options: MemoryNetworkOptions = {}) {
    this.random = options.random ?? mulberry32(1);
    this.latencyOption = options.latencyMs ?? 1;
    this.trace = options.trace;
    this.turns = options.turns ?? false;
  }

  /** A transport for one process on this network. */
  transport(options: MemoryTransportOptions = {}): Transport {
    return makeTransport(this.driver(options));
  }

  /** The same as a `Driver`, for code that builds its own transport actors. */
  driver(options: MemoryTransportOptions = {}): Driver {
    const name = options.name ?? `T${++this.nextName}`;
    const host = options.host ?? '127.0.0.1';
    return {
      random: () => this.random(),
      // Counted, not drawn: the in-memory network is for tests and the simulator, whose seeds must
      // replay alike whether or not the cluster has a secret.
      nonce: () => (++this.nonces).toString(16).padStart(32, '0'),
      ...(this.turns && { atTurnEnd: (work: () => void) => void later(0, work) }),
      listen: (listenHost, port, onConnection, done) => {
        const bound = port === 0 ? this.freePort(listenHost) : port;
        const address = `${listenHost}:${bound}`;
        if (this.listeners.has(address)) {
          queueMicrotask(() => done({ ok: false, reason: 'address in use' }));
          return;
        }
        const entry: Listening = { name, onConnection };
        this.listeners.set(address, entry);
        this.emitTrace({ type: 'listen', address, name });
        let open = true;
        const close = (): void => {
          if (!open) return;
          open = false;
          if (this.listeners.get(address) === entry) this.listeners.delete(address);
          this.emitTrace({ type: 'unlisten', address });
        };
        queueMicrotask(() => done({ ok: true, port: bound, close }));
      },
      connect: (connectHost, port, done) => {
        const from = `${host}:${this.freePort(host)}`;
        const to = `${connectHost}:${port}`;
        later(this.latency(from, to), () => {
          const listening = this.listeners.get(to);
          if (listening === undefined) {
            this.emitTrace({ type: 'refused', from, to });
            done({ ok: false, reason: 'connection refused' });
            return;
          }
          const client = new MemEnd(this, from, to);
          const server = new MemEnd(this, to, from);
          client.other = server;
          server.other = client;
          const wire: Wire = {
            id: ++this.nextWire,
            from,
            to,
            fromName: name,
            toName: listening.name,
            ends: [client, server],
            cut: false,
          };
          client.wire = wire;
          server.wire = wire;
          this.wires.add(wire);
          this.emitTrace({ type: 'connect', id: wire.id, from, to });
          listening.onConnection(server);
          done({ ok: true, conn: client });
        });
      },
    };
  }

  /**
   * Cut every connection that `target` names: a listener's address (its accepted connections), a
   * connecting end's address, or a transport's name (everything that process has open). Both ends
   * see `connection reset` after one latency; data in flight is lost. Returns how many were cut.
   */
  disconnect(target: string): number {
    let count = 0;
    for (const wire of [...this.wires]) {
      if (wire.cut) continue;
      if (wire.to !== target && wire.from !== target && wire.fromName !== target && wire.toName !== target) continue;
      wire.cut = true;
      count += 1;
      this.emitTrace({ type: 'reset', id: wire.id, from: wire.from, to: wire.to });
      for (const end of wire.ends) end.reset();
      this.settle(wire);
    }
    return count;
  }

  /** Connections not yet closed at both ends. */
  connections(): ConnectionInfo[] {
    return [...this.wires].map(({ id, from, to, fromName, toName }) => ({ id, from, to, fromName, toName }));
  }

  /** Bound listener addresses. */
  listening(): string[] {
    return [...this.listeners.keys()];
  }

  /** @internal */
  latency(from: string, to: string): number {
    const option = this.latencyOption;
    return typeof option === 'number' ? option : option(from, to);
  }

  /** @internal */
  emitTrace(event: NetworkTrace): void {
    this.trace?.(event);
  }

  /** @internal Forget a wire once both ends are closed. */
  settle(wire: Wire): void {
    if (wire.ends.every((end) => end.closed)) this.wires.delete(wire);
  }

  private freePort(host: string): number {
    for (;;) {
      const port = this.nextPort;
      this.nextPort = this.nextPort >= 65535 ? 49152 : this.nextPort + 1;
      if (!this.listeners.has(`${host}:${port}`)) return port;
    }
  }
}
