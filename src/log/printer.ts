/**
 * The one module that turns a `LogEvent` into a printed line (SPEC §5): the seed's fixed text
 * forms, each behind `[HH:MM:SS]` local time, or one JSON object a line. Lines are built by plain
 * concatenation and filtered by level before any formatting, because heartbeat and per-request
 * lines are printed on the hot path.
 */
import type { LogEvent, LogLevel, Print, RequestRef } from './events.js';

const SEVERITY: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface PrinterOptions {
  format: 'text' | 'json';
  /** Lines below this level are dropped (`--quiet` = `warn`). */
  level: LogLevel;
  /** `server`, `lfd`, …, for the JSON form (every event names the member itself). */
  role: string;
  /** Where a finished line goes, without its newline; default standard output. */
  write?: (line: string) => void;
  now?: () => Date;
}

/** Refused-frame lines a role prints in one second at most; a flood of bad frames is a count. */
export const REFUSALS_PER_SECOND = 10;

/** Who sees the events of this process's printers besides its output, whatever their level (the admin endpoint's metrics). */
export interface EventObserver {
  wants: (event: LogEvent) => boolean;
  observe: (event: LogEvent) => void;
}

let observer: EventObserver | null = null;

/** Every printer of this process shows its events to `o` too, from now on (null: nobody). */
export function observeEvents(o: EventObserver | null): void {
  observer = o;
}

export function createPrinter(opts: PrinterOptions): Print {
  const print = limitRefusals(createUnlimitedPrinter(opts), opts.now ?? (() => new Date()));
  const observed = (e: LogEvent) => {
    if (observer?.wants(e)) observer.observe(e);
    print(e);
  };
  return Object.assign(observed, { wants: (e: LogEvent) => (observer?.wants(e) ?? false) || (print.wants?.(e) ?? true) });
}

/**
 * At most REFUSALS_PER_SECOND `link.refused` lines a second; past that they are counted, and the
 * count is said (`S1: 4210 more refused frames not shown`) with the next one shown.
 */
export function limitRefusals(print: Print, now: () => Date): Print {
  let second = NaN;
  let shown = 0;
  let hidden = 0;
  const limited = (e: LogEvent) => {
    if (e.event !== 'link.refused') return print(e);
    const s = Math.floor(now().getTime() / 1000);
    if (s !== second) {
      second = s;
      shown = 0;
    }
    if (shown >= REFUSALS_PER_SECOND) {
      hidden += 1;
      return;
    }
    shown += 1;
    if (hidden > 0) {
      print({ event: 'note', name: e.name, level: 'warn', text: `${hidden} more refused frames not shown` });
      hidden = 0;
    }
    print(e);
  };
  return Object.assign(limited, print.wants ? { wants: print.wants } : {});
}

function createUnlimitedPrinter(opts: PrinterOptions): Print {
  const write = opts.write ?? ((line: string) => void process.stdout.write(line + '\n'));
  const now = opts.now ?? (() => new Date());
  const min = SEVERITY[opts.level];
  const { role } = opts;
  const wants = (e: LogEvent) => SEVERITY[levelOf(e)] >= min;

  if (opts.format === 'json') {
    return Object.assign(
      (e: LogEvent) => {
        if (!wants(e)) return;
        // Every event names who printed it; the name goes before the event, as a reader scans.
        const { name, ...fields } = e;
        write(JSON.stringify({ time: now().toISOString(), role, name, ...fields }));
      },
      { wants },
    );
  }

  // The `[HH:MM:SS]` prefix changes once a second; build it once a second.
  let prefixSecond = NaN;
  let prefix = '';
  const text = (e: LogEvent) => {
    if (!wants(e)) return;
    const t = now();
    const second = Math.floor(t.getTime() / 1000);
    if (second !== prefixSecond) {
      prefixSecond = second;
      prefix = clock(t);
    }
    write(prefix + ' ' + body(e));
  };
  return Object.assign(text, { wants });
}

/** `[12:00:03] …`: the text form of one event at time `now`. */
export function formatText(e: LogEvent, now: Date): string {
  return clock(now) + ' ' + body(e);
}

/**
 * Per-request and heartbeat lines are `info`, so `--quiet` (`warn`) hides them; lifecycle lines
 * (start, role, failure, membership, launch, primary) are `warn`, so it still shows those.
 */
export function levelOf(e: LogEvent): LogLevel {
  switch (e.event) {
    case 'server.heartbeat':
    case 'server.before':
    case 'server.after':
    case 'server.duplicate':
    case 'checkpoint.sent':
    case 'checkpoint.taken':
    case 'lfd.heartbeat':
    case 'client.sent':
    case 'client.received':
    case 'client.duplicate':
      return 'info';
    case 'note':
      return e.level;
    default:
      return 'warn';
  }
}

