/**
 * How `steadfast chaos` describes what it checked, per app: a replica's state (a `status` frame's
 * STATE, the app's snapshot), where two replicas' states first differ, and the kv requests' mix.
 */
import { kvApp, parseKvRequest } from '../app/kv.js';
import { logApp } from '../app/log.js';
import type { Operation } from '../check/history.js';

export type ChaosApp = 'log' | 'kv';

/** `log of 1234 entries`, `map of 4 keys`. */
export function describeState(app: ChaosApp, snapshot: string): string {
  return app === 'log' ? `log of ${logApp.restore(snapshot).length} entries` : `map of ${kvApp.restore(snapshot).size} keys`;
}

/** Where two snapshots first differ, in a few words; null when they are equal. */
export function firstDifference(app: ChaosApp, a: string, b: string): string | null {
  if (a === b) return null;
  if (app === 'log') {
    const [x, y] = [logApp.restore(a), logApp.restore(b)];
    const at = x.findIndex((v, i) => y[i] !== v);
    return `first difference at entry ${(at < 0 ? Math.min(x.length, y.length) : at) + 1}`;
  }
  const [x, y] = [kvApp.restore(a), kvApp.restore(b)];
  const keys = [...new Set([...x.keys(), ...y.keys()])].sort().filter((k) => JSON.stringify(x.get(k)) !== JSON.stringify(y.get(k)));
  return `keys ${keys.map((k) => `${k} (${JSON.stringify(x.get(k) ?? null)} / ${JSON.stringify(y.get(k) ?? null)})`).join(', ')}`;
}

/** A reply that is not kv JSON is the checker's to name; here it is just no success. */
function succeeded(reply: string): boolean {
  try {
    return (JSON.parse(reply) as { ok?: unknown } | null)?.ok === true;
  } catch {
    return false;
  }
}

/** `get 120, put 80, cas 75 (40 succeeded), del 30 on 4 keys`: how much the kv check had to go on. */
export function kvMix(ops: readonly Operation[]): string {
  const count: Record<string, number> = { get: 0, put: 0, cas: 0, del: 0 };
  let casOk = 0;
  const keys = new Set<string>();
  for (const o of ops) {
    const r = parseKvRequest(o.value);
    if (typeof r === 'string') continue;
    count[r.op]! += 1;
    keys.add(r.key);
    if (r.op === 'cas' && o.reply !== null && succeeded(o.reply)) casOk += 1;
  }
  return `get ${count.get}, put ${count.put}, cas ${count.cas} (${casOk} succeeded), del ${count.del} on ${keys.size} keys`;
}
