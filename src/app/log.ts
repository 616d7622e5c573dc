/**
 * `app = log`: the state is a list of entries; a request appends its string and the reply is the new
 * entry's 1-based position, so replies reveal the order in which a replica applied requests.
 */
import { decodeItem, encodeItem } from '../protocol/codec.js';
import type { App } from './app.js';

export const logApp: App<string[]> = {
  name: 'log',
  initial: () => [],
  apply: (state, request) => {
    state.push(request);
    return { state, reply: String(state.length) };
  },
  // An empty log and a log of one empty entry would both be ''; clients never send empty requests
  // (`client --stdin` skips empty lines), so '' always means the empty log.
  snapshot: (state) => state.map(encodeItem).join(';'),
  restore: (snapshot) => (snapshot === '' ? [] : snapshot.split(';').map(decodeItem)),
  show: (state) => String(state.length),
};
