/**
 * Counts system calls of running processes from outside, with `perf stat` on the kernel's syscall
 * tracepoints, so that the product needs no counters of its own: the bench's figure of how many
 * `fdatasync`/`fsync` calls the servers make per request (group commit, docs/durability.md).
 *
 * One `perf stat -p PID` per process (so the figure splits by primary and backups), started with
 * counting off (`-D -1`) and switched on and off over a control pipe (`--control fd:3,4`, each
 * command acknowledged) at the edges of the measured window, so that its count covers the same
 * window as the request count, however long perf took to attach. `-p` follows every thread of the
 * process, those started later included: node makes its `fdatasync` calls on libuv's thread pool.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { withTimeout } from '../test/support/processes.js';

/** The calls that make a file durable: the log's `fdatasync`, the folder's and the snapshot's `fsync`. */
export const SYNC_EVENTS = ['syscalls:sys_enter_fdatasync', 'syscalls:sys_enter_fsync'] as const;

const PERF = 'perf';
/** perf processes still running, for a teardown that did not reach their `finish`. */
const running = new Set<ChildProcess>();

export function killSyscallCounters(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/**
 * The counts in `perf stat -x,` output, by event: `COUNT,UNIT,EVENT,…` lines; other lines (perf's
 * `Events enabled` notes) are skipped. An event perf could not count (`<not counted>`,
 * `<not supported>`) is NaN, so a sum over it is NaN rather than a low figure.
 */
export function parsePerfStat(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    const f = line.split(',');
    if (f.length < 3 || !/^\w+:\w+$/.test(f[2]!)) continue;
    const n = /^\d+$/.test(f[0]!) ? Number(f[0]) : NaN;
    counts.set(f[2]!, (counts.get(f[2]!) ?? 0) + n);
  }
  return counts;
}

interface Spawned {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<void>;
}

function spawnPerf(args: string[], stdio: ('ignore' | 'pipe')[]): Spawned {
  const child = spawn(PERF, args, { stdio });
  running.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // 'close', not 'exit': perf prints its counts as it exits, and 'exit' may come before its
  // stderr has been read to the end. A missing perf is an 'error' (ENOENT): that ends the wait too.
  const exited = new Promise<void>((resolve) => {
    child.once('error', (err) => {
      stderr += `\n${err.message}`;
      resolve();
    });
    child.once('close', () => resolve());
  });
  void exited.then(() => running.delete(child));
  return { child, stderr: () => stderr, exited };
}

let probed: Promise<string | null> | null = null;

/**
 * Whether counting works here: perf runs, may use the tracepoints (root, or a low
 * perf_event_paranoid) and counts a child's two `fdatasync` calls as two. Null when it does; else
 * why not, for the report. Asked once a run.
 */
export function probeSyncCounting(): Promise<string | null> {
  probed ??= (async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'steadfast-perf-'));
    try {
      const script = `const fs=require('fs');const fd=fs.openSync(${JSON.stringify(path.join(dir, 'f'))},'w');` +
        `fs.writeSync(fd,'x');fs.fdatasyncSync(fd);fs.writeSync(fd,'y');fs.fdatasyncSync(fd);`;
      const p = spawnPerf(['stat', '-x,', '-e', SYNC_EVENTS.join(','), '--', process.execPath, '-e', script], ['ignore', 'ignore', 'pipe']);
      await withTimeout(p.exited, 15_000, () => 'perf stat did not finish within 15 s').catch((err: Error) => {
        p.child.kill('SIGKILL');
        throw err;
      });
      const got = parsePerfStat(p.stderr()).get(SYNC_EVENTS[0]);
      if (got === 2) return null;
      const said = p.stderr().trim().split('\n').filter((l) => l !== '').slice(0, 2).join(' / ');
      return `perf stat counted ${got ?? 'nothing'} of a test process's 2 fdatasync calls (${p.child.exitCode === null ? 'no exit code' : `exit ${p.child.exitCode}`}${said ? `: ${said}` : ''})`;
    } catch (err) {
      return (err as Error).message;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return probed;
}

