/** Histories of the `status` application (a register) for the checkers' tests. */
import type { Operation } from '../../src/check/history.js';
import { mulberry32 as rng } from '../../src/random.js';

/** A write of `value`; answered with `reply` (default: the value, as the status app answers). */
export const w = (client: string, num: number, value: string, invoke: number, complete: number | null, reply: string | null = complete === null ? null : value): Operation => ({
  client,
  num,
  value,
  invoke,
  complete,
  reply,
});

/** Up to 6 writes of a few values, overlapping, some unknown, some answered wrongly; maybe a final state. */
export function tinyRegister(seed: number): { ops: Operation[]; final: string | undefined } {
  const r = rng(seed);
  const values = ['a', 'b', 'c'];
  const pick = () => values[Math.floor(r() * values.length)]!;
  const ops = Array.from({ length: Math.floor(r() * 7) }, (_, i) => {
    const invoke = Math.floor(r() * 20);
    const unknown = r() < 0.25;
    const value = pick();
    return w(`C${i + 1}`, 1, value, invoke, unknown ? null : invoke + Math.floor(r() * 10), unknown ? null : r() < 0.05 ? pick() : value);
  });
  return { ops, final: r() < 0.2 ? undefined : r() < 0.1 ? '' : pick() };
}
