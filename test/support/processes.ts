/**
 * The process harness of the e2e tests and the bench: real `steadfast` processes on real sockets
 * (127.0.0.1 only).
 *
 * - `freePorts` and `writeConfig`: a cluster file on ports nobody uses, in a temporary directory.
 * - `startRole`: `node bin/steadfast COMMAND …`, every output line captured (stdout and stderr), and
 *   every server pid an LFD prints in `LFDn launching Sn (pid N)` remembered, so that teardown can
 *   kill the LFDs' children as well.
 * - `waitForLine`: the one way to wait for a process; always bounded, and a failure shows the last
 *   lines the process printed (and how it exited, if it did).
 * - `killAll` / `assertAllDead`: for `afterEach`; nothing a test started outlives it.
 * - `connectRaw`: what a person does with `nc`: type text at a port, read the frames that come back.
 *
 * The tests run the compiled CLI (`dist/`), as a user would; build it first (`npm test` does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { freePorts } from '../../src/transport/query.js';

export { freePorts };
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { clusterIni } from '../../src/sim/cluster.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'steadfast');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');

export const HOST = '127.0.0.1';

/** Fails early and clearly when the CLI was not built, instead of every wait timing out. */
export function requireBuilt(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc -p tsconfig.json, or npm test)`);
}

// ---------------------------------------------------------------------------------------------
// Ports and configuration

export interface ClusterOptions {
  /** `[cluster]` keys, as written in the file (`mode`, `app`, `max_frame`, …). */
  cluster?: Record<string, string | number>;
  /** How many servers S1…Sn, each with its LFDi. Default 3. */
  servers?: number;
  /** Client sections `[client.C1]`…, with their keys. Default none. */
  clients?: Record<string, Record<string, string | number>>;
}

export interface ServerPorts {
  name: string;
  port: number;
  peerPort: number;
}

export interface TestCluster {
  /** The ini file. */
  file: string;
  /** The temporary directory that holds it; roles run with it as their working directory. */
  dir: string;
  rmPort: number;
  gfdPort: number;
  servers: ServerPorts[];
  server(name: string): ServerPorts;
}

/** Short timings, so that failure detection and recovery take well under a second. */
export const FAST = { heartbeat_freq: 0.2, heartbeat_timeout: 0.6, checkpoint_freq: 1 } as const;

const tempDirs: string[] = [];

/** A temporary directory, removed by `killAll`. */
export function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'steadfast-e2e-'));
  tempDirs.push(dir);
  return dir;
}

/** Writes a cluster file on free ports (RM, GFD, S1…Sn with LFD1…LFDn) into a temporary directory. */
export async function writeConfig(opts: ClusterOptions = {}): Promise<TestCluster> {
  const count = opts.servers ?? 3;
  const [rmPort, gfdPort, ...rest] = await freePorts(2 + 2 * count);
  const servers: ServerPorts[] = [];
  for (let i = 0; i < count; i++) servers.push({ name: `S${i + 1}`, port: rest[2 * i]!, peerPort: rest[2 * i + 1]! });
  const text = clusterIni({
    cluster: { ...FAST, ...opts.cluster },
    rm: { host: HOST, port: rmPort! },
    gfd: { host: HOST, port: gfdPort! },
    servers: servers.map((s) => ({ ...s, host: HOST })),
    clients: opts.clients ?? {},
  });
  const dir = tempDir();
  const file = path.join(dir, 'cluster.ini');
  writeFileSync(file, text);
  return {
    file,
    dir,
    rmPort: rmPort!,
    gfdPort: gfdPort!,
    servers,
    server(name) {
      const s = servers.find((x) => x.name === name);
      if (!s) throw new Error(`no server ${name} in the test cluster`);
      return s;
    },
  };
}

/** Writes `text` as an ini file in a temporary directory; returns its path. */
export function writeIni(text: string, name = 'cluster.ini'): string {
  const file = path.join(tempDir(), name);
  writeFileSync(file, text);
  return file;
}

// ---------------------------------------------------------------------------------------------
// Processes

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One running role: its lines as they arrive, and its exit. */
export class Role {
  /** stdout and stderr lines in arrival order. */
  readonly lines: string[] = [];
  /** When each of `lines` arrived (`performance.now()`). */
  readonly times: number[] = [];
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  /** Set when the process exited and its output is fully read. */
  exit: Exit | null = null;
  /** Resolves once the process exited and both streams are drained. */
  readonly closed: Promise<Exit>;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly label: string,
    readonly child: ChildProcess,
  ) {
    let open = 2;
    let exit: Exit | null = null;
    let done: (e: Exit) => void = () => {};
    this.closed = new Promise((resolve) => (done = resolve));
    const finish = () => {
      if (open > 0 || exit === null) return;
      this.exit = exit;
      done(exit);
      this.wake();
    };
    for (const [stream, into] of [
      [child.stdout!, this.stdout],
      [child.stderr!, this.stderr],
    ] as const) {
      const rl = createInterface({ input: stream });
      rl.on('line', (line) => {
        into.push(line);
        this.lines.push(line);
        this.times.push(performance.now());
        this.wake();
      });
      rl.on('close', () => {
        open--;
        finish();
      });
    }
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      finish();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Where the output stands now: a `waitForLine(…, since)` from here sees only later lines. */
  mark(): number {
    return this.lines.length;
  }

  /** Calls `check` now and on every new line or exit, until `stop` is called. */
  watch(check: () => void): () => void {
    this.waiters.add(check);
    check();
    return () => this.waiters.delete(check);
  }

  /** The last `n` lines and how the process ended, for failure messages. */
  tail(n = 25): string {
    const shown = this.lines.slice(-n).map((l) => `    ${l}`).join('\n');
    const how = this.exit ? `\n  (exited: code ${this.exit.code}, signal ${this.exit.signal})` : '';
    return `  last lines of ${this.label} (pid ${this.child.pid}):\n${shown || '    (none)'}${how}`;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** Every process a test started, newest last, and the servers the LFDs among them launched. */
const started: Role[] = [];
const launchedPids = new Map<number, Role>();

const LAUNCHING = /\b(LFD\S*) launching (\S+) \(pid (\d+)\)/;

export interface StartOptions {
  /** Working directory; default a fresh temporary one (so no stray ./cluster.ini is read). */
  cwd?: string;
  /** A name for failure messages; default the command and its --name. */
  label?: string;
  env?: NodeJS.ProcessEnv;
  /** A TypeScript file to run (under tsx) instead of bin/steadfast, with ARGS as its arguments. */
  script?: string;
  /** Keep its stdin open for the test to write to (`role.child.stdin`); default ignored. */
  input?: boolean;
  /**
   * The network namespace to run in (a test host, `src/hosts/network.ts`), through `ip netns
   * exec`, which execs rather than forks: the pid is the role's own.
   */
  netns?: string;
}

/** `node bin/steadfast ARGS…` (or `node --import tsx SCRIPT ARGS…`), output captured line by line. */
export function startRole(args: string[], opts: StartOptions = {}): Role {
  requireBuilt();
  const command = opts.script === undefined ? [BIN] : ['--import', 'tsx', opts.script];
  const argv = [...command, ...args];
  const child = spawn(opts.netns === undefined ? process.execPath : 'ip', opts.netns === undefined ? argv : ['netns', 'exec', opts.netns, process.execPath, ...argv], {
    // A script finds tsx from the project's folder.
    cwd: opts.cwd ?? (opts.script === undefined ? tempDir() : ROOT),
    env: { ...process.env, ...opts.env },
    stdio: [opts.input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const nameAt = args.indexOf('--name');
  const label = opts.label ?? (nameAt >= 0 ? `${args[0]} ${args[nameAt + 1]}` : (args[0] ?? 'steadfast'));
  const role = new Role(label, child);
  started.push(role);
  // An LFD's server is its child: remember every pid it reports, to kill it in teardown.
  let seen = 0;
  role.watch(() => {
    for (; seen < role.lines.length; seen++) {
      const m = LAUNCHING.exec(role.lines[seen]!);
      if (m) launchedPids.set(Number(m[3]), role);
    }
  });
  return role;
}

/** Runs a command to its end (bounded), for the command-line tests. */
export async function runToExit(args: string[], timeoutMs = 10_000, opts: StartOptions = {}): Promise<{ role: Role; exit: Exit }> {
  const role = startRole(args, opts);
  const exit = await withTimeout(role.closed, timeoutMs, () => `${role.label} did not exit within ${timeoutMs} ms\n${role.tail()}`);
  return { role, exit };
}

/**
 * Waits for a line matching `re` printed at or after `since` (a `mark()`; default: from the start).
 * Fails after `timeoutMs`, or as soon as the process ended without printing one.
 */
export function waitForLine(role: Role, re: RegExp, timeoutMs = 10_000, since = 0): Promise<LineMatch> {
  return waitForLineWhere(role, re, () => true, timeoutMs, since);
}

export interface LineMatch {
  line: string;
  match: RegExpExecArray;
  index: number;
}

/** As `waitForLine`, for a line that matches `re` and whose match passes `accept` (a number above …). */
export function waitForLineWhere(
  role: Role,
  re: RegExp,
  accept: (m: RegExpExecArray) => boolean,
  timeoutMs = 10_000,
  since = 0,
  description = '',
): Promise<LineMatch> {
  const what = description === '' ? '' : ` (${description})`;
  return new Promise((resolve, reject) => {
    let next = since;
    let settled = false;
    let unwatch: (() => void) | null = null;
    const settle = (finish: () => void) => {
      settled = true;
      clearTimeout(timer);
      unwatch?.();
      finish();
    };
    const timer = setTimeout(
      () => settle(() => reject(new Error(`no line matching ${re}${what} from ${role.label} within ${timeoutMs} ms\n${role.tail()}`))),
      timeoutMs,
    );
    const check = () => {
      if (settled) return;
      for (; next < role.lines.length; next++) {
        const m = re.exec(role.lines[next]!);
        if (m && accept(m)) {
          const found = { line: role.lines[next]!, match: m, index: next };
          settle(() => resolve(found));
          return;
        }
      }
      if (role.exit !== null) settle(() => reject(new Error(`${role.label} ended without a line matching ${re}${what}\n${role.tail()}`)));
    };
    unwatch = role.watch(check);
    // `watch` runs the check once at once: it may have settled before `unwatch` was known.
    if (settled) unwatch();
  });
}

/** The pid in an LFD's `LFDn launching Sn (pid N)` line at or after `since`. */
export async function launchedPid(lfd: Role, server: string, timeoutMs = 10_000, since = 0): Promise<number> {
  const { match } = await waitForLine(lfd, new RegExp(`launching ${server} \\(pid (\\d+)\\)`), timeoutMs, since);
  return Number(match[1]);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/**
 * Gone: no such process, or a zombie (exited, not reaped: a server whose LFD died is re-parented
 * to process 1, which in some containers never reaps; it runs no code and holds no socket).
 */
export function isGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Polls `cond` every 20 ms until it holds; fails with `what()` after `timeoutMs`. */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(what());
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(what())), ms);
    }),
  ]);
}

const isLfd = (r: Role) => [...launchedPids.values()].includes(r) || r.label.startsWith('lfd');

/**
 * Stops everything the current test started, by pid:
 * 1. SIGKILL every role that is not an LFD (RM and GFD first, so that no `launch` arrives any more);
 * 2. SIGKILL the servers the LFDs launched while their LFD still runs: the LFD is their parent
 *    and reaps them. (Killed after their parent, they would be orphans, and on this machine nobody
 *    reaps orphans: they would stay zombies, which `kill(pid, 0)` still finds.) Repeated while an
 *    LFD reports a new launch;
 * 3. SIGKILL the LFDs.
 * Returns the pids that are still alive afterwards (normally none).
 */
export async function killAll(): Promise<number[]> {
  const roles = started.splice(0);
  const others = roles.filter((r) => !isLfd(r));
  const lfds = roles.filter(isLfd);
  for (const r of others) if (r.exit === null) signal(r.pid, 'SIGKILL');
  await Promise.all(others.map((r) => withTimeout(r.closed, 5000, () => `${r.label} (pid ${r.pid}) did not die`).catch(() => undefined)));

  for (let round = 0; round < 5; round++) {
    const servers = [...launchedPids.keys()].filter(isAlive);
    if (servers.length === 0) break;
    for (const pid of servers) signal(pid, 'SIGKILL');
    await until(() => servers.every((pid) => !isAlive(pid)), 5000, () => `servers ${servers} did not die`).catch(() => undefined);
  }
  for (const r of lfds) if (r.exit === null) signal(r.pid, 'SIGKILL');
  await Promise.all(lfds.map((r) => withTimeout(r.closed, 5000, () => `${r.label} (pid ${r.pid}) did not die`).catch(() => undefined)));

  const pids = [...roles.map((r) => r.pid), ...launchedPids.keys()];
  launchedPids.clear();
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  // A zombie holds nothing (an orphan whose LFD died first: nobody here may reap it).
  return pids.filter((pid) => !isGone(pid));
}

/** For `afterEach`: kill everything, then fail if any pid the test started (or had launched) lives on. */
export async function killAllAndCheck(): Promise<void> {
  const alive = await killAll();
  if (alive.length > 0) throw new Error(`processes still alive after the test: ${alive.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// Raw TCP: typing frames at a port, as with nc

/** One connection; every `<…>` frame that arrives is kept in order, and read with a cursor. */
export class RawConn {
  readonly frames: string[] = [];
  /** Everything received, as text. */
  received = '';
  closed = false;
  private buffer = '';
  private cursor = 0;
  private readonly waiters = new Set<() => void>();

  /** The frames so far for an error message, each cut to 200 characters (a checkpoint may be megabytes). */
  private shownFrames(): string {
    return JSON.stringify(this.frames.map((f) => (f.length > 200 ? `${f.slice(0, 150)}…(${f.length} characters)` : f)));
  }

  constructor(
    readonly socket: net.Socket,
    readonly label: string,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.received += text;
      this.buffer += text;
      // Frames never contain a raw `<` or `>` (they travel percent-encoded), so this cuts them.
      for (;;) {
        const start = this.buffer.indexOf('<');
        const end = this.buffer.indexOf('>', start);
        if (start < 0 || end < 0) break;
        this.frames.push(this.buffer.slice(start, end + 1));
        this.buffer = this.buffer.slice(end + 1);
      }
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /** Writes text as typed (add the newline yourself, or not). */
  sendText(text: string): void {
    this.socket.write(text);
  }

  /** The next frame not read yet, in arrival order; fails after `timeoutMs`. */
  nextFrame(timeoutMs = 5000): Promise<string> {
    return this.waitFor(
      () => (this.cursor < this.frames.length ? this.frames[this.cursor++]! : undefined),
      timeoutMs,
      'a frame',
    );
  }

  /** Reads frames until one matches `re`; returns every frame read on the way, the match last. */
  async readFramesUntil(re: RegExp, timeoutMs = 5000): Promise<string[]> {
    const read: string[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      const frame = await this.nextFrame(Math.max(left, 0)).catch((err: Error) => {
        throw new Error(`${err.message}; waiting for ${re}; read on the way: ${JSON.stringify(read)}`);
      });
      read.push(frame);
      if (re.test(frame)) return read;
    }
  }

  /** Resolves when the other side has closed the connection. */
  waitClosed(timeoutMs = 5000): Promise<void> {
    return this.waitFor(() => (this.closed ? true : undefined), timeoutMs, 'the connection to close').then(() => undefined);
  }

  close(): void {
    this.socket.destroy();
  }

  private waitFor<T>(take: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = take();
        if (value !== undefined) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve(value);
        } else if (this.closed && what !== 'the connection to close') {
          clearTimeout(timer);
          this.waiters.delete(check);
          reject(new Error(`${this.label}: closed while waiting for ${what}; frames so far: ${this.shownFrames()}`));
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${this.label}: waited ${timeoutMs} ms for ${what} in vain; frames so far: ${this.shownFrames()}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

const openConns = new Set<RawConn>();

/**
 * Connects to `port` on 127.0.0.1, retrying refused connects until `timeoutMs`: a role prints its
 * first line before its listener is bound, so a refusal right after start is normal.
 */
export async function connectRaw(port: number, timeoutMs = 5000, label = `127.0.0.1:${port}`, host = HOST): Promise<RawConn> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    const socket = await new Promise<net.Socket | Error>((resolve) => {
      const s = net.connect({ host, port });
      s.once('connect', () => resolve(s));
      s.once('error', (err) => resolve(err));
    });
    if (!(socket instanceof Error)) {
      const conn = new RawConn(socket, label);
      openConns.add(conn);
      socket.once('close', () => openConns.delete(conn));
      return conn;
    }
    if (Date.now() + delay > deadline) throw new Error(`cannot connect to ${label} within ${timeoutMs} ms: ${socket.message}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Closes every raw connection still open (for `afterEach`). */
export function closeRawConns(): void {
  for (const c of openConns) c.close();
  openConns.clear();
}

// ---------------------------------------------------------------------------------------------
// Reading frames, independently of the product's codec (an oracle should not share the code under test)

/** Percent-decoding as SPEC §4 defines it (`%XX` runs are UTF-8 bytes). */
export function pctDecode(s: string): string {
  return decodeURIComponent(s);
}

/** The fields of a `<…>` frame, trimmed and field-decoded; the type is last. */
export function fields(frame: string): string[] {
  if (!frame.startsWith('<') || !frame.endsWith('>')) throw new Error(`not a frame: ${frame}`);
  return frame
    .slice(1, -1)
    .split(',')
    .map((f) => pctDecode(f.trim()));
}

export interface ServerStatus {
  server: string;
  mode: string;
  role: string;
  phase: string;
  /** STATE, field-decoded. */
  state: string;
  /** CLIENTS: client → [last number, last reply]. */
  clients: Map<string, { num: number; reply: string }>;
  checkpoint: number;
  epoch: number;
  pid: number;
  /** A server with a data folder: how far its history goes (docs/durability.md). */
  position?: number;
  /** A server with a data folder: the highest epoch it took. */
  taken?: number;
}

/** `<S1, MODE, ROLE, PHASE, STATE, CLIENTS, CKPT, EPOCH, PID, status>`, with a data folder `…, PID, POSITION, WRITTEN, TAKEN, status>` */
export function parseServerStatus(frame: string): ServerStatus {
  const f = fields(frame);
  if (!((f.length === 10 || f.length === 13) && f.at(-1) === 'status')) throw new Error(`not a server status frame: ${frame}`);
  const clients = new Map<string, { num: number; reply: string }>();
  for (const item of f[5] === '' ? [] : f[5]!.split(';')) {
    const [client, num, reply] = item.split(':');
    clients.set(client!, { num: Number(num), reply: pctDecode(reply ?? '') });
  }
  return {
    server: f[0]!,
    mode: f[1]!,
    role: f[2]!,
    phase: f[3]!,
    state: f[4]!,
    clients,
    checkpoint: Number(f[6]),
    epoch: Number(f[7]),
    pid: Number(f[8]),
    ...(f.length === 13 && { position: Number(f[9]), taken: Number(f[11]) }),
  };
}

/** The `log` application's STATE: entries joined by `;`, each item-encoded once more. */
export function logEntries(state: string): string[] {
  return state === '' ? [] : state.split(';').map(pctDecode);
}

/** Asks a server's client port for its status over a fresh connection. */
export async function queryStatus(port: number, name: string, timeoutMs = 5000, host = HOST): Promise<ServerStatus> {
  const conn = await connectRaw(port, timeoutMs, `${name} client port`, host);
  try {
    conn.sendText(`<ops, ${name}, status>\n`);
    const [frame] = (await conn.readFramesUntil(/, status>$/, timeoutMs)).slice(-1);
    return parseServerStatus(frame!);
  } finally {
    conn.close();
  }
}
