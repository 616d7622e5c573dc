/**
 * The transport over real sockets (node:net). Sockets get `noDelay` (frames are small and latency is
 * what matters), a listener binds exactly the host it is given, and no socket or server error ever
 * escapes as an exception: each becomes a `listen.failed`, a failed connect (retried) or a
 * `link.down` with a short reason.
 *
 * Frames written to one socket during one turn of the event loop go out as one write, at the end
 * of that turn (`atTurnEnd`, turn.ts): a primary that takes requests from many clients in one turn sends
 * each backup one write of many updates instead of a system call per frame, and the backup answers
 * with one write of many acks. Order and bytes are unchanged; the delay is the rest of the turn,
 * except that of the frames written with one `coalesce` key in a turn only the last is sent
 * (cumulative acknowledgements: the last says everything the earlier ones said). A batching
 * listener's frames reach its machine at the same turn end, just before these writes.
 */
import net from 'node:net';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import { clearTimeout as realClearTimeout, setImmediate as realSetImmediate, setTimeout as realSetTimeout } from 'node:timers';
import { makeTransport } from './actors.js';
import { crypto, tls } from '../lazy-modules.js';
import { certNamesOf } from './cert-names.js';
import { atTurnEnd } from './turn.js';
import { BaseConn, type Driver, type Outgoing } from './connection.js';
import type { Transport } from './types.js';

/** A connect that has not completed after this long fails (a host that drops SYNs would take minutes). */
export const CONNECT_TIMEOUT_MS = 5000;
/** After a local close, how long the peer may take to read what is left before the socket is destroyed. */
export const LINGER_MS = 2000;
/** Past this much output its peer has not read, a connection's input waits (it is not read) until the peer catches up. */
export const PAUSE_READING_AT = 1 << 20;
/** Parts of a state written in one turn of the event loop, at most (each up to `max_frame`). */
export const PARTS_PER_TURN = 4;
/**
 * Output a peer may leave unread beyond the largest frame this connection carried: past it the
 * connection is closed. One large frame (a checkpoint) always fits; a pile of answers nobody reads
 * (400 `status` queries against a large state, sent at once and never read) does not.
 */
export const UNREAD_SLACK = 64 << 20;

const PHRASES: Record<string, string> = {
  EADDRINUSE: 'address in use',
  EADDRNOTAVAIL: 'address not available',
  EACCES: 'permission denied',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'connection broken',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (temporary)',
};

/** One short phrase for a socket error: `address in use`, `connection refused`, … */
export function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.code !== undefined && PHRASES[e.code] !== undefined) return PHRASES[e.code] as string;
  const message = e?.message ?? String(err);
  return message.split('\n')[0] ?? message;
}

class SocketConn extends BaseConn {
  readonly remote: string;
  readonly certNames: readonly string[] | null;
  private error: string | null = null;
  /** Frames written this turn (or behind a state in parts), not yet handed to the socket. */
  private queued: Outgoing[] = [];
  /** Where in `queued` the frame of each coalesce key is (an earlier one is blanked). */
  private coalesced = new Map<string, number>();
  private flushing = false;
  /** Characters of the texts in `queued`. */
  private queuedChars = 0;
  /** The largest frame written on this connection, in characters. */
  private largest = 0;
  /** A state in parts being written: its next part goes when the socket has drained. */
  private streaming: Iterator<string> | null = null;

  constructor(
    private readonly socket: net.Socket,
    secure: boolean,
  ) {
    super();
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    // A TLS socket reaches here only once its handshake checked the peer's certificate against the CA.
    this.certNames = secure ? certNamesOf(socket as TLSSocket) : null;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('drain', () => {
      socket.resume();
      if (this.streaming !== null && !this.flushing) this.flush();
    });
    socket.on('error', (err) => {
      this.error ??= describeError(err);
    });
    socket.on('end', () => this.lost('closed by peer'));
    socket.on('close', () => this.lost(this.error ?? 'connection closed'));
  }

  protected transmit(out: Outgoing, coalesce?: string): void {
    if (!this.socket.writable) return;
    if (coalesce !== undefined) {
      const earlier = this.coalesced.get(coalesce);
      if (earlier !== undefined) {
        const replaced = this.queued[earlier];
        if (typeof replaced === 'string') this.queuedChars -= replaced.length;
        this.queued[earlier] = '';
      }
      this.coalesced.set(coalesce, this.queued.length);
    }
    this.queued.push(out);
    if (typeof out === 'string') {
      this.queuedChars += out.length;
      this.largest = Math.max(this.largest, out.length);
    }
    const unread = this.queuedChars + this.socket.writableLength;
    if (unread > this.largest + UNREAD_SLACK) {
      // The peer reads nothing of what it asked for: no more of it is kept.
      this.error ??= `the peer leaves ${unread} bytes unread`;
      this.queued = [];
      this.queuedChars = 0;
      this.streaming = null;
      this.socket.destroy();
      return;
    }
    if (this.flushing || this.streaming !== null) return;
    this.flushing = true;
    atTurnEnd(this.flush);
  }

  /**
   * Hands the socket what was queued: the texts up to a state in parts as one write, then that
   * state's parts while the socket takes them (the rest on `drain`), then what waited behind it.
   */
  private readonly flush = (): void => {
    this.flushing = false;
    if (!this.socket.writable) return;
    for (;;) {
      if (this.streaming !== null && !this.writeParts(this.streaming)) break;
      const texts = this.takeTexts();
      if (texts.length > 0) this.socket.write(texts.length === 1 ? texts[0]! : texts.join(''), 'utf8');
      const next = this.queued[0];
      if (next === undefined) break;
      this.take(1);
      this.streaming = next as Iterator<string>;
    }
    // Backpressure: while the peer does not read, what it sends is not read either.
    if (this.socket.writableLength > PAUSE_READING_AT) this.socket.pause();
  };

