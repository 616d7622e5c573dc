/**
 * Is a history of the `status` application linearizable? Its sequential specification is a
 * register: every request writes its string, and the reply is the new state, that same string.
 * Optionally the state a replica holds after everything ended (`final`) is one more observation: a
 * read that follows every operation. The initial state is the empty string.
 *
 * Such a history says little: every known reply must be its own request, and the final state must
 * be one that some write could have left last. Which writes took effect, and in which order, is
 * otherwise invisible (a lost answered write is seen only when a write that came before it in real
 * time is the final state), which is why `steadfast chaos` runs `log` or `kv`, not `status`.
 *
 * Two checkers that must agree (the tests compare them):
 *
 * - `direct` (the default): the final state v must be written by some W that may stand last: W's
 *   result is unknown (it may stand anywhere after its invoke), or no completed operation was
 *   invoked after W completed (each of them can then stand before W). With no completed operation
 *   at all, the initial '' may also stay. O(n).
 * - `search`: the Wing–Gong–Lowe search (`wgl.ts`) over the register model.
 */
import { afterEverything, assertWellFormed, type Operation } from './history.js';
import { DEFAULT_DEADLINE_MS, opName, span, type Verdict } from './verdict.js';
import { search, stringHash, type Model, type SearchOp } from './wgl.js';

export interface RegisterOptions {
  /** The state after everything ended, as a replica holds it. */
  final?: string;
  method?: 'direct' | 'search';
  deadlineMs?: number;
}

type Input = { kind: 'write'; value: string } | { kind: 'read' };

/** The register: a write's result is what it wrote; a read's is the state. */
export const registerModel: Model<string, Input, string> = {
  init: () => '',
  step: (state, input, output) => {
    if (input.kind === 'read') return output === state ? state : null;
    return output === undefined || output === input.value ? input.value : null;
  },
  hash: stringHash,
  equal: (a, b) => a === b,
};

export function checkRegister(ops: readonly Operation[], options: RegisterOptions = {}): Verdict {
  const method = options.method ?? 'direct';
  assertWellFormed(ops);
  // Bad on its own, whatever the order: a write answered with anything but what it wrote.
  const wrong = ops.find((o) => o.reply !== null && o.reply !== o.value);
  if (wrong) return { ok: false, method, reason: `${opName(wrong)} wrote ${JSON.stringify(wrong.value)} but was told the state is ${JSON.stringify(wrong.reply)}` };
  return method === 'direct' ? direct(ops, options.final) : searched(ops, options);
}

function direct(ops: readonly Operation[], final: string | undefined): Verdict {
  if (final === undefined) return { ok: true, method: 'direct' };
  const completed = ops.filter((o) => o.complete !== null);
  if (final === '' && completed.length === 0) return { ok: true, method: 'direct' };
  const writers = ops.filter((o) => o.value === final);
  if (writers.length === 0) return { ok: false, method: 'direct', reason: `the final state ${JSON.stringify(final)} was written by no operation` };
  // The latest invoke among completed operations: a writer that completed before it cannot stand last.
  const latest = completed.reduce<Operation | null>((a, o) => (a === null || o.invoke > a.invoke ? o : a), null);
  if (writers.some((w) => w.complete === null || latest === null || latest.invoke <= w.complete)) return { ok: true, method: 'direct' };
  const w = writers.reduce((a, o) => (o.complete! > a.complete! ? o : a));
  return {
    ok: false,
    method: 'direct',
    reason: `the final state ${JSON.stringify(final)} was last written by ${opName(w)} ${span(w)}, but ${opName(latest!)} ${span(latest!)} was invoked after that and completed`,
  };
}

function searched(ops: readonly Operation[], options: RegisterOptions): Verdict {
  const input: SearchOp<Input, string>[] = ops.map((o) => ({ input: { kind: 'write', value: o.value }, output: o.reply ?? undefined, call: o.invoke, ret: o.complete }));
  if (options.final !== undefined) {
    const after = afterEverything(ops);
    input.push({ input: { kind: 'read' }, output: options.final, call: after, ret: after });
  }
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const r = search(registerModel, input, { deadlineMs });
  if (r.verdict === 'ok') return { ok: true, method: 'search' };
  if (r.verdict === 'timeout') return { ok: 'unknown', method: 'search', reason: `gave up after ${deadlineMs} ms (${r.longest} of ${input.length} linearized at best)` };
  const stuck = r.stuck < ops.length ? opName(ops[r.stuck]!) : `the final state ${JSON.stringify(options.final)}`;
  return { ok: false, method: 'search', reason: `no linearization: at most ${r.longest} of ${input.length} operations fit in any order; then ${stuck} could not be placed` };
}
