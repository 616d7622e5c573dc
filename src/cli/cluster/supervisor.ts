/**
 * The supervisor behind `steadfast cluster` and `steadfast scenario`: starts role processes
 * (`node dist/cli/main.js ROLE …`), reads their lines, knows every pid it started and every server
 * pid its LFDs started, sends signals by name, and stops everything in an order that leaves no
 * process behind.
 *
 * - Roles print JSON (`--log-format json`): each line names the member that printed it, so a
 *   server's lines, which arrive through its LFD's output, are told apart from the LFD's own.
 *   Lines that are not JSON (a role's error on standard error) belong to the process that printed them.
 * - Every role is started in its own process group (`detached`), so a Ctrl-C at the terminal reaches
 *   the supervisor alone, which then stops the roles in order. The servers belong to their LFD's group.
 * - Server pids are learned from the LFD's `LFD1 launching S1 (pid N)`, the server's own
 *   `S1 started …, pid N` and an LFD's `attached to S1 (pid N)`: after `kill -9` of an LFD its server
 *   runs on, and only the supervisor still knows to stop it.
 * - Stopping (`stopAll`): clients; RM and GFD (so that no `launch` is ordered any more); the servers,
 *   while their LFDs still run and reap them; the LFDs; then anything still alive gets SIGKILL. A
 *   stopped (paused) process gets SIGCONT after its signal, or it would never see it. Servers and
 *   LFDs get SIGINT, which stops them at once: SIGTERM would have each server hand its role over
 *   (docs/operations.md), to nobody, since the whole cluster stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { isAlive, pollUntil, processState, signalPid, type ProcessState } from './liveness.js';
import { eventText, type EventData } from './output.js';

export type RoleKind = 'rm' | 'gfd' | 'lfd' | 'client';

/** One JSON line of a role. */
export interface RoleEvent {
  /** Position in `history`. */
  seq: number;
  /** When the supervisor read it (ms since the epoch). */
  at: number;
  /** The process whose output carried it (an LFD for its server's lines). */
  source: string;
  /** The member that printed it: `data.name`, else the process. */
  name: string;
  event: string;
  data: EventData;
}

export interface Member {
  name: string;
  kind: RoleKind;
  args: string[];
  child: ChildProcess;
  pid: number;
  /** Set once the process exited. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  /** Resolves once the process exited and its output is read to the end. */
  closed: Promise<void>;
  /** The last lines it printed (its servers' included), for failure messages. */
  tail: string[];
}

export interface ServerProcess {
  pid: number;
  /** The LFD that started or attached to it. */
  lfd: string;
}

export interface SupervisorOptions {
  /** `dist/cli/main.js`. */
  main: string;
  /** The arguments every role gets after `ROLE [--name NAME]` (must include `--log-format json`). */
  roleArgs: string[];
  cwd?: string;
  /** Variables added to every role's environment (the inspector's sink). */
  env?: Record<string, string>;
  /** Every line as it arrives: the member it belongs to, the raw line, the event when it is one. */
  onLine?: (name: string, raw: string, event: RoleEvent | null) => void;
  /** Called once when a process exits. */
  onExit?: (member: Member) => void;
  /** Which events are kept in `history` (default: all but heartbeats). */
  keep?: (event: string) => boolean;
  /** Arguments for one role besides everybody's (`cluster --admin`: each role's own port). */
  argsOf?: (name: string) => string[];
  /** The network namespace a member runs in (`ip netns exec`: a test host), if any. */
  hostOf?: (name: string) => string | null;
}

const TAIL = 40;
const HEARTBEATS = new Set(['server.heartbeat', 'lfd.heartbeat']);
const ATTACHED = /^attached to (\S+) \(pid (\d+)\)/;

