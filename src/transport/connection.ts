/**
 * The byte stream under a link, and the little a transport must provide to carry links: listen on an
 * address, connect to one, and a random source for backoff jitter. The listener and link actors
 * (`actors.ts`) are written once against this; TCP (`tcp.ts`) and the in-memory network
 * (`memory.ts`) only provide connections.
 */
import type { Outgoing } from '../protocol/transfer.js';

export type { Outgoing };

/** One open connection, either end. */
export interface Conn {
  /** The other end's address, `host:port` (for logs and tests). */
  readonly remote: string;
  /** True once closed, from either side. */
  readonly closed: boolean;
  /**
   * Over mutual TLS, the names the peer's certificate lets it say hello under (its `steadfast:NAME`
   * URI subject alternative names, src/transport/cert-names.ts); null without TLS.
   */
  readonly certNames?: readonly string[] | null;
  /**
   * Queue text (sent as UTF-8), or a state in parts, whose texts are pulled as the connection
   * drains; what is written after it waits behind it. Ignored once closed. A transport that gathers
   * a turn's writes may keep only the last of those with the same `coalesce` key (see `TransportCommand`).
   */
  write(out: Outgoing, coalesce?: string): void;
  /**
   * Close after what was written is flushed. The `onClose` callback runs at once (synchronously) with
   * `reason`; nothing more is delivered after it.
   */
  close(reason?: string): void;
  /** The one data handler (replaces any earlier one). Data that arrived before it is kept for it. */
  onData(cb: (chunk: Uint8Array | string) => void): void;
  /** The one close handler; runs exactly once, whichever side closed (also if already closed). */
  onClose(cb: (reason: string) => void): void;
}

/** A bound listening address. `close` stops accepting; open connections stay (as with TCP). */
export interface ListenHandle {
  port: number;
  close(): void;
}

export type ListenResult = ({ ok: true } & ListenHandle) | { ok: false; reason: string };
export type ConnectResult = { ok: true; conn: Conn } | { ok: false; reason: string };

/** What a transport provides to `makeTransport`. Callbacks run later, never inside the call. */
export interface Driver {
  /** Bind `host:port` (0 = any free port); `onConnection` for each accepted connection. */
  listen(host: string, port: number, onConnection: (conn: Conn) => void, done: (result: ListenResult) => void): void;
  /** Open a connection to `host:port`; `reason` is one short phrase such as `connection refused`. */
  connect(host: string, port: number, done: (result: ConnectResult) => void): void;
  /** Uniform in [0, 1): backoff jitter. */
  random(): number;
  /** A fresh nonce for an authenticated hello: 32 hex digits, unpredictable outside tests. */
  nonce(): string;
  /**
   * Runs work at the end of the event loop's turn, where this transport's writes go out: a batching
   * listener delivers there what its connections read during the turn. Absent: no turns to gather
   * over (the in-memory network delivers each write as its own event).
   */
  atTurnEnd?: (work: () => void) => void;
}

/**
 * The bookkeeping every connection shares: one data and one close handler, data kept until a
 * handler is there, the close reported exactly once. Subclasses move the bytes.
 */
export abstract class BaseConn implements Conn {
  private dataCb: ((chunk: Uint8Array | string) => void) | null = null;
  private closeCb: ((reason: string) => void) | null = null;
  private pending: (Uint8Array | string)[] = [];
  private closedReason: string | null = null;
  private closeReported = false;

  abstract readonly remote: string;

  get closed(): boolean {
    return this.closedReason !== null;
  }

  write(out: Outgoing, coalesce?: string): void {
    if (this.closedReason !== null) return;
    this.transmit(out, coalesce);
  }

  close(reason = 'closed'): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.pending = [];
    this.shutdown();
    this.reportClose();
  }

  onData(cb: (chunk: Uint8Array | string) => void): void {
    this.dataCb = cb;
    while (this.pending.length > 0 && this.closedReason === null) {
      const chunk = this.pending.shift() as Uint8Array | string;
      cb(chunk);
    }
  }

  onClose(cb: (reason: string) => void): void {
    this.closeCb = cb;
    this.reportClose();
  }

  /** Bytes arrived from the other end. */
  protected received(chunk: Uint8Array | string): void {
    if (this.closedReason !== null) return;
    if (this.dataCb !== null && this.pending.length === 0) this.dataCb(chunk);
    else this.pending.push(chunk);
  }

  /** The other end closed, or the connection broke. */
  protected lost(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.pending = [];
    this.reportClose();
  }

  /** Send bytes to the other end (only called while open). */
  protected abstract transmit(out: Outgoing, coalesce?: string): void;
  /** Flush what was written, then end the connection (called once, on a local close). */
  protected abstract shutdown(): void;

  private reportClose(): void {
    if (this.closedReason === null || this.closeReported || this.closeCb === null) return;
    this.closeReported = true;
    this.closeCb(this.closedReason);
  }
}
