/**
 * Clients that follow the RM, for load that must survive a failover: one RM link (`<B, client>`,
 * SPEC §4) shared by all bench clients, and per client a socket to the passive primary the RM's
 * latest answer names. When that socket drops, the server says `not primary`, the RM names another
 * primary, or no reply comes within `resendAfterMs`, the client reconnects to the named primary and
 * sends the same request number again, as `steadfast client` does (the server answers a repeated
 * number from its client table, so nothing is applied twice).
 */
import type net from 'node:net';
import { encodeFrame } from '../src/protocol/codec.js';
import { bodyOf, connect, readFrames, type Channel } from './load.js';

export class RmView {
  /** Serving replicas of the RM's latest answer (passive: the primary alone). */
  servers: string[] = [];
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly socket: net.Socket) {}

  static async open(rmPort: number, name: string): Promise<RmView> {
    const socket = await connect(rmPort);
    const view = new RmView(socket);
    socket.on('error', () => {});
    readFrames(
      socket,
      (f) => {
        if (f.kind !== 'clientView') return;
        view.servers = f.servers;
        for (const l of [...view.listeners]) l();
      },
      () => {},
    );
    socket.write(encodeFrame({ kind: 'clientHello', client: name }));
    return view;
  }

  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Resolves once the RM names at least one serving replica. */
  serving(timeoutMs: number): Promise<void> {
    if (this.servers.length > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`the RM named no serving replica within ${timeoutMs} ms`));
      }, timeoutMs);
      const stop = this.onChange(() => {
        if (this.servers.length === 0) return;
        clearTimeout(timer);
        stop();
        resolve();
      });
    });
  }

  close(): void {
    this.listeners.clear();
    this.socket.destroy();
  }
}

export interface FollowingChannel extends Channel {
  /** The server the client is connected to now. */
  readonly target: string | null;
}

/** A passive client that always sends to the primary of `view`. `ports`: client port by server. */
export function followingChannel(
  view: RmView,
  ports: Map<string, number>,
  client: string,
  bodySize: number,
  resendAfterMs: number,
): FollowingChannel {
  let socket: net.Socket | null = null;
  let target: string | null = null;
  let outstanding: number | null = null;
  let connecting = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let resend: NodeJS.Timeout | undefined;
  let cb: (num: number, server: string) => void = () => {};
  const errors: string[] = [];

  const send = () => {
    if (outstanding === null || socket === null || target === null) return;
    clearTimeout(resend);
    resend = setTimeout(drop, resendAfterMs);
    socket.write(encodeFrame({ kind: 'request', client, server: target, num: outstanding, body: bodyOf(bodySize, outstanding) }));
  };
  /** Gives up on the current socket and goes to whichever primary the RM names now. */
  const drop = () => {
    socket?.destroy();
    socket = null;
    later();
  };
  const later = () => {
    clearTimeout(retry);
    if (!closed) retry = setTimeout(ensure, 50);
  };
  const ensure = async (): Promise<void> => {
    const want = view.servers[0];
    if (closed || connecting || want === undefined) return;
    if (socket !== null && target === want && !socket.destroyed) return;
    socket?.destroy();
    socket = null;
    const port = ports.get(want);
    if (port === undefined) return;
    connecting = true;
    let s: net.Socket;
    try {
      s = await connect(port, 2000);
    } catch {
      connecting = false;
      return later();
    }
    connecting = false;
    if (closed) return void s.destroy();
    socket = s;
    target = want;
    s.on('error', () => {});
    s.on('close', () => {
      if (socket === s) {
        socket = null;
        later();
      }
    });
    readFrames(
      s,
      (f) => {
        if (f.kind === 'reply' && f.client === client) {
          if (f.num === outstanding) {
            outstanding = null;
            clearTimeout(resend);
          }
          cb(f.num, f.server);
        } else if (f.kind === 'error') {
          errors.push(`${f.name}: ${f.message}`);
          if (socket === s) drop();
        }
      },
      (reason) => errors.push(reason),
    );
    send();
    // The view may have moved on while connecting.
    if (view.servers[0] !== want) void ensure();
  };
  const stopWatching = view.onChange(() => void ensure());

  return {
    errors,
    get target() {
      return target;
    },
    request(num) {
      outstanding = num;
      if (socket !== null && !socket.destroyed && target === view.servers[0]) send();
      else void ensure();
    },
    onReply(f) {
      cb = f;
    },
    close() {
      closed = true;
      stopWatching();
      clearTimeout(retry);
      clearTimeout(resend);
      socket?.destroy();
    },
  };
}
