/**
 * Is a history of appends to the `log` application linearizable? The sequential specification is
 * a list: `append(x)` adds x at the end and returns its 1-based position. An operation with an
 * unknown result may have taken effect (anywhere after its invoke) or not. Optionally, the log as
 * it stood after every operation ended (`final`, read from a replica after quiescence) is one more
 * observation: a read that follows everything.
 *
 * Two checkers that must agree:
 *
 * - `direct` (used by default) works from domain knowledge. A position fixes where its operation
 *   stands in any linearization, so the known results fix one order and only the unknown ones are
 *   free. With a final log (every value in it unique) every operation that took effect has a fixed
 *   place, and the history is linearizable exactly when that order respects real time: nobody
 *   placed later completed before somebody placed earlier was invoked. Without one, the known
 *   operations' order must respect real time, and the positions nobody was told (the gaps below the
 *   highest told) must be filled by distinct unknown operations, each at a place where it may
 *   stand: an unknown operation never completed, so it may stand anywhere from where no known
 *   operation placed after it completed before its invoke — an upward-closed set of places, so
 *   filling the gaps in increasing order with any candidate is as good as any other choice.
 *   O(n log n).
 * - `search`: the general Wing–Gong–Lowe search (`wgl.ts`) over the list model, with one pruning
 *   that is sound for this model: position p is taken by the operation told p, so no other
 *   operation may be linearized p-th.
 *
 * `checkLog` runs `direct` where it applies (with a final log only when its values are unique) and
 * the search otherwise.
 */
import { afterEverything, type Operation } from './history.js';
import { DEFAULT_DEADLINE_MS, opName, span, type Verdict } from './verdict.js';
import { search, stringHash, type Model, type SearchOp } from './wgl.js';

export type { Verdict } from './verdict.js';

/**
 * A log operation: an append whose reply, when known, is the new entry's position. The history
 * records replies as strings (`history.ts`); `logOperations` reads them as positions.
 */
export interface LogOperation {
  client: string;
  num: number;
  /** The string appended. */
  value: string;
  invoke: number;
  complete: number | null;
  /** The position the reply named (1-based); null when unknown. */
  position: number | null;
}

/** A history's operations read as appends: each known reply is a position (`Number(reply)`). */
export function logOperations(ops: readonly Operation[]): LogOperation[] {
  return ops.map(({ reply, ...o }) => ({ ...o, position: reply === null ? null : Number(reply) }));
}

export interface CheckOptions {
  /** The log after everything ended, as a replica holds it. */
  final?: readonly string[];
  /** Force one checker (default: `direct` where it applies). */
  method?: 'direct' | 'search';
  /** Give up the search after this long (default 10 s). */
  deadlineMs?: number;
}

/** Basic sanity, the same for both checkers: bad input is the caller's error, not a verdict. */
function validate(ops: readonly LogOperation[]): void {
  for (const o of ops) {
    if (o.position !== null && (!Number.isInteger(o.position) || o.position < 1)) throw new Error(`${opName(o)}: bad position ${o.position}`);
    if ((o.position === null) !== (o.complete === null)) throw new Error(`${opName(o)}: a position needs a completion and the other way round`);
    if (o.complete !== null && o.complete < o.invoke) throw new Error(`${opName(o)}: completes before it is invoked`);
  }
}

export function checkLog(ops: readonly LogOperation[], options: CheckOptions = {}): Verdict {
  validate(ops);
  const direct = options.method !== 'search' && (options.final === undefined || uniqueValues(ops, options.final));
  if (options.method === 'direct' && !direct) throw new Error('the direct check needs unique values in the final log and among the operations');
  return direct ? checkDirect(ops, options.final) : checkSearch(ops, options);
}

function uniqueValues(ops: readonly LogOperation[], final: readonly string[]): boolean {
  if (new Set(final).size !== final.length) return false;
  return new Set(ops.map((o) => o.value)).size === ops.length;
}

// -------------------------------------------------------------------------------------------------
// Direct

function checkDirect(ops: readonly LogOperation[], final: readonly string[] | undefined): Verdict {
  const fail = (reason: string): Verdict => ({ ok: false, method: 'direct', reason });
  // Known positions are distinct.
  const byPosition = new Map<number, LogOperation>();
  for (const o of ops) {
    if (o.position === null) continue;
    const other = byPosition.get(o.position);
    if (other) return fail(`position ${o.position} was told to both ${opName(other)} and ${opName(o)}`);
    byPosition.set(o.position, o);
  }

  if (final !== undefined) {
    const byValue = new Map(ops.map((o) => [o.value, o]));
    const placed: LogOperation[] = [];
    for (const [i, v] of final.entries()) {
      const o = byValue.get(v);
      if (!o) return fail(`entry ${i + 1} of the final log (${v}) was appended by no operation`);
      if (o.position !== null && o.position !== i + 1) return fail(`${opName(o)} was told position ${o.position} but is entry ${i + 1} of the final log`);
      placed.push(o);
    }
    for (const o of ops) {
      if (o.position !== null && final[o.position - 1] !== o.value) {
        return fail(`${opName(o)} was told position ${o.position} but is not in the final log${final.length < o.position ? ` (${final.length} entries)` : ''}`);
      }
    }
    const inversion = realTimeInversion(placed);
    return inversion ? fail(inversion) : { ok: true, method: 'direct' };
  }

  const known = [...byPosition.entries()].sort((a, b) => a[0] - b[0]).map(([, o]) => o);
  const inversion = realTimeInversion(known);
  if (inversion) return fail(inversion);
  // minAfter[k]: the earliest completion among known operations from the k-th (by position) on.
  const minAfter = new Array<number>(known.length + 1).fill(Infinity);
  for (let k = known.length - 1; k >= 0; k--) minAfter[k] = Math.min(minAfter[k + 1]!, known[k]!.complete!);
  const unknown = ops.filter((o) => o.position === null).sort((a, b) => a.invoke - b.invoke);
  let candidates = 0;
  let filled = 0;
  let u = 0;
  let k = 0;
  const top = known.length === 0 ? 0 : known[known.length - 1]!.position!;
  for (let p = 1; p <= top; p++) {
    if (byPosition.has(p)) {
      k += 1;
      continue;
    }
    // Position p lies before the k-th known operation: an unknown operation may take it if it
    // was invoked no later than every later known operation completed.
    while (u < unknown.length && unknown[u]!.invoke <= minAfter[k]!) {
      candidates += 1;
      u += 1;
    }
    if (candidates === filled) {
      const next = known[k]!;
      return fail(
        `nobody was told position ${p}, and no operation with an unknown result can have taken it: ` +
          `${filled} of ${unknown.length} could stand there and are needed for lower positions, ` +
          `and ${opName(next)} (told ${next.position}) completed at ${next.complete}`,
      );
    }
    filled += 1;
  }
  return { ok: true, method: 'direct' };
}

