import type { App } from './app.js';
import { kvApp } from './kv.js';
import { logApp } from './log.js';
import { statusApp } from './status.js';

export type { App, AppDefinition, Applied, Outcome } from './app.js';
export { applyRequest, defineApp } from './app.js';

/** The applications that ship with steadfast, by their `[cluster] app` name. */
export const BUILT_IN_APPS: Readonly<Record<string, App<any>>> = { status: statusApp, log: logApp, kv: kvApp };

export function isBuiltInApp(name: string): boolean {
  return Object.hasOwn(BUILT_IN_APPS, name);
}
