/**
 * Small helpers for the tests of `steadfast cluster` and `steadfast scenario`: free ports, a cluster
 * file, a `steadfast` process whose lines are captured and waited for (always bounded), and pids
 * that must be gone afterwards. Independent of harness.ts on purpose (that file belongs to other
 * tests and changes under them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePorts } from '../../src/transport/query.js';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isGone } from '../support/processes.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'steadfast');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');

export function requireBuilt(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc -p tsconfig.json, or npm test)`);
}

const dirs: string[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'steadfast-cluster-test-'));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A cluster file on free ports: RM, GFD, S1…S3 with LFD1…LFD3, and the given clients. */
export async function writeClusterIni(cluster: Record<string, string | number>, clients: Record<string, number>): Promise<string> {
  const [rm, gfd, ...p] = await freePorts(2 + 6);
  const lines = ['[cluster]', ...Object.entries(cluster).map(([k, v]) => `${k} = ${v}`)];
  lines.push('', '[rm]', 'host = 127.0.0.1', `port = ${rm}`, '', '[gfd]', 'host = 127.0.0.1', `port = ${gfd}`);
  for (let i = 0; i < 3; i++) lines.push('', `[server.S${i + 1}]`, 'host = 127.0.0.1', `port = ${p[2 * i]}`, `peer_port = ${p[2 * i + 1]}`);
  for (let i = 0; i < 3; i++) lines.push('', `[lfd.LFD${i + 1}]`, `server = S${i + 1}`);
  for (const [name, interval] of Object.entries(clients)) lines.push('', `[client.${name}]`, `interval = ${interval}`);
  const file = path.join(tempDir(), 'cluster.ini');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** A running `steadfast …` with its standard output and error captured line by line. */
export class Steadfast {
  readonly lines: string[] = [];
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly closed: Promise<void>;
  private readonly waiters = new Set<() => void>();

  constructor(readonly child: ChildProcess) {
    let open = 2;
    let exited = false;
    let done: () => void = () => {};
    this.closed = new Promise((r) => (done = r));
    const finish = () => {
      if (open === 0 && exited) done();
      this.wake();
    };
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream })
        .on('line', (line) => {
          this.lines.push(line);
          this.wake();
        })
        .on('close', () => {
          open--;
          finish();
        });
    }
    child.on('exit', (code, signal) => {
      this.exit = { code, signal };
      exited = true;
      finish();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  mark(): number {
    return this.lines.length;
  }

  send(line: string): void {
    this.child.stdin!.write(line + '\n');
  }

  /** The first line at or after `since` that matches `re`; fails after `timeoutMs` or when the process ends first. */
  waitFor(re: RegExp, timeoutMs: number, since = 0): Promise<{ line: string; match: RegExpExecArray; index: number }> {
    return new Promise((resolve, reject) => {
      let next = since;
      const check = () => {
        for (; next < this.lines.length; next++) {
          const m = re.exec(this.lines[next]!);
          if (m) {
            stop();
            return resolve({ line: this.lines[next]!, match: m, index: next });
          }
        }
        if (this.exit !== null) {
          stop();
          reject(new Error(`steadfast ended (${JSON.stringify(this.exit)}) without a line matching ${re}\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`no line matching ${re} within ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      const stop = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Resolves with the exit once the process ended and its output is read; fails after `timeoutMs`. */
  async ended(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closed,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`steadfast did not end within ${timeoutMs} ms\n${this.tail()}`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    return this.exit!;
  }

  tail(n = 40): string {
    return this.lines.slice(-n).map((l) => `    ${l}`).join('\n');
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

const running: Steadfast[] = [];

export function startSteadfast(args: string[], opts: { stdin?: boolean; env?: NodeJS.ProcessEnv } = {}): Steadfast {
  requireBuilt();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: tempDir(),
    env: { ...process.env, NO_COLOR: undefined, ...opts.env },
    stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const s = new Steadfast(child);
  running.push(s);
  return s;
}

/** Every pid a line names: `(pid N)`, `, pid N`. */
export function pidsIn(lines: readonly string[]): number[] {
  const pids = new Set<number>();
  for (const line of lines) for (const m of line.matchAll(/\bpid (\d+)\b/g)) pids.add(Number(m[1]));
  return [...pids];
}

/** Whether `pid` runs the steadfast CLI (bin/steadfast or dist/cli/main.js); true where /proc cannot tell. */
function isSteadfast(pid: number): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.includes('steadfast') || cmd.includes(path.join('dist', 'cli', 'main.js'));
  } catch {
    return !existsSync('/proc/self');
  }
}

/** Polls `cond` every 25 ms; fails with `what()` after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(what());
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * For `afterEach`: SIGKILL every steadfast process a test started that still runs, and every pid
 * named in its output (the roles it started; their SIGCONT too, in case one was paused).
 */
export async function killEverything(): Promise<void> {
  const all = running.splice(0);
  const pids = new Set<number>();
  for (const s of all) {
    if (s.exit === null) pids.add(s.pid);
    for (const p of pidsIn(s.lines)) pids.add(p);
  }
  // Never signal this test process or its parent, whatever a line said.
  pids.delete(process.pid);
  pids.delete(process.ppid);
  for (const pid of pids) {
    // A pid named long ago may belong to someone else by now: only ours (the CLI) are killed.
    if (isGone(pid) || !isSteadfast(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone in between
    }
  }
  await until(() => [...pids].every((p) => isGone(p) || !isSteadfast(p)), 5000, () => `still alive: ${[...pids].filter((p) => !isGone(p)).join(', ')}`).catch(() => {});
  await Promise.all(all.map((s) => Promise.race([s.closed, new Promise((r) => setTimeout(r, 2000))])));
  removeTempDirs();
}
