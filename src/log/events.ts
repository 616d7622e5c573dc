/**
 * Everything a role prints, as data. The printer (`printer.ts`) owns how each event looks, in text
 * (SPEC §5's fixed forms) and JSON. Machines only ever hand one of these to their `print` function.
 */
import type { Mode, ReplicaRole } from '../protocol/frames.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** A frame reference in a line: `<C1, S1, 4, request>` (the request's string left out, as in the seed). */
export interface RequestRef {
  client: string;
  server: string;
  num: number;
}

export type LogEvent =
  // server
  | { event: 'server.started'; name: string; host: string; port: number; peerHost: string; peerPort: number; pid: number }
  | { event: 'server.heartbeat'; name: string; from: string; count: number }
  /** `my_state_S1 = X before processing <C1, S1, 4, request>`; `state` is already shown (string or entry count). */
  | { event: 'server.before'; name: string; state: string; request: RequestRef }
  | { event: 'server.after'; name: string; state: string; request: RequestRef }
  | { event: 'checkpoint.sent'; name: string; to: string; number: number; state: string }
  | { event: 'checkpoint.taken'; name: string; from: string; number: number; state: string }
  | { event: 'server.ready'; name: string; mode: Mode; replicaRole: ReplicaRole; epoch: number }
  | { event: 'server.phase'; name: string; phase: string; reason: string }
  /** `applied`: how many requests the snapshot's sender had applied when it took it. */
  | { event: 'server.recovered'; name: string; from: string; applied: number; state: string }
  | { event: 'server.duplicate'; name: string; request: RequestRef }
  // LFD
  | { event: 'lfd.heartbeat'; name: string; server: string; count: number }
  | { event: 'lfd.failed'; name: string; server: string; reason: 'connection lost' | 'no heartbeat answer'; timeoutS: number }
  | { event: 'lfd.membership'; name: string; server: string; change: 'add' | 'delete' }
  | { event: 'lfd.launching'; name: string; server: string; pid: number }
  | { event: 'lfd.exited'; name: string; server: string; pid: number; how: string }
  // GFD and RM
  | { event: 'members'; name: string; members: string[] }
  | { event: 'rm.primary'; name: string; mode: Mode; primary: string; epoch: number }
  /**
   * With `coordinator = etcd`: this RM or GFD now leads (an RM's epochs start above `floor`), or stands
   * by (`leader`: who leads, null while nobody is known; `reason`: why it no longer leads).
   */
  | { event: 'leadership'; name: string; state: 'leading'; floor?: number }
  | { event: 'leadership'; name: string; state: 'standby'; leader: string | null; reason?: string }
  // client
  /** `body`: the request's string (JSON lines and history files show it; the text line leaves it out). */
  | { event: 'client.sent'; name: string; request: RequestRef; body?: string }
  /** `failed`: the application's `apply` threw; `result` is its message. */
  | { event: 'client.received'; name: string; request: RequestRef; result: string; failed?: boolean }
  | { event: 'client.duplicate'; name: string; num: number; server: string }
  | { event: 'client.allDead'; name: string }
  // any role
  | { event: 'link.refused'; name: string; peer: string; reason: string }
  | { event: 'link.error'; name: string; peer: string; message: string }
  | { event: 'note'; name: string; level: LogLevel; text: string };

export type LogEventName = LogEvent['event'];

/**
 * The one door through which machines print. `wants`, when a printer has it, says whether a line
 * would be printed at all, so that a machine need not even schedule the ones its level drops.
 */
export type Print = ((event: LogEvent) => void) & { wants?: (event: LogEvent) => boolean };
