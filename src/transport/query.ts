/**
 * Asking a role how it stands, over TCP, as an operator would with `nc`: `<ops, S1, status>` to a
 * server's client port, `<ops, RM, status>` to the RM's port (SPEC §4). Frames are built and read
 * by the codec; a status question needs no hello. Every call is bounded by a timeout: a stopped
 * (SIGSTOP) process accepts the connection in its kernel but never answers.
 */
import net from 'node:net';
import { decodeFrameText, encodeFrame } from '../protocol/codec.js';
import type { DirectoryFrame, Frame, RmStandbyFrame, RmStatusFrame, ServerStatusFrame } from '../protocol/frames.js';
import type { ClusterConfig, Endpoint } from '../config/types.js';
import { OPS } from '../protocol/links.js';
import { FrameReader } from '../protocol/reader.js';
import { dial, type TlsOptions } from './tcp.js';

/** A status frame may carry the whole replicated state: read up to this many bytes. */
const DEFAULT_LIMIT = 64 * 1024 * 1024;

/** Sends one frame and resolves with the first frame that `accept` takes; rejects on error or timeout. */
function ask<T>(host: string, port: number, question: Frame, accept: (f: Frame) => T | null, timeoutMs: number, limit: number, tls: TlsOptions | null): Promise<T> {
  return new Promise((resolve, reject) => {
    const { socket, ready } = dial(host, port, tls);
    const reader = new FrameReader(() => limit);
    let done = false;
    const finish = (err: Error | null, value?: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value as T);
    };
    const timer = setTimeout(() => finish(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.setNoDelay(true);
    socket.on(ready, () => socket.write(encodeFrame(question) + '\n'));
    socket.on('data', (chunk: Buffer) => {
      for (const item of reader.items(chunk)) {
        if (!item.ok) return finish(new Error(`${host}:${port}: ${item.reason}`));
        let frame: Frame;
        try {
          frame = decodeFrameText(item.text);
        } catch (err) {
          return finish(new Error(`${host}:${port}: ${(err as Error).message}`));
        }
        if (frame.kind === 'error') return finish(new Error(`${frame.name}: ${frame.message}`));
        const value = accept(frame);
        if (value !== null) return finish(null, value);
      }
    });
    socket.on('error', (err) => finish(new Error(`${host}:${port}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
    socket.on('close', () => finish(new Error(`${host}:${port}: closed without an answer`)));
  });
}

/** `<ops, S1, status>` → `<S1, MODE, ROLE, PHASE, STATE, CLIENTS, CKPT, EPOCH, PID, status>` */
export function queryServer(host: string, port: number, server: string, timeoutMs = 2000, tls: TlsOptions | null = null): Promise<ServerStatusFrame> {
  return ask(host, port, { kind: 'statusQuery', from: OPS, target: server }, (f) => (f.kind === 'serverStatus' ? f : null), timeoutMs, DEFAULT_LIMIT, tls);
}

/** `<ops, RM, status>` → `<RM, MODE, PRIMARY, EPOCH, S1:ready;S2:recovering, status>` */
export function queryRm(host: string, port: number, timeoutMs = 2000, tls: TlsOptions | null = null): Promise<RmStatusFrame> {
  return ask(host, port, { kind: 'statusQuery', from: OPS, target: 'RM' }, (f) => (f.kind === 'rmStatus' ? f : null), timeoutMs, DEFAULT_LIMIT, tls);
}

/** Like `queryRm`, but a standby's answer (`<RM2, standby, RM1, status>`) counts too. */
export function queryAnyRm(host: string, port: number, timeoutMs = 2000, tls: TlsOptions | null = null): Promise<RmStatusFrame | RmStandbyFrame> {
  const accept = (f: Frame) => (f.kind === 'rmStatus' || f.kind === 'rmStandby' ? f : null);
  return ask(host, port, { kind: 'statusQuery', from: OPS, target: 'RM' }, accept, timeoutMs, DEFAULT_LIMIT, tls);
}

/**
 * The status of the RM that leads: each RM the configuration names is asked, and the first answer
 * that is not a standby's is taken (with one RM, its answer). Rejects when none answers so.
 */
export async function queryLeaderRm(config: ClusterConfig, timeoutMs = 2000): Promise<RmStatusFrame> {
  const answers = await Promise.allSettled(
    config.rms.map((rm) => {
      const { host, port } = reachable(rm);
      return queryAnyRm(host, port, timeoutMs, config.cluster.tls);
    }),
  );
  for (const a of answers) if (a.status === 'fulfilled' && a.value.kind === 'rmStatus') return a.value;
  const why = answers.map((a, i) => `${config.rms[i]!.name}: ${a.status === 'rejected' ? (a.reason as Error).message : 'standby'}`);
  throw new Error(`no RM leads (${why.join('; ')})`);
}

/**
 * `<ops, S1, drain>` to an RM → its `<RM, …, status>` when it took the drain (it passes it down to
 * S1); rejects with its error frame's text when it did not (docs/operations.md).
 */
export function askDrain(host: string, port: number, server: string, timeoutMs = 2000, tls: TlsOptions | null = null): Promise<RmStatusFrame> {
  return ask(host, port, { kind: 'drain', from: OPS, server }, (f) => (f.kind === 'rmStatus' ? f : null), timeoutMs, DEFAULT_LIMIT, tls);
}

/** Where to connect to reach a listener bound to `host` (a wildcard address means this machine). */
export function reachable(e: Endpoint): { host: string; port: number } {
  const host = e.host === '0.0.0.0' ? '127.0.0.1' : e.host === '::' ? '::1' : e.host;
  return { host, port: e.port };
}

/** `<C1, directory>` → `<RM, S1:HOST:PORT;…, directory>`: where each server takes clients. */
export function queryDirectory(host: string, port: number, client: string, timeoutMs = 2000, tls: TlsOptions | null = null): Promise<DirectoryFrame> {
  return ask(host, port, { kind: 'directoryQuery', client }, (f) => (f.kind === 'directory' ? f : null), timeoutMs, DEFAULT_LIMIT, tls);
}

/** Resolves once something accepts connections on host:port (the connection is closed at once). */
export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('connect', () => finish(true));
    socket.on('error', () => finish(false));
  });
}

/** Free TCP ports on `host`: all bound to port 0 at the same time, then released. */
export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port: 0 }, () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