export class Supervisor {
  /** The processes started, by member name (the latest process under each name). */
  readonly members = new Map<string, Member>();
  /** The latest known process of each server. */
  readonly servers = new Map<string, ServerProcess>();
  /** Every pid ever started here or by an LFD started here. */
  readonly pids = new Set<number>();
  /** The pids of role processes started here (every process under every name), not servers. */
  private readonly rolePids = new Set<number>();
  readonly history: RoleEvent[] = [];
  private readonly exitHook = () => this.killNow();

  constructor(private readonly opts: SupervisorOptions) {
    // Last resort if this process dies of an unexpected error: no role outlives it.
    process.on('exit', this.exitHook);
  }

  /**
   * `node main.js KIND [--name NAME] ARGS… roleArgs…`. `stdin`: give the process a pipe as its
   * standard input (`member.child.stdin`), for a client with `--stdin` that the caller feeds.
   */
  start(name: string, kind: RoleKind, extraArgs: string[] = [], options: { stdin?: boolean } = {}): Member {
    const args = [kind, ...(kind === 'lfd' || kind === 'client' ? ['--name', name] : []), ...extraArgs, ...(this.opts.argsOf?.(name) ?? []), ...this.opts.roleArgs];
    const netns = this.opts.hostOf?.(name) ?? null;
    // `ip netns exec` execs node in place: the pid is still the role's own.
    const argv = [process.execPath, this.opts.main, ...args];
    const child = spawn(netns === null ? argv[0]! : 'ip', netns === null ? argv.slice(1) : ['netns', 'exec', netns, ...argv], {
      cwd: this.opts.cwd,
      ...(this.opts.env ? { env: { ...process.env, ...this.opts.env } } : {}),
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      detached: true,
    });
    if (child.pid === undefined) throw new Error(`could not start ${name}`);
    const member: Member = { name, kind, args, child, pid: child.pid, exit: null, closed: Promise.resolve(), tail: [] };
    this.members.set(name, member);
    this.pids.add(child.pid);
    this.rolePids.add(child.pid);
    let open = 2;
    let exited = false;
    let done: () => void = () => {};
    member.closed = new Promise((resolve) => (done = resolve));
    const finish = () => {
      if (open === 0 && exited) done();
    };
    createInterface({ input: child.stdout! }).on('line', (line) => this.take(member, line, true)).on('close', () => (open--, finish()));
    createInterface({ input: child.stderr! }).on('line', (line) => this.take(member, line, false)).on('close', () => (open--, finish()));
    child.on('error', () => {}); // a failed spawn also ends in 'exit'/'close'
    // Writing to a process that exited fails with EPIPE; its exit is what the caller watches.
    child.stdin?.on('error', () => {});
    child.on('exit', (code, signal) => {
      member.exit = { code, signal };
      exited = true;
      this.opts.onExit?.(member);
      finish();
    });
    return member;
  }

  /** The pid of a member or server by name, if it runs. */
  pidOf(name: string): number | null {
    const m = this.members.get(name);
    if (m) return m.exit === null ? m.pid : null;
    const s = this.servers.get(name);
    return s && isAlive(s.pid) ? s.pid : null;
  }

  stateOf(name: string): ProcessState {
    const pid = this.pidOf(name);
    return pid === null ? 'gone' : processState(pid);
  }

  /** Sends `sig` to the member or server `name`; returns the pid it went to, or null if none runs. */
  signal(name: string, sig: NodeJS.Signals): number | null {
    const pid = this.pidOf(name);
    if (pid === null) return null;
    if (!signalPid(pid, sig)) return null;
    if (sig === 'SIGTERM' || sig === 'SIGINT') signalPid(pid, 'SIGCONT');
    return pid;
  }

  /** Every pid started here (roles and their servers) that still runs. */
  alivePids(): number[] {
    return [...this.pids].filter(isAlive);
  }

  /** Events at or after `since` that pass `pred`. */
  events(pred: (e: RoleEvent) => boolean, since = 0): RoleEvent[] {
    const out: RoleEvent[] = [];
    for (let i = since; i < this.history.length; i++) if (pred(this.history[i]!)) out.push(this.history[i]!);
    return out;
  }

