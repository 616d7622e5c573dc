/**
 * Is a history of any application linearizable, with the application itself as the model? A
 * deterministic app is its own sequential specification: the history is linearizable when some
 * order of its operations that respects real time, replayed through the app's `apply` from its
 * `initial` state, gives every completed operation the answer its client got (the same reply
 * string, and a `failed` answer where `apply` threw: `applyRequest`). An operation with an unknown
 * result may have taken effect (anywhere after its invoke) or not. Optionally the state a replica
 * holds after everything ended (its snapshot) is one more observation: the order must end there.
 *
 * The search is Wing–Gong–Lowe's (`wgl.ts`) with no pruning of its own: it knows nothing of the
 * app, so it costs more than the hand-written models (`linearizability.ts`, `kv.ts`,
 * `register.ts`), which is why those stay the checks of the built-in apps, held to agree with this
 * one by the tests. Above all, an operation with an unknown result stays a candidate from its
 * invoke to the end, and where the app's operations do not commute (every order of appends is a
 * different log) the search may try every order of the pending unknown ones: it grows with their
 * factorial. Unknown operations are tried last at each level (`unknownLast` in `wgl.ts`): placed
 * only where a known result needs them. A 300-operation log history decides in tens of
 * milliseconds with 2 unknown results, and may give up at the deadline (`unknown`, never a guess)
 * with 15; a
 * 300-operation kv history with 47 decides in a fraction of a second, its reads and its operations
 * on different keys commuting (equal snapshots: one state in the cache).
 *
 * The search holds a state as the app's snapshot, and compares and caches states by it: states
 * whose snapshots are equal are the same state. That is what a replica's recovery assumes too
 * (`restore(snapshot(s))` behaves like `s`); an app that breaks it is wrong for replication
 * whatever this check says.
 */
import { applyRequest, type App } from '../app/app.js';
import { afterEverything, assertWellFormed, type Operation } from './history.js';
import { DEFAULT_DEADLINE_MS, opName, span, type Verdict } from './verdict.js';
import { search, stringHash, type Model, type SearchOp } from './wgl.js';

export interface HistoryCheckOptions {
  /** The application's state after everything ended, as its snapshot. */
  finalSnapshot?: string;
  deadlineMs?: number;
}

/** A state as the search holds it. `closed`: the final state was observed; what follows never took effect. */
interface AppModelState {
  snapshot: string;
  hash: number;
  closed: boolean;
}

/** A request's body, or the observation of the final state (its snapshot) after every operation. */
type Input = { kind: 'request'; body: string } | { kind: 'final'; snapshot: string };
/** An answer as a client got it; `failed` undefined: the history does not say which frame it was. */
type Answer = { reply: string; failed: boolean | undefined };

const stateOf = (snapshot: string, closed: boolean): AppModelState => ({ snapshot, hash: stringHash(snapshot) ^ (closed ? 0x40000000 : 0), closed });

export function appModel<S>(app: App<S>): Model<AppModelState, Input, Answer> {
  return {
    init: () => stateOf(app.snapshot(app.initial()), false),
    step(s, input, answer) {
      // Only unknown operations stand after the final observation (it follows every completion).
      if (s.closed) return answer === undefined ? s : null;
      if (input.kind === 'final') return input.snapshot === s.snapshot ? stateOf(s.snapshot, true) : null;
      // `apply` may change its state in place, and the search steps one state many times: each step
      // starts from a copy restored from the snapshot.
      const outcome = applyRequest(app, app.restore(s.snapshot), input.body);
      if (answer !== undefined && (answer.reply !== outcome.reply || (answer.failed !== undefined && answer.failed !== outcome.failed))) return null;
      return stateOf(app.snapshot(outcome.state), false);
    },
    hash: (s) => s.hash,
    equal: (a, b) => a.closed === b.closed && a.snapshot === b.snapshot,
  };
}

/** `C1:4 (x) [20, 30] → 3`, `→ failed: MESSAGE`, or `→ unknown`. */
function told(o: Operation): string {
  const answer = o.reply === null ? 'unknown' : o.failed ? `failed: ${o.reply}` : o.reply;
  return `${opName(o)} ${span(o)} → ${answer}`;
}

export function checkWithApp<S>(app: App<S>, ops: readonly Operation[], options: HistoryCheckOptions = {}): Verdict {
  assertWellFormed(ops);
  const input: SearchOp<Input, Answer>[] = ops.map((o) => ({
    input: { kind: 'request', body: o.value },
    output: o.reply === null ? undefined : { reply: o.reply, failed: o.failed },
    call: o.invoke,
    ret: o.complete,
  }));
  const { finalSnapshot } = options;
  if (finalSnapshot !== undefined) {
    const after = afterEverything(ops);
    input.push({ input: { kind: 'final', snapshot: finalSnapshot }, output: undefined, call: after, ret: after });
  }
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const r = search(appModel(app), input, { deadlineMs, unknownLast: true });
  if (r.verdict === 'ok') return { ok: true, method: 'search' };
  if (r.verdict === 'timeout') return { ok: 'unknown', method: 'search', reason: `gave up after ${deadlineMs} ms (${r.longest} of ${input.length} linearized at best through ${app.name}'s apply)` };
  const stuck = r.stuck < ops.length ? told(ops[r.stuck]!) : `the final state ${JSON.stringify(finalSnapshot)}`;
  return {
    ok: false,
    method: 'search',
    reason: `no linearization through ${app.name}'s apply: at most ${r.longest} of ${input.length} operations fit in any order; then ${stuck} could not be placed`,
  };
}
