/**
 * Which model checks which application's history: `log` (a list, `linearizability.ts`), `kv` (a
 * map checked per key, `kv.ts`) and `status` (a register, `register.ts`). The final state, when
 * given, is the application's snapshot as a replica reports it (a `status` frame's STATE), so every
 * caller hands over the same kind of thing.
 *
 * Any other application is checked with itself as the model (`checkWithApp`, `app-model.ts`).
 */
import { kvApp } from '../app/kv.js';
import { logApp } from '../app/log.js';
import type { HistoryCheckOptions } from './app-model.js';
import type { Operation } from './history.js';
import { checkKv } from './kv.js';
import { checkLog, logOperations } from './linearizability.js';
import { checkRegister } from './register.js';
import type { Verdict } from './verdict.js';

export const CHECKED_APPS = ['log', 'kv', 'status'] as const;
export type CheckedApp = (typeof CHECKED_APPS)[number];

export const isCheckedApp = (name: string): name is CheckedApp => (CHECKED_APPS as readonly string[]).includes(name);

export { checkWithApp, type HistoryCheckOptions } from './app-model.js';

export function checkHistory(app: CheckedApp, ops: readonly Operation[], options: HistoryCheckOptions = {}): Verdict {
  const { finalSnapshot: s, deadlineMs } = options;
  switch (app) {
    case 'log':
      return checkLog(logOperations(ops), { final: s === undefined ? undefined : logApp.restore(s), deadlineMs });
    case 'kv':
      return checkKv(ops, { final: s === undefined ? undefined : kvApp.restore(s), deadlineMs });
    case 'status':
      return checkRegister(ops, { final: s, deadlineMs });
  }
}