  /** Where the history stands: events from here on are "since now". */
  mark(): number {
    return this.history.length;
  }

  /**
   * Stops everything, in order (see the top of this file). Bounded: a process that ignores SIGTERM
   * for `graceMs` gets SIGKILL.
   */
  async stopAll(graceMs = 3000): Promise<void> {
    const running = (kind: RoleKind) => [...this.members.values()].filter((m) => m.kind === kind && m.exit === null).map((m) => m.pid);
    await terminate(running('client'), graceMs);
    await terminate([...running('rm'), ...running('gfd')], graceMs);
    const lfdPids = new Set([...this.members.values()].filter((m) => m.kind === 'lfd').map((m) => m.pid));
    const servers = [...this.pids].filter((p) => !this.rolePids.has(p) && isAlive(p));
    await terminate(servers, graceMs, 'SIGINT');
    await terminate([...lfdPids].filter(isAlive), graceMs, 'SIGINT');
    await terminate(this.alivePids(), 0);
    // Let the last lines arrive before the caller prints its own.
    await Promise.race([Promise.all([...this.members.values()].map((m) => m.closed)), new Promise((r) => setTimeout(r, 2000))]);
    process.off('exit', this.exitHook);
  }

  /** Synchronous SIGKILL of everything still alive (for `process.on('exit')`). */
  killNow(): void {
    for (const pid of this.pids) if (isAlive(pid)) signalPid(pid, 'SIGKILL');
  }

  private take(member: Member, line: string, stdout: boolean): void {
    const event = stdout ? this.parse(member, line) : null;
    member.tail.push(event ? `${event.name === member.name ? "" : `${event.name} | `}${eventText(event.data)}` : line);
    if (member.tail.length > TAIL) member.tail.shift();
    if (event) this.learn(event);
    this.opts.onLine?.(event?.name ?? member.name, line, event);
  }

  private parse(member: Member, line: string): RoleEvent | null {
    if (!line.startsWith('{')) return null;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch {
      return null;
    }
    if (typeof data !== 'object' || data === null || typeof (data as EventData).event !== 'string') return null;
    const d = data as EventData;
    const event: RoleEvent = {
      seq: this.history.length,
      at: Date.now(),
      source: member.name,
      name: typeof d.name === 'string' ? d.name : member.name,
      event: d.event,
      data: d,
    };
    const keep = this.opts.keep ? this.opts.keep(d.event) : !HEARTBEATS.has(d.event);
    if (keep) this.history.push(event);
    return event;
  }

  /** Server pids, from the LFD's and the server's own lines. */
  private learn(e: RoleEvent): void {
    const d = e.data;
    let server: string | null = null;
    let pid: number | null = null;
    if (e.event === 'lfd.launching' && typeof d.server === 'string' && typeof d.pid === 'number') {
      [server, pid] = [d.server, d.pid];
    } else if (e.event === 'server.started' && typeof d.pid === 'number') {
      [server, pid] = [e.name, d.pid];
    } else if (e.event === 'note' && typeof d.text === 'string') {
      const m = ATTACHED.exec(d.text);
      if (m) [server, pid] = [m[1]!, Number(m[2])];
    }
    if (server === null || pid === null || pid <= 0) return;
    this.pids.add(pid);
    this.servers.set(server, { pid, lfd: e.source });
  }
}

/** `signal` (and SIGCONT), wait up to `graceMs`, then SIGKILL what is left and wait for it. */
async function terminate(pids: number[], graceMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const live = pids.filter(isAlive);
  if (live.length === 0) return;
  if (graceMs > 0) {
    for (const pid of live) {
      signalPid(pid, signal);
      signalPid(pid, 'SIGCONT');
    }
    if (await pollUntil(() => live.every((p) => !isAlive(p)), graceMs)) return;
  }
  for (const pid of live) if (isAlive(pid)) signalPid(pid, 'SIGKILL');
  await pollUntil(() => live.every((p) => !isAlive(p)), 3000);
}
