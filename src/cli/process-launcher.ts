/**
 * The LFD's launcher in production: starts `steadfast server` as a child process (node itself, so
 * the pid printed is the server's own), copies its lines into the LFD's output, kills it on order
 * (SIGKILL), drains it on order (SIGTERM) and stops it when the LFD stops at once (SIGINT, so it
 * closes its sockets). A server found already running is watched by pid instead.
 *
 * With a warm spare (`steadfast lfd --spare`), a launch takes a server process started earlier
 * with `--standby`, its modules loaded, and tells it to start: node's own start and the loading of
 * the modules (about 250 ms here) are then not on the way from a crash back to a full cluster.
 * Another spare is started a while after each launch, out of the way of the recovery.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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
    if (!exited && isSteadfastServer(pid, server) !== false) process.kill(pid, command.type === 'kill' ? 'SIGKILL' : 'SIGTERM');
  });
  // Not our child: stopping the LFD leaves it running, as it found it.
  return () => clearInterval(poll);
}

/** How long after a launch the next spare is started, so that it does not compete with the recovery. */
const SPARE_DELAY_MS = 2000;

/** How a server was started: a spare is used only for a launch started the same way. */
const startedHow = (argv: string[], extra: Record<string, string>): string => JSON.stringify([argv, extra]);

/** A started child process and what it was started with. */
interface Started {
  child: ChildProcess;
  /** Its arguments and environment, compared before a spare is used. */
  how: string;
}

function spawnServer(mainScript: string, argv: string[], extra: Record<string, string>, standby: boolean): Started {
  const child = spawn(process.execPath, [mainScript, 'server', ...argv, ...(standby ? ['--standby'] : [])], {
    stdio: [standby ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    ...(Object.keys(extra).length > 0 ? { env: { ...process.env, ...extra } } : {}),
  });
  // Line by line, so a server line is never cut in two by one of the LFD's own.
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(line + '\n'));
  }
  // Whatever the state of its child's input, it never ends this process (EPIPE from a spare that died).
  child.stdin?.on('error', () => {});
  return { child, how: startedHow(argv, extra) };
}

/**
 * `env`: variables added to the server's environment (the inspector's sink), read at each start.
 * `spare`: keep a warm spare (see above).
 */
export function processLauncher(
  mainScript: string,
  args: (server: string) => string[],
  env: () => Record<string, string> = () => ({}),
  spare = false,
) {
  let standby: Started | null = null;
  let standbyTimer: NodeJS.Timeout | null = null;
  // A spare still waiting when this process exits is stopped (its input closing would stop it too).
  if (spare) process.once('exit', () => standby?.child.kill('SIGKILL'));

  const prepareSpare = (argv: string[], extra: Record<string, string>) => {
    if (standbyTimer !== null) clearTimeout(standbyTimer);
    standbyTimer = setTimeout(() => {
      standbyTimer = null;
      const next = spawnServer(mainScript, argv, extra, true);
      next.child.once('exit', () => {
        if (standby === next) standby = null;
      });
      standby = next;
    }, SPARE_DELAY_MS).unref();
  };

  /** The waiting spare, told to start, if one was started the same way; else a new process. */
  const start = (argv: string[], extra: Record<string, string>): { child: ChildProcess; warm: boolean } => {
    const waiting = standby;
    standby = null;
    if (waiting !== null && waiting.how === startedHow(argv, extra) && waiting.child.exitCode === null && waiting.child.signalCode === null) {
      waiting.child.stdin!.end('start\n');
      return { child: waiting.child, warm: true };
    }
    waiting?.child.kill('SIGKILL');
    return { child: spawnServer(mainScript, argv, extra, false).child, warm: false };
  };

  return fromCallback<LauncherCommand, LauncherInput>(({ input, sendBack, receive }) => {
    if (input.attachPid !== null) return attach(input.server, input.attachPid, sendBack, receive);
    const argv = ['--name', input.server, ...args(input.server)];
    const extra = env();
    const { child, warm } = start(argv, extra);
    if (spare) prepareSpare(argv, extra);
    let exited = false;
    const pid = child.pid ?? -1;
    // A child still running when this process exits (a frozen one ignores SIGTERM) is killed.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const exit = (how: string) => {
      if (exited) return;
      exited = true;
      process.off('exit', killOnExit);
      sendBack({ type: 'process.exited', pid, how });
    };
    // A spare was spawned long ago: it counts as started now.
    if (warm) queueMicrotask(() => sendBack({ type: 'process.started', pid }));
    else child.on('spawn', () => sendBack({ type: 'process.started', pid }));
    child.on('error', (err) => exit(`could not start: ${err.message}`));
    child.on('exit', (code, signal) => exit(signal ? `signal ${signal}` : `exit code ${code}`));
    receive((command) => {
      if (exited) return;
      child.kill(command.type === 'kill' ? 'SIGKILL' : 'SIGTERM');
      if (command.type === 'term') child.kill('SIGCONT'); // a paused server drains only once it runs again
    });
    return () => {
      if (exited) return;
      child.kill('SIGINT');
      child.kill('SIGCONT'); // a paused server acts on SIGINT only once it runs again
    };
  });
}
