/** `app = status`: the state is one string; a request replaces it; the reply is the new state. */
import type { App } from './app.js';

export const statusApp: App<string> = {
  name: 'status',
  initial: () => '',
  apply: (_state, request) => ({ state: request, reply: request }),
  snapshot: (state) => state,
  restore: (snapshot) => snapshot,
  show: (state) => state,
};
