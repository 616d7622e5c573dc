import type { AppName } from '../config/types.js';
import type { App } from './app.js';
import { logApp } from './log.js';
import { statusApp } from './status.js';

export type { App, Applied } from './app.js';

export function appByName(name: AppName): App<any> {
  return name === 'log' ? logApp : statusApp;
}
