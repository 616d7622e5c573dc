/**
 * Histories for the checker's tests: real sequential executions of the log application seen
 * through overlapping client intervals (valid by construction), and ways to break them.
 */
import fc from 'fast-check';
import type { LogOperation as Operation } from '../../src/check/linearizability.js';

export interface Built {
  ops: Operation[];
  /** The log after everything: the values of the operations that took effect, in order. */
  final: string[];
}

export interface Shape {
  ops: number;
  clients: number;
  /** Share of operations whose client never heard back. */
  unknown: number;
  /** Of those, the share that never took effect. */
  never: number;
}

/**
 * Each client runs its operations one after another with random gaps; each operation takes effect
 * at a random point inside its interval; positions follow those points.
 */
export function build(r: () => number, shape: Shape): Built {
  const all: { op: Operation; point: number; effect: boolean }[] = [];
  const clock = new Array<number>(shape.clients).fill(0).map(() => Math.floor(r() * 10));
  const nums = new Array<number>(shape.clients).fill(0);
  for (let i = 0; i < shape.ops; i++) {
    const c = Math.floor(r() * shape.clients);
    const invoke = clock[c]! + Math.floor(r() * 5);
    const complete = invoke + 1 + Math.floor(r() * 40);
    const point = invoke + r() * (complete - invoke);
    clock[c] = complete + 1;
    nums[c]! += 1;
    const unknown = r() < shape.unknown;
    const effect = !unknown || r() >= shape.never;
    const op: Operation = { client: `C${c + 1}`, num: nums[c]!, value: `c${c + 1}-${nums[c]}`, invoke, complete: unknown ? null : complete, position: null };
    all.push({ op, point, effect });
  }
  const effective = all.filter((a) => a.effect).sort((a, b) => a.point - b.point);
  effective.forEach((a, i) => {
    if (a.op.complete !== null) a.op.position = i + 1;
  });
  return { ops: all.map((a) => a.op), final: effective.map((a) => a.op.value) };
}

export const copy = (ops: readonly Operation[]): Operation[] => ops.map((o) => ({ ...o }));

/** Two known operations, one completed before the other was invoked, with their positions swapped. */
export function swapOrdered(ops: Operation[]): [Operation, Operation] | null {
  const known = ops.filter((o) => o.position !== null);
  for (const a of known) {
    const b = known.find((x) => x.invoke > a.complete! && x.position! > a.position!);
    if (b) {
      [a.position, b.position] = [b.position, a.position];
      return [a, b];
    }
  }
  return null;
}

/**
 * Up to 7 appends at arbitrary times and arbitrary positions (so often wrong), some unknown, each by
 * its own client; maybe a final log of some of their values in some order.
 */
export const smallLogHistories: fc.Arbitrary<{ ops: Operation[]; final: string[] | undefined }> = fc
  .tuple(
    fc.array(
      fc.record({
        invoke: fc.integer({ min: 0, max: 20 }),
        length: fc.integer({ min: 0, max: 10 }),
        position: fc.option(fc.integer({ min: 1, max: 7 }), { nil: null }),
      }),
      { maxLength: 7 },
    ),
    fc.option(fc.array(fc.nat(), { maxLength: 7 }), { nil: null }),
  )
  .map(([raw, pick]) => {
    const ops = raw.map((r, i): Operation => ({
      client: `C${i + 1}`,
      num: 1,
      value: `c${i + 1}-1`,
      invoke: r.invoke,
      complete: r.position === null ? null : r.invoke + r.length,
      position: r.position,
    }));
    const final = pick === null ? undefined : [...new Set(pick.filter((i) => i < ops.length))].map((i) => ops[i]!.value);
    return { ops, final };
  });