  /**
   * Writes parts until the socket holds `PAUSE_READING_AT` unsent bytes (the rest on `drain`) or
   * this turn wrote `PARTS_PER_TURN` of them (the rest next turn: a peer that reads as fast as this
   * side writes would otherwise keep the whole state in one turn, and heartbeats unanswered).
   * True once all are written.
   */
  private writeParts(parts: Iterator<string>): boolean {
    for (let written = 0; this.socket.writableLength < PAUSE_READING_AT; written++) {
      if (written === PARTS_PER_TURN) {
        this.flushing = true;
        realSetImmediate(this.flush);
        return false;
      }
      const next = parts.next();
      if (next.done) {
        this.streaming = null;
        return true;
      }
      this.largest = Math.max(this.largest, next.value.length);
      this.socket.write(next.value, 'utf8');
    }
    return false;
  }

  /** The texts at the front of the queue, up to the first state in parts, taken off it. */
  private takeTexts(): string[] {
    let count = 0;
    while (count < this.queued.length && typeof this.queued[count] === 'string') count++;
    const texts = this.queued.slice(0, count) as string[];
    this.take(count);
    return texts;
  }

  private take(count: number): void {
    for (const taken of this.queued.splice(0, count)) if (typeof taken === 'string') this.queuedChars -= taken.length;
    for (const [key, at] of this.coalesced) {
      if (at < count) this.coalesced.delete(key);
      else this.coalesced.set(key, at - count);
    }
  }

  protected shutdown(): void {
    // What was written before the close goes first.
    this.flush();
    const socket = this.socket;
    // Flush what was written, then close; a peer that does not read gets LINGER_MS.
    const linger = realSetTimeout(() => socket.destroy(), LINGER_MS);
    linger.unref();
    socket.once('close', () => realClearTimeout(linger));
    socket.end(() => socket.destroy());
  }
}

/** Mutual TLS: this side's certificate and key, and the CA every peer's certificate must be signed by (PEM). */
export interface TlsOptions {
  cert: string;
  key: string;
  ca: string;
}

export interface TcpOptions {
  /** Backoff jitter source (default Math.random). */
  random?: () => number;
  connectTimeoutMs?: number;
  /** Every connection over mutual TLS (docs/security.md); absent, plain TCP. */
  tls?: TlsOptions | null;
}

/**
 * A connection to host:port, plain or over mutual TLS (the listener's certificate must name `host`,
 * as an IP address or DNS name, and be signed by the CA), and the event that says it is ready.
 */
export function dial(host: string, port: number, options: TlsOptions | null = null): { socket: net.Socket; ready: 'connect' | 'secureConnect' } {
  if (options === null) return { socket: net.connect({ host, port }), ready: 'connect' };
  const socket = tls().connect({ host, port, ...secureContext(options), ...(net.isIP(host) ? {} : { servername: host }) });
  return { socket, ready: 'secureConnect' };
}

/** What both ends of a TLS connection use: the PEM files and TLS 1.2 or later. */
function secureContext({ cert, key, ca }: TlsOptions): SecureContextOptions {
  return { cert, key, ca, minVersion: 'TLSv1.2' };
}

export function tcpDriver(options: TcpOptions = {}): Driver {
  const random = options.random ?? Math.random;
  const connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const secure = options.tls ?? null;
  return {
    random,
    nonce: () => crypto().randomBytes(16).toString('hex'),
    atTurnEnd,
    listen(host, port, onConnection, done) {
      const accept = (socket: net.Socket) => onConnection(new SocketConn(socket, secure !== null));
      // With TLS a connection counts once its handshake passed: one without a certificate signed by
      // the CA never reaches a role (`tlsClientError`, nothing to do).
      const server = secure
        ? tls().createServer({ ...secureContext(secure), requestCert: true, rejectUnauthorized: true }, accept).on('tlsClientError', () => {})
        : net.createServer(accept);
      let listening = false;
      server.on('error', (err) => {
        if (listening) return; // after bind: nothing useful to do, and never crash
        server.close();
        done({ ok: false, reason: describeError(err) });
      });
      server.listen({ host, port }, () => {
        listening = true;
        const address = server.address();
        const real = typeof address === 'object' && address !== null ? address.port : port;
        done({ ok: true, port: real, close: () => server.close() });
      });
    },
    connect(host, port, done) {
      let settled = false;
      const { socket, ready } = dial(host, port, secure);
      socket.setNoDelay(true);
      socket.setTimeout(connectTimeoutMs);
      const fail = (reason: string): void => {
        if (settled) return;
        settled = true;
        socket.destroy();
        done({ ok: false, reason });
      };
      socket.once('timeout', () => fail('connect timed out'));
      socket.once('error', (err) => fail(describeError(err)));
      socket.once('close', () => fail('connection closed'));
      socket.once(ready, () => {
        if (settled) return;
        settled = true;
        socket.setTimeout(0);
        socket.removeAllListeners('timeout');
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        done({ ok: true, conn: new SocketConn(socket, secure !== null) });
      });
    },
  };
}

/** Steadfast's links over TCP. */
export const tcpTransport: Transport = makeTransport(tcpDriver());

/** The same with options (a seeded random for tests, a shorter connect timeout, TLS). */
export function makeTcpTransport(options: TcpOptions = {}): Transport {
  return makeTransport(tcpDriver(options));
}

/** The transport a cluster's settings ask for: plain TCP, or mutual TLS with its files. */
export function transportFor(settings: { tls: TlsOptions | null }): Transport {
  return settings.tls ? makeTcpTransport({ tls: settings.tls }) : tcpTransport;
}
