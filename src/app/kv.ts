/**
 * `app = kv`: a key-value map. Requests and replies are JSON:
 *
 * - `{"op":"get","key":K}` → `{"ok":true,"value":V}` (`null` when K is absent)
 * - `{"op":"put","key":K,"value":V}` → `{"ok":true}`
 * - `{"op":"del","key":K}` → `{"ok":true}`
 * - `{"op":"cas","key":K,"expect":E,"value":V}` → `{"ok":true}` when K holds E (`null`: absent),
 *   else `{"ok":false,"error":"…","value":CURRENT}` and nothing changes
 * - anything else → `{"ok":false,"error":"…"}`
 *
 * Keys are strings; values any JSON value (`null` means absent, so `put` of `null` deletes). Reads
 * go through the replicated stream like writes, so they are linearizable.
 */
import { defineApp } from './app.js';

export type KvState = Map<string, unknown>;

export type KvRequest =
  | { op: 'get'; key: string }
  | { op: 'put'; key: string; value: unknown }
  | { op: 'del'; key: string }
  | { op: 'cas'; key: string; expect: unknown; value: unknown };

export type KvReply = { ok: true; value?: unknown } | { ok: false; error: string; value?: unknown };

const OPS = ['get', 'put', 'del', 'cas'];

/** The request, or what is wrong with it. */
export function parseKvRequest(text: string): KvRequest | string {
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch {
    return 'request is not JSON';
  }
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return 'request is not a JSON object';
  const o = r as Record<string, unknown>;
  if (typeof o.op !== 'string' || !OPS.includes(o.op)) return `op must be one of ${OPS.join(', ')}`;
  if (typeof o.key !== 'string') return 'key must be a string';
  if ((o.op === 'put' || o.op === 'cas') && !('value' in o)) return `${o.op} needs a value`;
  if (o.op === 'cas' && !('expect' in o)) return 'cas needs expect';
  return o as KvRequest;
}

/** Values compare as JSON, so `{"a":1}` equals another `{"a":1}`. */
export const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function set(state: KvState, key: string, value: unknown): void {
  if (value === null || value === undefined) state.delete(key);
  else state.set(key, value);
}

export function applyKv(state: KvState, request: KvRequest): KvReply {
  const current = state.get(request.key) ?? null;
  switch (request.op) {
    case 'get':
      return { ok: true, value: current };
    case 'put':
      set(state, request.key, request.value);
      return { ok: true };
    case 'del':
      state.delete(request.key);
      return { ok: true };
    case 'cas':
      if (!sameValue(current, request.expect)) return { ok: false, error: 'expect does not match', value: current };
      set(state, request.key, request.value);
      return { ok: true };
  }
}

/** What a key's entry adds to the snapshot: `["key",value]` and a separator. */
function entryChars(state: KvState, key: string): number {
  return state.has(key) ? JSON.stringify(key).length + JSON.stringify(state.get(key)).length + 4 : 0;
}

/** Each map's entries' characters, counted in full once, then kept up to date by `applyCounted`. */
const sizes = new WeakMap<KvState, number>();

/** `applyKv`, keeping the map's counted size up to date (a read changes nothing). */
function applyCounted(state: KvState, request: KvRequest): KvReply {
  const counted = request.op !== 'get' ? sizes.get(state) : undefined;
  if (counted === undefined) return applyKv(state, request);
  const before = entryChars(state, request.key);
  const reply = applyKv(state, request);
  sizes.set(state, counted - before + entryChars(state, request.key));
  return reply;
}

/** The snapshot's length: `[]`, or the entries between brackets, one separator fewer than entries. */
function sizeOf(state: KvState): number {
  let chars = sizes.get(state);
  if (chars === undefined) {
    chars = 0;
    for (const key of state.keys()) chars += entryChars(state, key);
    sizes.set(state, chars);
  }
  return state.size === 0 ? 2 : chars + 1;
}

export const kvApp = defineApp<KvState>({
  name: 'kv',
  initial: () => new Map(),
  apply: (state, text) => {
    const request = parseKvRequest(text);
    const reply: KvReply = typeof request === 'string' ? { ok: false, error: request } : applyCounted(state, request);
    return { state, reply: JSON.stringify(reply) };
  },
  // Sorted, so that replicas holding the same map print the same snapshot whatever order they built it in.
  snapshot: (state) => JSON.stringify([...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  restore: (text) => {
    const entries: unknown = JSON.parse(text);
    if (!Array.isArray(entries) || !entries.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string')) {
      throw new Error('kv snapshot: not a list of [key, value] pairs');
    }
    return new Map(entries as [string, unknown][]);
  },
  show: (state) => `${state.size} keys`,
  size: sizeOf,
});