export interface SyscallCounter {
  /** Counting on (at the measured window's start). */
  enable(): void;
  /** Counting off (at its end). */
  disable(): void;
  /** Waits for perf to confirm both, stops it, and gives the calls of each process (by its label). */
  finish(): Promise<Record<string, number>>;
}

/** One attached perf: its control pipe and how many commands it acknowledged. */
interface Attached {
  label: string;
  perf: Spawned;
  control: net.Socket;
  waitAcks: (n: number) => Promise<void>;
}

async function attach(label: string, pid: number, events: readonly string[]): Promise<Attached> {
  const perf = spawnPerf(
    ['stat', '-x,', '--control', 'fd:3,4', '-D', '-1', '-e', events.join(','), '-p', String(pid)],
    ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
  );
  const control = perf.child.stdio[3] as net.Socket;
  const ack = perf.child.stdio[4] as net.Socket;
  // A perf that died closes its ends: what is lost shows as missing acks, not as a crash here.
  control.on('error', () => {});
  ack.on('error', () => {});
  let acks = 0;
  // Every wait is re-checked on whatever perf does: an ack, a line on stderr, its exit.
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  ack.setEncoding('utf8').on('data', (d: string) => {
    acks += d.split('ack').length - 1;
    wake();
  });
  perf.child.stderr!.on('data', wake);
  void perf.exited.then(wake);
  const waitFor = (done: () => boolean, what: string) => {
    let w = () => {};
    return withTimeout(
      new Promise<void>((resolve) => {
        w = () => {
          if (done()) resolve();
        };
        waiters.add(w);
        w();
      }),
      5000,
      () => `perf stat -p ${pid} (${label}): ${what} within 5 s: ${perf.stderr().trim().slice(0, 300)}`,
    ).finally(() => waiters.delete(w));
  };
  const gone = () => perf.child.exitCode !== null || perf.child.signalCode !== null;
  // perf says `Events disabled` once it is attached with counting off: from then on `enable` counts.
  await waitFor(() => /Events disabled/.test(perf.stderr()) || gone(), 'no "Events disabled"');
  if (gone()) throw new Error(`perf stat -p ${pid} (${label}) exited: ${perf.stderr().trim().slice(0, 300)}`);
  return { label, perf, control, waitAcks: (n) => waitFor(() => acks >= n, `${n} acks`) };
}

/**
 * Attaches a counter of `events` to each process of `pids` (label → pid), counting off until
 * `enable`. Throws when perf cannot attach (the report then says why instead of a figure).
 */
export async function countSyscalls(pids: Record<string, number>, events: readonly string[] = SYNC_EVENTS): Promise<SyscallCounter> {
  const attached: Attached[] = [];
  try {
    for (const [label, pid] of Object.entries(pids)) attached.push(await attach(label, pid, events));
  } catch (err) {
    for (const a of attached) a.perf.child.kill('SIGKILL');
    throw err;
  }
  return {
    enable: () => attached.forEach((a) => a.control.write('enable\n')),
    disable: () => attached.forEach((a) => a.control.write('disable\n')),
    async finish() {
      const out: Record<string, number> = {};
      try {
        for (const a of attached) {
          await a.waitAcks(2);
          // SIGINT ends perf stat the ordinary way: it prints its counts and exits.
          a.perf.child.kill('SIGINT');
          await withTimeout(a.perf.exited, 5000, () => `perf stat (${a.label}) did not exit on SIGINT`);
          const counts = parsePerfStat(a.perf.stderr());
          const missing = events.filter((e) => !Number.isFinite(counts.get(e) ?? NaN));
          if (missing.length > 0) throw new Error(`perf stat (${a.label}) gave no count of ${missing.join(', ')}: ${JSON.stringify(a.perf.stderr().slice(-300))}`);
          out[a.label] = events.reduce((sum, e) => sum + counts.get(e)!, 0);
        }
      } finally {
        for (const a of attached) if (a.perf.child.exitCode === null && a.perf.child.signalCode === null) a.perf.child.kill('SIGKILL');
      }
      return out;
    },
  };
}
