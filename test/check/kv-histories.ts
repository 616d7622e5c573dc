/**
 * kv histories for the checkers' tests: a real sequential execution of the kv app, with the
 * requests the chaos and simulator clients send (`KvWorkload`), seen through overlapping client
 * intervals (valid by construction), and a way to break one; and tiny random histories, often
 * wrong, for comparisons with brute force and between checkers.
 */
import { applyKv, kvApp, type KvRequest, type KvState } from '../../src/app/kv.js';
import type { Operation } from '../../src/check/history.js';
import { KvWorkload } from '../../src/check/kv-workload.js';
import { mulberry32 as rng } from '../../src/random.js';

export interface KvShape {
  ops: number;
  clients: number;
  keys: number;
  /** Share of operations whose client never heard back; of those, the share that never took effect. */
  unknown: number;
  never: number;
}

/**
 * Each client runs its operations one after another with random gaps; each takes effect at a
 * random point inside its interval, in the order of those points through the kv app itself. (A
 * request's string is drawn when it takes effect: a history only holds strings, whenever chosen.)
 */
export function buildKv(r: () => number, shape: KvShape): { ops: Operation[]; final: KvState } {
  const clock = Array.from({ length: shape.clients }, () => Math.floor(r() * 10));
  const nums = new Array<number>(shape.clients).fill(0);
  const workloads = Array.from({ length: shape.clients }, (_, c) => new KvWorkload(r, `c${c + 1}-`, shape.keys));
  const all: { op: Operation; c: number; point: number; effect: boolean }[] = [];
  for (let i = 0; i < shape.ops; i++) {
    const c = Math.floor(r() * shape.clients);
    const invoke = clock[c]! + Math.floor(r() * 5);
    const complete = invoke + 1 + Math.floor(r() * 40);
    clock[c] = complete + 1;
    nums[c]! += 1;
    const unknown = r() < shape.unknown;
    const op: Operation = { client: `C${c + 1}`, num: nums[c]!, value: '', invoke, complete: unknown ? null : complete, reply: null };
    all.push({ op, c, point: invoke + r() * (complete - invoke), effect: !unknown || r() >= shape.never });
  }
  let state = kvApp.initial();
  for (const a of [...all].sort((x, y) => x.point - y.point)) {
    a.op.value = workloads[a.c]!.next();
    if (!a.effect) continue;
    const applied = kvApp.apply(state, a.op.value);
    state = applied.state;
    if (a.op.complete !== null) {
      a.op.reply = applied.reply;
      workloads[a.c]!.observe(a.op.value, applied.reply);
    }
  }
  return { ops: all.map((a) => a.op), final: state };
}

/**
 * A get that completed made to read a value first written after it completed (values are unique,
 * so no order explains it); null when the history has no such pair.
 */
export function readFromTheFuture(ops: Operation[]): Operation | null {
  const parsed = ops.map((o) => JSON.parse(o.value) as { op: string; key: string; value?: unknown });
  for (const [i, g] of ops.entries()) {
    if (parsed[i]!.op !== 'get' || g.complete === null) continue;
    const j = ops.findIndex((w, k) => (parsed[k]!.op === 'put' || parsed[k]!.op === 'cas') && parsed[k]!.key === parsed[i]!.key && w.invoke > g.complete!);
    if (j < 0) continue;
    g.reply = JSON.stringify({ ok: true, value: parsed[j]!.value });
    return g;
  }
  return null;
}

export const get = (key: string): KvRequest => ({ op: 'get', key });
export const put = (key: string, value: unknown): KvRequest => ({ op: 'put', key, value });
export const del = (key: string): KvRequest => ({ op: 'del', key });
export const cas = (key: string, expect: unknown, value: unknown): KvRequest => ({ op: 'cas', key, expect, value });

/** An operation sending `request` (a string as it is, else its JSON), answered `reply` (the same) unless unknown. */
export function kvOp(client: string, num: number, request: KvRequest | string, invoke: number, complete: number | null, reply: unknown = null): Operation {
  return {
    client,
    num,
    value: typeof request === 'string' ? request : JSON.stringify(request),
    invoke,
    complete,
    reply: complete === null ? null : typeof reply === 'string' ? reply : JSON.stringify(reply),
  };
}

const KEYS = ['a', 'b'];
const VALUES = [null, 'x', 'y'];

/** Up to 7 operations on two keys with a few values, each answered as the app would in a random state (so often wrongly), some unknown; maybe a final map. */
export function tinyKv(seed: number): { ops: Operation[]; final: Map<string, unknown> | undefined } {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const ops = Array.from({ length: Math.floor(r() * 8) }, (_, i) => {
    const key = pick(KEYS);
    const kind = r();
    const request: KvRequest | string =
      kind < 0.35 ? get(key) : kind < 0.6 ? put(key, pick(VALUES.slice(1))) : kind < 0.7 ? del(key) : kind < 0.97 ? cas(key, pick(VALUES), pick(VALUES.slice(1))) : 'nonsense';
    const invoke = Math.floor(r() * 20);
    const unknown = r() < 0.25;
    const somewhere = new Map<string, unknown>();
    const v = pick(VALUES);
    if (v !== null) somewhere.set(key, v);
    const reply = typeof request === 'string' ? { ok: false, error: 'request is not JSON' } : applyKv(somewhere, request);
    return kvOp(`C${i + 1}`, 1, request, invoke, unknown ? null : invoke + Math.floor(r() * 10), reply);
  });
  let final: Map<string, unknown> | undefined;
  if (r() < 0.6) {
    final = new Map();
    for (const k of KEYS) {
      const v = pick(VALUES);
      if (v !== null) final.set(k, v);
    }
  }
  return { ops, final };
}
