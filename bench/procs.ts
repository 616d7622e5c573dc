/** Processes the bench starts besides the roles (the echo server), and resident memory by pid. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { withTimeout } from '../test/support/processes.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Echo servers still running, for a teardown that did not reach their `stop`. */
const running = new Set<ChildProcess>();

export function killEchoServers(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

export interface EchoProcess {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** The echo baseline in its own node process (through tsx, as the bench itself runs). */
export async function startEchoProcess(): Promise<EchoProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'echo-server.ts'), '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));
  const port = await withTimeout(
    new Promise<number>((resolve) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /^listening (\d+)$/.exec(line);
        if (m) resolve(Number(m[1]));
      });
    }),
    15_000,
    () => 'the echo server did not start within 15 s',
  ).catch((err: Error) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    port,
    pid: child.pid!,
    async stop() {
      child.kill('SIGKILL');
      await withTimeout(exited, 5000, () => `echo server (pid ${child.pid}) did not die`);
    },
  };
}

/** Clock ticks a second of /proc/PID/stat's times (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

/** CPU time (user + system) a process has used so far, in ms (10 ms steps), or NaN when it is gone. */
export function cpuMs(pid: number): number {
  try {
    // The command name (field 2) may hold spaces: count fields from after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
  } catch {
    return NaN;
  }
}

/** CPU used by this process so far, in ms (the bench's load clients run here). */
export const ownCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Resident set size of a process in MB (VmRSS), or NaN when it is gone. */
export function rssMb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
