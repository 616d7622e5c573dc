/** What every checker answers, and how its reasons name operations. */

export type Verdict =
  | { ok: true; method: 'direct' | 'search' }
  | { ok: false; method: 'direct' | 'search'; reason: string }
  | { ok: 'unknown'; method: 'search'; reason: string };

/** The fields a reason names an operation by. */
interface Named {
  client: string;
  num: number;
  value: string;
  invoke: number;
  complete: number | null;
}

/** `C1:4 (the request)`. */
export const opName = (o: Named): string => `${o.client}:${o.num} (${o.value})`;

/** `[invoke, complete]`, `∞` for an unknown result. */
export const span = (o: Named): string => `[${o.invoke}, ${o.complete ?? '∞'}]`;

/** The default budget of one search: past it the verdict is `unknown`, never a guess. */
export const DEFAULT_DEADLINE_MS = 10_000;
