/**
 * The simulator's network: the in-memory network (`src/transport/memory.ts`) with every random
 * draw seeded, plus what a process and a host can suffer on top of it, added by wrapping each
 * process's `Driver` (the machines cannot tell):
 *
 * - latency: 1–3 ms a message, sometimes up to 30 ms more, drawn per write (so frames on different
 *   links overtake each other; one connection stays in order, as TCP does), plus an extra delay
 *   while a `slow` fault is on between two hosts;
 * - pause (a hung process, SIGSTOP): nothing reaches it, it connects nowhere; on resume it gets
 *   everything that waited, in order (after its own timers, see `ProcessClock`);
 * - partition of a host: nothing crosses between it and any other host, and connections across are
 *   not made, until it heals; then what was held arrives in order (TCP retransmits), nothing lost;
 * - drop: one connection reset (`MemoryNetwork.disconnect` on its connecting end), data in flight lost.
 */
import type { Conn, ConnectResult, Driver, ListenResult, Outgoing } from '../transport/connection.js';
import { makeTransport } from '../transport/actors.js';
import { MemoryNetwork } from '../transport/memory.js';
import type { Transport } from '../transport/types.js';

export const hostOf = (address: string): string => address.slice(0, address.lastIndexOf(':'));

/** One process's view of the network: its gate (pause) and its driver. */
export class NetProcess {
  paused = false;
  dead = false;
  private held: (() => void)[] = [];
  /**
   * Connections its kernel accepted while it was paused, not yet handed to it: when it dies they
   * are reset, as a dead process's sockets are (left open, a peer would wait on them for ever).
   */
  private unaccepted = new Set<Conn>();
  readonly driver: Driver;

  constructor(
    private readonly net: SimNet,
    readonly name: string,
    readonly host: string,
  ) {
    const inner = net.network.driver({ name, host });
    this.driver = {
      random: () => inner.random(),
      nonce: () => inner.nonce(),
      listen: (h, port, onConnection, done) =>
        inner.listen(
          h,
          port,
          (conn) => {
            // A dead process's kernel resets what it can no longer accept.
            if (this.dead) return conn.close('connection reset');
            this.unaccepted.add(conn);
            this.gate(() => {
              this.unaccepted.delete(conn);
              onConnection(new GatedConn(conn, this, net));
            });
          },
          (result: ListenResult) => this.gate(() => done(result)),
        ),
      connect: (h, port, done) => {
        const attempt = (): void => {
          if (this.dead) return;
          inner.connect(h, port, (result: ConnectResult) => {
            if (this.dead) {
              if (result.ok) result.conn.close('connection reset');
              return;
            }
            this.gate(() => done(result.ok ? { ok: true, conn: new GatedConn(result.conn, this, net) } : result));
          });
        };
        if (this.paused) this.held.push(() => this.connectAcross(h, attempt));
        else this.connectAcross(h, attempt);
      },
    };
  }

  transport(): Transport {
    return makeTransport(this.driver);
  }

  private connectAcross(host: string, attempt: () => void): void {
    if (this.net.partitioned(this.host, host)) this.net.holdConnect(this.host, host, attempt);
    else attempt();
  }

  /** Run `fn` now, or once this process runs again. */
  gate(fn: () => void): void {
    if (this.dead) return;
    if (this.paused) this.held.push(fn);
    else fn();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    while (this.held.length > 0 && !this.paused && !this.dead) {
      const fn = this.held.shift()!;
      this.net.run(fn);
    }
  }

  /** The process dies; returns how many connections it had not accepted yet (reset now). */
  kill(): number {
    this.dead = true;
    this.held = [];
    const reset = this.unaccepted.size;
    for (const conn of this.unaccepted) conn.close('connection reset');
    this.unaccepted.clear();
    return reset;
  }
}

/**
 * A connection end as its process sees it: deliveries pass the partition (held per connection, in
 * order) and then the process's gate (held while paused).
 */
class GatedConn implements Conn {
  private queue: (() => void)[] = [];
  private closingHere = false;
  readonly remoteHost: string;

  constructor(
    private readonly inner: Conn,
    private readonly proc: NetProcess,
    private readonly net: SimNet,
  ) {
    this.remoteHost = hostOf(inner.remote);
  }

