/**
 * kv histories for the checker's tests: a real sequential execution of the kv app, with the
 * requests the chaos and simulator clients send (`KvWorkload`), seen through overlapping client
 * intervals (valid by construction), and a way to break one.
 */
import { kvApp, type KvState } from '../../src/app/kv.js';
import type { Operation } from '../../src/check/history.js';
import { KvWorkload } from '../../src/check/kv-workload.js';

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
