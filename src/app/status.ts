/** `app = status`: the state is one string; a request replaces it; the reply is the new state. */
import type { App } from './app.js';

const STATUSES = ['green', 'amber', 'red', 'down for maintenance'];

export const statusApp: App<string> = {
  name: 'status',
  initial: () => '',
  apply: (_state, request) => ({ state: request, reply: request }),
  snapshot: (state) => state,
  restore: (snapshot) => snapshot,
  snapshotParts: (state) => [state],
  restoreParts: (parts) => parts.join(''),
  show: (state) => state,
  size: (state) => state.length,
  sample: (random) => STATUSES[Math.floor(random() * STATUSES.length)]!,
};
