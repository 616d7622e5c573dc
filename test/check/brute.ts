/**
 * Linearizability by brute force, for tiny histories: every subset of the unknown operations taken
 * as having had effect, every order of them and the known ones that respects real time, run through
 * the application itself (`app.apply`, the code the replicas run). Exponential, so only for the
 * tests that hold the models' checkers to the apps' own semantics.
 */
import type { App } from '../../src/app/app.js';
import type { Operation } from '../../src/check/history.js';

/** Is there an order of some of `ops` (every known one) that the app answers as they were answered? */
export function bruteForce<S>(app: App<S>, ops: readonly Operation[], finalSnapshot?: string): boolean {
  if (ops.length > 8) throw new Error('brute force: at most 8 operations');
  const unknown = ops.filter((o) => o.complete === null);
  for (let mask = 0; mask < 1 << unknown.length; mask++) {
    const chosen = ops.filter((o) => o.complete !== null || (mask & (1 << unknown.indexOf(o))) !== 0);
    if (orderExists(app, chosen, app.snapshot(app.initial()), finalSnapshot)) return true;
  }
  return false;
}

function orderExists<S>(app: App<S>, left: readonly Operation[], snapshot: string, finalSnapshot: string | undefined): boolean {
  if (left.length === 0) return finalSnapshot === undefined || snapshot === finalSnapshot;
  for (const o of left) {
    // o may go next unless another remaining operation completed before o was invoked.
    if (left.some((x) => x !== o && x.complete !== null && x.complete < o.invoke)) continue;
    const { state, reply } = app.apply(app.restore(snapshot), o.value);
    if (o.reply !== null && reply !== o.reply) continue;
    if (orderExists(app, left.filter((x) => x !== o), app.snapshot(state), finalSnapshot)) return true;
  }
  return false;
}