/** `[HH:MM:SS]`, local time, 24-hour, zero-padded. */
function clock(t: Date): string {
  return '[' + two(t.getHours()) + ':' + two(t.getMinutes()) + ':' + two(t.getSeconds()) + ']';
}

function two(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** The line after the time. The forms marked §5 are fixed: tests grep them. */
function body(e: LogEvent): string {
  switch (e.event) {
    case 'server.started': // §5
      return e.name + ' started on ' + endpoint(e.host, e.port) + ' (peer ' + endpoint(e.peerHost, e.peerPort) + '), pid ' + e.pid;
    case 'server.heartbeat': // §5
      return '[' + e.count + '] ' + e.name + ' receives heartbeat from ' + e.from;
    case 'server.before': // §5
      return 'my_state_' + e.name + ' = ' + e.state + ' before processing ' + request(e.request);
    case 'server.after': // §5
      return 'my_state_' + e.name + ' = ' + e.state + ' after processing ' + request(e.request);
    case 'checkpoint.sent': // §5
      return '[' + e.number + '] [' + e.state + '] ' + e.name + ' sending checkpoint to ' + e.to;
    case 'checkpoint.taken': // §5
      return '[' + e.number + '] [' + e.state + '] ' + e.name + ' receives checkpoint from ' + e.from;
    case 'server.ready': // §5, then the epoch
      return e.name + ' is ready [' + e.mode + '] [' + e.replicaRole + '] (epoch ' + e.epoch + ')';
    case 'server.phase':
      return e.name + ': ' + e.phase + (e.reason === '' ? '' : ' (' + e.reason + ')');
    case 'server.recovered':
      return e.name + ': recovered from ' + e.from + ' (its state after ' + e.applied + ' requests), my_state_' + e.name + ' = ' + e.state;
    case 'server.duplicate':
      return e.name + ': duplicate ' + request(e.request) + ' answered with the saved reply';
    case 'lfd.heartbeat': // §5
      return '[' + e.count + '] ' + e.name + ' sending heartbeat to ' + e.server;
    case 'lfd.failed': // §5
      return e.name + ': ' + e.server + ' failed (' +
        (e.reason === 'connection lost' ? 'connection lost' : 'no heartbeat answer in ' + seconds(e.timeoutS) + ' s') + ')';
    case 'lfd.membership': // §5
      return e.name + ': ' + e.change + ' ' + e.server;
    case 'lfd.launching': // §5
      return e.name + ' launching ' + e.server + ' (pid ' + e.pid + ')';
    case 'lfd.exited':
      return e.name + ': ' + e.server + ' exited (' + e.how + '), pid ' + e.pid;
    case 'members': // §5: always "members", sorted by name
      return e.members.length === 0
        ? e.name + ': 0 members'
        : e.name + ': ' + e.members.length + ' members: ' + [...e.members].sort().join(', ');
    case 'rm.primary': // §5
      return e.name + ': ' + (e.mode === 'active' ? 'sequencer' : 'primary') + ' is ' + e.primary;
    case 'leadership': // SPEC §8: "RM2: standby, leader is RM1"
      if (e.state === 'leading') return e.name + ': leading' + (e.floor === undefined ? '' : ' (epochs above ' + e.floor + ')');
      return e.name + ': ' + (e.reason === undefined ? '' : 'deposed (' + e.reason + '), ') + 'standby, ' +
        (e.leader === null ? 'no leader known' : 'leader is ' + e.leader);
    case 'client.sent': // §5
      return 'Sent ' + request(e.request);
    case 'client.received': // §5 (the reply's result is left out, as in the seed; JSON has it)
      if (e.failed) return 'Received <' + e.request.client + ', ' + e.request.server + ', ' + e.request.num + ', failed>: ' + e.result;
      return 'Received <' + e.request.client + ', ' + e.request.server + ', ' + e.request.num + ', reply>';
    case 'client.duplicate': // §5
      return 'request_num ' + e.num + ': Discarded duplicate reply from ' + e.server + '.';
    case 'client.allDead': // §5
      return e.name + ': all servers are dead';
    case 'link.refused':
      return e.name + ': refused frame from ' + e.peer + ': ' + e.reason;
    case 'link.error':
      return e.name + ': link with ' + e.peer + ': ' + e.message;
    case 'note':
      return e.name + ': ' + e.text;
    default:
      return unreachable(e);
  }
}

function request(r: RequestRef): string {
  return '<' + r.client + ', ' + r.server + ', ' + r.num + ', request>';
}

function endpoint(host: string, port: number): string {
  return host.includes(':') ? '[' + host + ']:' + port : host + ':' + port;
}

/** `3` → `3`, `0.5` → `0.5`: no trailing zeros, no float noise past the millisecond. */
function seconds(s: number): string {
  return String(Math.round(s * 1000) / 1000);
}

function unreachable(e: never): never {
  throw new Error('printer: unknown event ' + JSON.stringify(e));
}