  get remote(): string {
    return this.inner.remote;
  }

  get closed(): boolean {
    return this.inner.closed;
  }

  write(out: Outgoing): void {
    this.inner.write(out);
  }

  close(reason?: string): void {
    // A local close runs its callback at once and drops what had not been read.
    this.closingHere = true;
    this.queue = [];
    this.inner.close(reason);
  }

  onData(cb: (chunk: Uint8Array | string) => void): void {
    this.inner.onData((chunk) => this.deliver(() => cb(chunk)));
  }

  onClose(cb: (reason: string) => void): void {
    this.inner.onClose((reason) => {
      if (this.closingHere) cb(reason);
      else this.deliver(() => cb(reason));
    });
  }

  private deliver(fn: () => void): void {
    if (this.queue.length > 0 || this.net.partitioned(this.proc.host, this.remoteHost)) {
      this.queue.push(fn);
      this.net.holdConn(this);
    } else {
      this.proc.gate(fn);
    }
  }

  /** After a heal: what waited goes on, unless still cut. Returns whether anything is left. */
  flush(): boolean {
    if (this.net.partitioned(this.proc.host, this.remoteHost)) return this.queue.length > 0;
    const items = this.queue;
    this.queue = [];
    for (const fn of items) this.proc.gate(fn);
    return false;
  }
}

export interface SlowLink {
  a: string;
  b: string;
  until: number;
  /** Extra one-way delay drawn per message, up to this many ms. */
  maxMs: number;
}

export class SimNet {
  readonly network: MemoryNetwork;
  /** Hosts cut off from every other host. */
  readonly isolated = new Set<string>();
  readonly slow: SlowLink[] = [];
  private heldConns = new Set<GatedConn>();
  private heldConnects: { from: string; to: string; attempt: () => void }[] = [];

  constructor(
    private readonly random: () => number,
    private readonly now: () => number,
    /** Runs a callback as the scheduler would (errors caught, microtasks drained). */
    readonly run: (fn: () => void) => void,
  ) {
    this.network = new MemoryNetwork({ random, latencyMs: (from, to) => this.latency(from, to) });
  }

  process(name: string, host: string): NetProcess {
    return new NetProcess(this, name, host);
  }

  latency(from: string, to: string): number {
    // Mostly 1–3 ms; now and then (3 %) up to 30 ms more, so frames on different links overtake
    // each other by more than a hop or two.
    let ms = 1 + Math.floor(this.random() * 3);
    if (this.random() < 0.03) ms += Math.floor(this.random() * 30);
    if (this.slow.length > 0) {
      const a = hostOf(from);
      const b = hostOf(to);
      const now = this.now();
      for (const s of this.slow) {
        if (s.until > now && ((s.a === a && s.b === b) || (s.a === b && s.b === a))) ms += Math.floor(this.random() * s.maxMs);
      }
    }
    return ms;
  }

  partitioned(a: string, b: string): boolean {
    return a !== b && this.isolated.size > 0 && (this.isolated.has(a) || this.isolated.has(b));
  }

  holdConn(conn: GatedConn): void {
    this.heldConns.add(conn);
  }

  holdConnect(from: string, to: string, attempt: () => void): void {
    this.heldConnects.push({ from, to, attempt });
  }

  isolate(host: string): void {
    this.isolated.add(host);
  }

  heal(host: string): void {
    this.isolated.delete(host);
    const conns = [...this.heldConns];
    this.heldConns = new Set();
    for (const conn of conns) {
      let left = false;
      this.run(() => {
        left = conn.flush();
      });
      if (left) this.heldConns.add(conn);
    }
    const connects = this.heldConnects;
    this.heldConnects = [];
    for (const c of connects) {
      if (this.partitioned(c.from, c.to)) this.heldConnects.push(c);
      else this.run(c.attempt);
    }
  }

  /** Reset one open connection, by index among those open (a `drop` fault). Returns what was cut. */
  drop(pick: (count: number) => number): string | null {
    const open = this.network.connections();
    if (open.length === 0) return null;
    const c = open[pick(open.length)]!;
    this.network.disconnect(c.from);
    return `${c.fromName} -> ${c.toName}`;
  }
}
