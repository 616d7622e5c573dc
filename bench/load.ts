/**
 * Closed-loop load over TCP: N clients, each with exactly one request outstanding; a reply sends the
 * client's next request at once. Clients speak SPEC §4 frames through the product's own codec and
 * frame reader (so the echo baseline and the servers cost the client side the same), and every
 * socket has Nagle off, as steadfast's own sockets do.
 *
 * A `Channel` is one client's way to the service: one socket (a passive primary, the echo server)
 * or several (active: every replica, first reply wins).
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { decodeFrameText, encodeFrame, lastNumberOf } from '../src/protocol/codec.js';
import type { Frame } from '../src/protocol/frames.js';
import { FrameReader } from '../src/protocol/reader.js';
import { dial, type TlsOptions } from '../src/transport/tcp.js';

export const HOST = '127.0.0.1';
/** Client-port frame limit, as the servers' default `max_frame`. */
const MAX_FRAME = 1024 * 1024;

export interface Channel {
  /** Send request `num` of this client (to every socket of the channel). */
  request(num: number): void;
  /** Called with the number and sender of every reply (duplicates included: the loop discards them). */
  onReply(cb: (num: number, server: string) => void): void;
  /** Error frames and lost sockets, counted for the report. */
  readonly errors: string[];
  close(): void;
}

/** A body of exactly `size` bytes that needs no percent-encoding; request n ends in n, as the seed's. */
export function bodyOf(size: number, num: number): string {
  const tail = String(num);
  return 'x'.repeat(Math.max(0, size - tail.length)) + tail;
}

export function connect(port: number, timeoutMs = 5000, tls: TlsOptions | null = null): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const { socket, ready } = dial(HOST, port, tls);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${HOST}:${port} timed out`));
    }, timeoutMs);
    socket.once(ready, () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Reads every frame arriving on `socket` with the product's reader and codec. */
export function readFrames(socket: net.Socket, onFrame: (f: Frame) => void, onBad: (reason: string) => void): void {
  const reader = new FrameReader(() => MAX_FRAME);
  socket.on('data', (chunk: Buffer) => {
    for (const item of reader.items(chunk)) {
      if (!item.ok) {
        onBad(item.reason);
        continue;
      }
      try {
        onFrame(decodeFrameText(item.text));
      } catch (err) {
        onBad((err as Error).message);
      }
    }
  });
}

/**
 * One client over fixed sockets, one per target (`server` is the name put in the request frame).
 * A reply is a `reply` frame, or for the echo baseline the `request` frame coming back.
 */
export async function socketChannel(
  targets: { server: string; port: number }[],
  client: string,
  bodySize: number,
  body: (bodySize: number, num: number) => string = bodyOf,
  tls: TlsOptions | null = null,
): Promise<Channel> {
  const sockets = await Promise.all(targets.map((t) => connect(t.port, 5000, tls)));
  let cb: (num: number, server: string) => void = () => {};
  const errors: string[] = [];
  sockets.forEach((socket, i) => {
    socket.on('error', (err) => errors.push(`${targets[i]!.server}: ${err.message}`));
    readFrames(
      socket,
      (f) => {
        if ((f.kind === 'reply' || f.kind === 'request') && f.client === client) cb(f.num, f.server);
        // In active mode a slower replica may refuse a number a faster one already answered (the
        // faster one's forward got there first): normal, as for `steadfast client`.
        else if (f.kind === 'error' && !(targets.length > 1 && lastNumberOf(f.message, client) !== null)) errors.push(`${f.name}: ${f.message}`);
      },
      (reason) => errors.push(reason),
    );
  });
  return {
    errors,
    request(num) {
      const text = body(bodySize, num);
      sockets.forEach((socket, i) => socket.write(encodeFrame({ kind: 'request', client, server: targets[i]!.server, num, body: text })));
    },
    onReply(f) {
      cb = f;
    },
    close() {
      for (const s of sockets) s.destroy();
    },
  };
}

export interface LoadResult {
  clients: number;
  /** Completed requests in the measured window. */
  completed: number;
  durationMs: number;
  throughput: number;
  /** Request → first reply, ms, every request completed in the measured window. */
  latencies: number[];
  errors: string[];
}

export interface Loop {
  /** Only requests answered while measuring are counted. */
  measure(on: boolean): void;
  /** Stops sending; later replies are ignored. */
  stop(): void;
  readonly latencies: number[];
  readonly completed: number;
}

/**
 * Starts `channels.length` closed-loop clients, request numbers from `firstNum`. `observe` sees every
 * reply that completes a request (client index, replying server, arrival time).
 */
export function startLoop(
  channels: Channel[],
  firstNum = 1,
  observe: (client: number, server: string, at: number) => void = () => {},
): Loop {
  const latencies: number[] = [];
  let measuring = false;
  let stopped = false;
  let completed = 0;
  channels.forEach((ch, index) => {
    let num = firstNum;
    let sentAt = 0;
    ch.onReply((n, server) => {
      if (n !== num || stopped) return; // a later replica's copy, or a reply after the end
      const now = performance.now();
      if (measuring) {
        latencies.push(now - sentAt);
        completed++;
      }
      observe(index, server, now);
      num++;
      sentAt = performance.now();
      ch.request(num);
    });
    sentAt = performance.now();
    ch.request(num);
  });
  return {
    latencies,
    get completed() {
      return completed;
    },
    measure(on) {
      measuring = on;
    },
    stop() {
      stopped = true;
    },
  };
}

/**
 * Runs closed-loop clients: `warmupMs` unmeasured, then `durationMs` measured. A request counts in
 * the window in which its reply arrives.
 */
export async function closedLoop(
  channels: Channel[],
  warmupMs: number,
  durationMs: number,
  firstNum = 1,
  window: (edge: 'start' | 'end') => void = () => {},
): Promise<LoadResult> {
  const loop = startLoop(channels, firstNum);
  await sleep(warmupMs);
  loop.measure(true);
  window('start');
  const t0 = performance.now();
  await sleep(durationMs);
  loop.measure(false);
  window('end');
  const elapsed = performance.now() - t0;
  loop.stop();
  return {
    clients: channels.length,
    completed: loop.completed,
    durationMs: elapsed,
    throughput: (loop.completed / elapsed) * 1000,
    latencies: loop.latencies,
    errors: channels.flatMap((c) => c.errors),
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
