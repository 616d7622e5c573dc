/**
 * A history of client operations on a replicated application, as the linearizability checkers
 * read it: each operation carries the request string the client sent and the reply string it got.
 * What a request and a reply mean is the model's business (`log.ts`'s position, `kv.ts`'s JSON,
 * `register.ts`'s new state); the history only records them.
 *
 * An operation is one logical request: a client's (name, number). The client may send it several
 * times (a passive client resends after a failover; an active client sends it to every replica; a
 * client restarted under the same name sends the same numbers again), and the servers apply it at
 * most once (SPEC §6 Exactly once), so every send of one (name, number) with the same string is
 * the same operation: it is invoked when first sent and completes when the first reply arrives. An
 * operation whose client never heard back (stopped, killed, gave up) has an unknown result: it may
 * have taken effect or not.
 *
 * Times are numbers on one clock shared by every client of the history (the simulator's event
 * order, or a host's monotonic clock in microseconds); larger is later. Equal times count as
 * concurrent, which only ever makes the check more lenient.
 */
import { opName } from './verdict.js';

export interface Operation {
  client: string;
  num: number;
  /** The request string the client sent. */
  value: string;
  /** When the client first sent it. */
  invoke: number;
  /** When the client heard the reply; null: never (the result is unknown). */
  complete: number | null;
  /** The reply string (a frame's RESULT); null when unknown. */
  reply: string | null;
  /**
   * The answer was a `failed` frame (the app's `apply` threw; `reply` is its message), or a `reply`
   * frame (false). Absent: not marked failed (`HistoryRecorder` marks only failures), and only the
   * string is compared (only the app-as-model check, `app-model.ts`, can tell the two apart).
   */
  failed?: boolean;
}

/**
 * One line of a history file (`steadfast client --history FILE`): JSON, one event a line. Files
 * written before replies were recorded as strings carry `position` (a log reply) instead of
 * `reply`; `parseHistory` reads both.
 */
export type HistoryEvent =
  | { type: 'invoke'; client: string; num: number; value: string; t: number }
  | { type: 'complete'; client: string; num: number; reply: string; t: number; failed?: true };

/** Bad input is the caller's error, not a verdict: every checker refuses it alike, with one clear error. */
export function assertWellFormed(ops: readonly Operation[]): void {
  for (const o of ops) {
    if ((o.reply === null) !== (o.complete === null)) throw new Error(`${opName(o)}: a reply needs a completion and the other way round`);
    if (o.complete !== null && o.complete < o.invoke) throw new Error(`${opName(o)}: completes before it is invoked`);
  }
}

/**
 * A time after every operation completed and every unknown one was invoked: when a final state is
 * observed, so that the operations that completed stand before it and unknown ones may come after.
 */
export const afterEverything = (ops: readonly { invoke: number; complete: number | null }[]): number => Math.max(0, ...ops.map((o) => o.complete ?? o.invoke)) + 1;

/** Builds operations from invoke and complete events, merging the sends of one request. */
export class HistoryRecorder {
  readonly operations: Operation[] = [];
  private readonly open = new Map<string, Operation>();

  invoked(client: string, num: number, value: string, t: number): void {
    const key = `${client}\u0000${num}`;
    const known = this.open.get(key);
    // A resend, or a restarted client's same request: the first send stands.
    if (known && known.value === value) return;
    const op: Operation = { client, num, value, invoke: t, complete: null, reply: null };
    this.operations.push(op);
    this.open.set(key, op);
  }

  /** `failed`: the answer was a `failed` frame (the app's `apply` threw), `reply` its message. */
  completed(client: string, num: number, reply: string, t: number, failed = false): void {
    const op = this.open.get(`${client}\u0000${num}`);
    if (!op) throw new Error(`${client} heard reply ${num} of a request it never sent`);
    // Marked only when it failed, so histories of apps that never fail read as they always did.
    const mark = failed ? { failed: true } : {};
    if (op.complete === null) {
      Object.assign(op, { complete: t, reply, ...mark });
    } else if (op.reply !== reply || (op.failed === true) !== failed) {
      // One request told two answers: kept as a second operation, so the checker sees both.
      const { failed: _, ...rest } = op;
      this.operations.push({ ...rest, complete: t, reply, ...mark });
    }
  }

  take(e: HistoryEvent): void {
    if (e.type === 'invoke') this.invoked(e.client, e.num, e.value, e.t);
    else this.completed(e.client, e.num, e.reply, e.t, e.failed === true);
  }
}

/** One event as a history file line. */
export function historyLine(e: HistoryEvent): string {
  return JSON.stringify(e);
}

/** Reads history file text (JSON lines); throws one clear line naming the bad line. */
export function parseHistory(text: string, source = 'history'): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    // A client killed mid-write leaves a torn last line: nothing after it was written either.
    if (i === lines.length - 1 && !raw.endsWith('}')) break;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      throw new Error(`${source}:${i + 1}: not JSON`);
    }
    const why = badEvent(e);
    if (why) throw new Error(`${source}:${i + 1}: ${why}`);
    const o = e as Record<string, unknown>;
    if (o.type === 'complete' && typeof o.reply !== 'string') {
      events.push({ type: 'complete', client: o.client as string, num: o.num as number, reply: String(o.position), t: o.t as number });
    } else events.push(e as HistoryEvent);
  }
  return events;
}

function badEvent(e: unknown): string | null {
  if (typeof e !== 'object' || e === null) return 'not an object';
  const o = e as Record<string, unknown>;
  if (typeof o.client !== 'string') return 'no client';
  if (typeof o.num !== 'number' || !Number.isInteger(o.num) || o.num < 1) return 'no request number';
  if (typeof o.t !== 'number' || !Number.isFinite(o.t)) return 'no time';
  if (o.type === 'invoke') return typeof o.value === 'string' ? null : 'invoke without a value';
  if (o.type === 'complete') {
    if (o.failed !== undefined && o.failed !== true) return 'failed is true or absent';
    if (typeof o.reply === 'string') return null;
    // The older form: a log position.
    return typeof o.position === 'number' && Number.isInteger(o.position) && o.position >= 1 ? null : 'complete without a reply';
  }
  return `unknown type ${JSON.stringify(o.type)}`;
}

/** The operations of several clients' event lists (each list in its own order). */
export function operationsOf(...lists: HistoryEvent[][]): Operation[] {
  const r = new HistoryRecorder();
  for (const list of lists) for (const e of list) r.take(e);
  return r.operations;
}
