/**
 * `app = log`: the state is a list of entries; a request appends its string and the reply is the new
 * entry's 1-based position, so replies reveal the order in which a replica applied requests.
 */
import { decodeItem, encodeItem } from '../protocol/codec.js';
import type { App } from './app.js';

/**
 * The snapshot's length of each log, counted once per entry: a log only grows by `apply`'s push,
 * so the entries past the counted ones are the new ones.
 */
const counted = new WeakMap<string[], { entries: number; chars: number }>();

function sizeOf(log: string[]): number {
  const seen = counted.get(log) ?? { entries: 0, chars: -1 };
  for (let i = seen.entries; i < log.length; i++) seen.chars += encodeItem(log[i]!).length + 1;
  seen.entries = log.length;
  counted.set(log, seen);
  return Math.max(seen.chars, 0);
}

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
  size: sizeOf,
};
