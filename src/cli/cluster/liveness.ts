/**
 * Whether a process still runs, and whether it is stopped (SIGSTOP), by pid.
 *
 * A process that has exited but was not reaped yet (a zombie) counts as dead: it runs no code and
 * holds no socket. This matters because a server whose LFD was killed with SIGKILL is re-parented
 * to process 1, and not every process 1 (in containers and micro-VMs) reaps its orphans, so
 * `kill(pid, 0)` alone would report such a server alive forever.
 */
import { readFileSync } from 'node:fs';

export type ProcessState = 'running' | 'stopped' | 'gone';

/** Linux: the state letter of /proc/PID/stat; elsewhere (no /proc) `kill(pid, 0)` decides. */
export function processState(pid: number): ProcessState {
  if (!Number.isInteger(pid) || pid <= 0) return 'gone';
  let stat: string | null = null;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return 'gone';
    stat = null; // no /proc here: ask the kernel below
  }
  if (stat !== null) {
    // `PID (COMM) STATE …`: COMM may contain spaces and parentheses, so read after the last `)`.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X' || state === 'x') return 'gone';
    if (state === 'T' || state === 't') return 'stopped';
    return 'running';
  }
  try {
    process.kill(pid, 0);
    return 'running';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'running' : 'gone';
  }
}

export function isAlive(pid: number): boolean {
  return processState(pid) !== 'gone';
}

/** Sends `sig`; a process that is already gone is not an error. Returns whether it was sent. */
export function signalPid(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Polls `cond` every `everyMs` until it holds or `timeoutMs` passed; resolves to whether it held. */
export async function pollUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, Math.min(everyMs, Math.max(1, deadline - Date.now()))));
  }
}
