/**
 * The LFD's launcher in production: starts `steadfast server` as a child process (node itself, so
 * the pid printed is the server's own), copies its lines into the LFD's output, kills it on order
 * (SIGKILL) and when the LFD stops (SIGTERM, so it closes its sockets). A server found already
 * running is watched by pid instead.
 */
import { spawn } from 'node:child_process';
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

function attach(pid: number, sendBack: (e: LauncherReport) => void, receive: (fn: (c: LauncherCommand) => void) => void) {
  let exited = false;
  const poll = setInterval(() => {
    if (isAlive(pid)) return;
    exited = true;
    clearInterval(poll);
    sendBack({ type: 'process.exited', pid, how: 'gone' });
  }, ATTACHED_POLL_MS);
  sendBack({ type: 'process.started', pid });
  receive((command) => {
    if (command.type === 'kill' && !exited) process.kill(pid, 'SIGKILL');
  });
  // Not our child: stopping the LFD leaves it running, as it found it.
  return () => clearInterval(poll);
}

/** `env`: variables added to the server's environment (the inspector's sink), read at each start. */
export function processLauncher(mainScript: string, args: (server: string) => string[], env: () => Record<string, string> = () => ({})) {
  return fromCallback<LauncherCommand, LauncherInput>(({ input, sendBack, receive }) => {
    if (input.attachPid !== null) return attach(input.attachPid, sendBack, receive);
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
