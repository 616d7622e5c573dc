/**
 * Is a history of the `kv` application (`src/app/kv.ts`) linearizable? Its sequential
 * specification is a map: `get` returns the key's value (`null`: absent), `put` sets it, `del`
 * removes it, `cas` sets it when it holds `expect` and otherwise fails with the current value, and
 * a malformed request changes nothing and is refused. Optionally the map a replica holds after
 * everything ended (`final`) is one more observation: a read of every key after every operation.
 *
 * Locality (Herlihy and Wing): a history is linearizable exactly when each object's sub-history is,
 * and every kv request touches one key, so each key is checked on its own (Porcupine's
 * partitioning): the search (`wgl.ts`) runs over one key's operations with a one-value model, and
 * a history of many keys costs the sum of small searches rather than one over the product.
 *
 * Before any search, what is wrong whatever the order is named directly: a reply the kv app never
 * gives to that request (a `put` refused, a malformed request accepted, a reply that is not kv
 * JSON), and a value read (by `get`, a failed `cas` or the final map) that no operation on that
 * key wrote. That is sound because values only come from writes, and it makes most bad histories'
 * reasons readable.
 */
import { parseKvRequest, type KvRequest } from '../app/kv.js';
import { afterEverything, assertWellFormed, type Operation } from './history.js';
import { DEFAULT_DEADLINE_MS, opName, span, type Verdict } from './verdict.js';
import { search, stringHash, type Model, type SearchOp } from './wgl.js';

export interface KvCheckOptions {
  /** The map after everything ended, as a replica holds it (`kvApp.restore` of its snapshot). */
  final?: ReadonlyMap<string, unknown>;
  /** Give up the search after this long, over all keys (default 10 s). */
  deadlineMs?: number;
}

/** A value as the model holds it: its JSON, `null` for absent (as `sameValue` in kv.ts compares). */
const canon = (v: unknown): string => JSON.stringify(v ?? null);

/** One key's operation, its value already canonical. `read`: the final map's value of the key. */
type Input = { op: 'get' } | { op: 'put'; value: string } | { op: 'del' } | { op: 'cas'; expect: string; value: string } | { op: 'read' };
/** A reply as the model compares it: success, and the value it carries (`get`, failed `cas`). */
type Output = { ok: boolean; value: string | null };

/** The map restricted to one key: its state is the key's value (canonical JSON, `null` absent). */
export const keyModel: Model<string, Input, Output> = {
  init: () => 'null',
  step(state, input, out) {
    switch (input.op) {
      case 'get':
      case 'read':
        return out === undefined || out.value === state ? state : null;
      case 'put':
        return input.value;
      case 'del':
        return 'null';
      case 'cas': {
        const hit = state === input.expect;
        if (out !== undefined && (out.ok !== hit || (!hit && out.value !== state))) return null;
        return hit ? input.value : state;
      }
    }
  },
  hash: stringHash,
  equal: (a, b) => a === b,
};

function inputOf(r: KvRequest): Input {
  switch (r.op) {
    case 'get':
    case 'del':
      return { op: r.op };
    case 'put':
      return { op: 'put', value: canon(r.value) };
    case 'cas':
      return { op: 'cas', expect: canon(r.expect), value: canon(r.value) };
  }
}

/** The reply as the model reads it, or why the kv app never gives it to this request. */
function outputOf(r: KvRequest | string, reply: string): Output | string {
  let o: unknown;
  try {
    o = JSON.parse(reply);
  } catch {
    return 'which is not JSON';
  }
  if (o === null || typeof o !== 'object' || typeof (o as { ok?: unknown }).ok !== 'boolean') return 'which is not a kv reply';
  const { ok, value } = o as { ok: boolean; value?: unknown };
  const has = Object.hasOwn(o, 'value');
  if (typeof r === 'string') return ok ? 'but it is malformed and must be refused' : { ok, value: null };
  if ((r.op === 'put' || r.op === 'del') && !ok) return `but a ${r.op} never fails`;
  if (r.op === 'get' && !(ok && has)) return 'but a get answers ok with a value';
  if (r.op === 'cas' && !ok && !has) return 'but a failed cas carries the current value';
  return { ok, value: has ? canon(value) : null };
}

interface KeyOp {
  op: Operation;
  input: Input;
  output: Output | undefined;
}

export function checkKv(ops: readonly Operation[], options: KvCheckOptions = {}): Verdict {
  const fail = (reason: string): Verdict => ({ ok: false, method: 'search', reason });
  assertWellFormed(ops);
  const byKey = new Map<string, KeyOp[]>();
  for (const o of ops) {
    const request = parseKvRequest(o.value);
    const output = o.reply === null ? undefined : outputOf(request, o.reply);
    if (typeof output === 'string') return fail(`${opName(o)} was answered ${o.reply}, ${output}`);
    // A malformed request changes nothing: no key's history holds it.
    if (typeof request === 'string') continue;
    const list = byKey.get(request.key) ?? [];
    list.push({ op: o, input: inputOf(request), output });
    byKey.set(request.key, list);
  }
  for (const key of options.final?.keys() ?? []) if (!byKey.has(key)) byKey.set(key, []);

  const deadline = performance.now() + (options.deadlineMs ?? DEFAULT_DEADLINE_MS);
  for (const key of [...byKey.keys()].sort()) {
    const v = checkKey(key, byKey.get(key)!, options.final === undefined ? undefined : canon(options.final.get(key)), deadline);
    if (v !== null) return v;
  }
  return { ok: true, method: 'search' };
}

/** One key's sub-history; null when it is linearizable. */
function checkKey(key: string, list: readonly KeyOp[], final: string | undefined, deadline: number): Verdict | null {
  const fail = (reason: string): Verdict => ({ ok: false, method: 'search', reason: `key ${JSON.stringify(key)}: ${reason}` });
  const written = new Set(['null']);
  for (const { input } of list) if (input.op === 'put' || input.op === 'cas') written.add(input.value);
  for (const k of list) {
    if (k.output?.value != null && !written.has(k.output.value)) return fail(`${opName(k.op)} ${span(k.op)} was told it holds ${k.output.value}, which no operation wrote there`);
  }
  if (final !== undefined && !written.has(final)) return fail(`the final map holds ${final}, which no operation wrote there`);

  const input: SearchOp<Input, Output>[] = list.map((k) => ({ input: k.input, output: k.output, call: k.op.invoke, ret: k.op.complete }));
  if (final !== undefined) {
    const after = afterEverything(list.map((k) => k.op));
    input.push({ input: { op: 'read' }, output: { ok: true, value: final }, call: after, ret: after });
  }
  const budget = Math.max(0, deadline - performance.now());
  const r = search(keyModel, input, { deadlineMs: budget });
  if (r.verdict === 'ok') return null;
  if (r.verdict === 'timeout') {
    return { ok: 'unknown', method: 'search', reason: `key ${JSON.stringify(key)}: gave up (${r.longest} of ${input.length} operations linearized at best)` };
  }
  const stuck = r.stuck < list.length ? `${opName(list[r.stuck]!.op)} ${span(list[r.stuck]!.op)} → ${list[r.stuck]!.op.reply ?? 'unknown'}` : `the final map's ${final}`;
  return fail(`no linearization of its ${list.length} operations: at most ${r.longest} of ${input.length} fit in any order; then ${stuck} could not be placed`);
}
