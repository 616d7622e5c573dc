/**
 * The LFD's launcher in production: starts `steadfast server` as a child process (node itself, so
 * the pid printed is the server's own), copies its lines into the LFD's output, kills it on order
 * (SIGKILL) and when the LFD stops (SIGTERM, so it closes its sockets). A server found already
 * running is watched by pid instead.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fromCallback } from 'xstate';
import type { LauncherCommand, LauncherInput, LauncherReport } from '../actors/launcher.js';

/** How often an attached process (not our child, so no exit event) is checked for life. */
const ATTACHED_POLL_MS = 100;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Is process `pid` a steadfast server named `server` (`… main.js server --name S1 …`, as an LFD
 * starts one)? Read from /proc/PID/cmdline; null where there is no /proc (not Linux) to tell.
 * A pid comes from a `status` answer, which anyone holding the port could forge: an LFD attaches
 * to a process, and kills it, only when this says it is its server.
 */
export function isSteadfastServer(pid: number, server: string): boolean | null {
  if (!Number.isSafeInteger(pid) || pid <= 1) return false;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' && !existsSync('/proc/self') ? null : false;
  }
  const args = text.split('\0');
  const at = args.indexOf('server');
  if (at < 1 || !args.slice(0, at).some((a) => /(?:^|\/)(?:steadfast|main\.js)$/.test(a))) return false;
  const rest = args.slice(at + 1);
  const name = rest.indexOf('--name');
  return (name >= 0 && rest[name + 1] === server) || rest.includes(`--name=${server}`);
}

function attach(server: string, pid: number, sendBack: (e: LauncherReport) => void, receive: (fn: (c: LauncherCommand) => void) => void) {
  if (isSteadfastServer(pid, server) === false) {
    // Not provably ours: never watched, never killed. The LFD goes on as after an exit.
    queueMicrotask(() => sendBack({ type: 'process.exited', pid, how: `not attached: pid ${pid} is not steadfast server ${server}` }));
    return () => {};
  }
  let exited = false;
  const poll = setInterval(() => {
    if (isAlive(pid)) return;
    exited = true;
    clearInterval(poll);
    sendBack({ type: 'process.exited', pid, how: 'gone' });
  }, ATTACHED_POLL_MS);
  sendBack({ type: 'process.started', pid });
  receive((command) => {
    // Checked again: the pid may have been reused since.
    if (command.type === 'kill' && !exited && isSteadfastServer(pid, server) !== false) process.kill(pid, 'SIGKILL');
  });
  // Not our child: stopping the LFD leaves it running, as it found it.
  return () => clearInterval(poll);
}

/** `env`: variables added to the server's environment (the inspector's sink), read at each start. */
export function processLauncher(mainScript: string, args: (server: string) => string[], env: () => Record<string, string> = () => ({})) {
  return fromCallback<LauncherCommand, LauncherInput>(({ input, sendBack, receive }) => {
    if (input.attachPid !== null) return attach(input.server, input.attachPid, sendBack, receive);
    const extra = env();
    const child = spawn(process.execPath, [mainScript, 'server', '--name', input.server, ...args(input.server)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(Object.keys(extra).length > 0 ? { env: { ...process.env, ...extra } } : {}),
    });
    let exited = false;
    const pid = child.pid ?? -1;
    // Line by line, so a server line is never cut in two by one of the LFD's own.
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => process.stdout.write(line + '\n'));
    }
    // A child still running when this process exits (a frozen one ignores SIGTERM) is killed.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const exit = (how: string) => {
      if (exited) return;
      exited = true;
      process.off('exit', killOnExit);
      sendBack({ type: 'process.exited', pid, how });
    };
    child.on('spawn', () => sendBack({ type: 'process.started', pid }));
    child.on('error', (err) => exit(`could not start: ${err.message}`));
    child.on('exit', (code, signal) => exit(signal ? `signal ${signal}` : `exit code ${code}`));
    receive((command) => {
      if (command.type === 'kill' && !exited) child.kill('SIGKILL');
    });
    return () => {
      if (exited) return;
      child.kill('SIGTERM');
      child.kill('SIGCONT'); // a paused server acts on SIGTERM only once it runs again
    };
  });
}