/** Operations in their order: someone placed later who completed before someone placed earlier was invoked. */
function realTimeInversion(order: readonly LogOperation[]): string | null {
  let minComplete = Infinity;
  let who: LogOperation | null = null;
  for (let i = order.length - 1; i >= 0; i--) {
    const o = order[i]!;
    if (who !== null && minComplete < o.invoke) {
      return (
        `${opName(who)} ${span(who)} completed before ${opName(o)} ${span(o)} was invoked, ` +
        `yet stands after it (${describePlace(who, order)} vs ${describePlace(o, order)})`
      );
    }
    if (o.complete !== null && o.complete < minComplete) {
      minComplete = o.complete;
      who = o;
    }
  }
  return null;
}

function describePlace(o: LogOperation, order: readonly LogOperation[]): string {
  return o.position !== null ? `position ${o.position}` : `entry ${order.indexOf(o) + 1}`;
}

// -------------------------------------------------------------------------------------------------
// Search

type LogInput = { kind: 'append'; value: string } | { kind: 'read' };
type LogOutput = number | readonly string[];

/** A list as a persistent stack (newest first), so a step shares what came before. */
interface LogState {
  length: number;
  /** The final read is linearized: appends from here on come after it. */
  closed: boolean;
  hash: number;
  last: string | null;
  before: LogState | null;
}

function entries(s: LogState): string[] {
  const out: string[] = [];
  for (let at: LogState | null = s; at !== null && at.last !== null; at = at.before) out.push(at.last);
  return out.reverse();
}

/**
 * The list model, with two prunings that are sound because entries never change once appended:
 * position p is taken by the operation told p (`taken`), and with a final log an append standing
 * at p before the final read must append that log's entry p, and none may stand beyond its end.
 */
export function logModel(taken: ReadonlySet<number>, final?: readonly string[]): Model<LogState, LogInput, LogOutput> {
  const empty: LogState = { length: 0, closed: false, hash: 0, last: null, before: null };
  return {
    init: () => empty,
    step(s, input, output) {
      if (input.kind === 'read') {
        const want = output as readonly string[];
        if (want.length !== s.length) return null;
        const have = entries(s);
        return have.every((v, i) => v === want[i]) ? { ...s, closed: true } : null;
      }
      const p = s.length + 1;
      if (output === undefined ? taken.has(p) : output !== p) return null;
      if (final !== undefined && !s.closed && (p > final.length || final[p - 1] !== input.value)) return null;
      return { length: p, closed: s.closed, hash: (Math.imul(s.hash, 31) + stringHash(input.value)) >>> 0, last: input.value, before: s };
    },
    hash: (s) => s.hash ^ s.length ^ (s.closed ? 0x40000000 : 0),
    equal(a, b) {
      if (a.closed !== b.closed) return false;
      for (let x: LogState | null = a, y: LogState | null = b; x !== y; x = x!.before, y = y!.before) {
        if (x === null || y === null || x.length !== y.length || x.last !== y.last) return false;
      }
      return true;
    },
  };
}

function checkSearch(ops: readonly LogOperation[], options: CheckOptions): Verdict {
  const taken = new Set<number>();
  const input: SearchOp<LogInput, LogOutput>[] = ops.map((o) => {
    if (o.position !== null) taken.add(o.position);
    return { input: { kind: 'append', value: o.value }, output: o.position ?? undefined, call: o.invoke, ret: o.complete };
  });
  if (options.final !== undefined) {
    const after = afterEverything(ops);
    input.push({ input: { kind: 'read' }, output: options.final, call: after, ret: after });
  }
  const r = search(logModel(taken, options.final), input, { deadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS });
  if (r.verdict === 'ok') return { ok: true, method: 'search' };
  if (r.verdict === 'timeout') return { ok: 'unknown', method: 'search', reason: `gave up after ${options.deadlineMs ?? DEFAULT_DEADLINE_MS} ms (${r.longest} of ${input.length} linearized at best)` };
  const stuck = r.stuck < ops.length ? opName(ops[r.stuck]!) : 'the final log';
  return { ok: false, method: 'search', reason: `no linearization: at most ${r.longest} of ${input.length} operations fit in any order; then ${stuck} could not be placed` };
}
