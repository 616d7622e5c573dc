/**
 * A failing seed, made smaller: the same seed replayed with fewer faults (the first K of its
 * schedule), then with clients that stop after fewer requests, as long as the same check still
 * fails. Failure is not monotone in either (a fault can hide another's effect), so the searches are
 * bisections that keep the smallest run seen failing, not a proof of the minimum: "a simple shrink".
 */
import type { App } from '../app/app.js';
import { isFailure } from './report.js';
import { runSeed, type RunOptions, type RunResult } from './run.js';

export interface Shrunk {
  options: RunOptions;
  result: RunResult;
  /** Replays made. */
  tries: number;
}

export const totalFaults = (r: RunResult): number => Object.values(r.faults).reduce((a, b) => a + b, 0);

/** `failed` is the run of `options` (a failure); `app` is its app, loaded. */
export function shrink(options: RunOptions, failed: RunResult, app: App<any>): Shrunk {
  const check = failed.violations[0]!.invariant;
  let best: Shrunk = { options, result: failed, tries: 0 };
  let tries = 0;
  const attempt = (o: RunOptions): boolean => {
    tries += 1;
    const r = runSeed(o, app);
    const holds = isFailure(r) && r.violations[0]!.invariant === check;
    if (holds) best = { options: o, result: r, tries: 0 };
    return holds;
  };
  /** The smallest n in [0, hi) for which `fails(n)` held, assuming it holds from some n on; else hi. */
  const bisect = (hi: number, fails: (n: number) => boolean): void => {
    let lo = 0;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (fails(mid)) hi = mid;
      else lo = mid + 1;
    }
  };
  bisect(totalFaults(failed), (k) => attempt({ ...best.options, maxFaults: k }));
  bisect(best.result.requests, (n) => n > 0 && attempt({ ...best.options, maxRequests: n }));
  // A failed run keeps its trace.
  return { ...best, tries };
}
