/**
 * The LFD's launcher in production: starts `steadfast server` as a child process (node itself, so
 * the pid printed is the server's own), copies its lines into the LFD's output, kills it on order
 * (SIGKILL) and when the LFD stops (SIGTERM, so it closes its sockets).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fromCallback } from 'xstate';
import type { LauncherCommand, LauncherInput } from '../actors/launcher.js';

export function processLauncher(mainScript: string, args: (server: string) => string[]) {
  return fromCallback<LauncherCommand, LauncherInput>(({ input, sendBack, receive }) => {
    const child = spawn(process.execPath, [mainScript, 'server', '--name', input.server, ...args(input.server)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let exited = false;
    const pid = child.pid ?? -1;
    // Line by line, so a server line is never cut in two by one of the LFD's own.
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => process.stdout.write(line + '\n'));
    }
    child.on('spawn', () => sendBack({ type: 'process.started', pid }));
    child.on('error', (err) => {
      if (exited) return;
      exited = true;
      sendBack({ type: 'process.exited', pid, how: `could not start: ${err.message}` });
    });
    child.on('exit', (code, signal) => {
      if (exited) return;
      exited = true;
      sendBack({ type: 'process.exited', pid, how: signal ? `signal ${signal}` : `exit code ${code}` });
    });
    receive((command) => {
      if (command.type === 'kill' && !exited) child.kill('SIGKILL');
    });
    return () => {
      if (!exited) child.kill('SIGTERM');
    };
  });
}
