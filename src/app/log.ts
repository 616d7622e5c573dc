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

/**
 * The log from its snapshot in pieces cut anywhere, without joining them: an entry is the pieces
 * of it between two separators, joined as a rope (`+` copies nothing; a string inside one piece is
 * a slice of it), so the log takes the memory of the pieces and no more. Its length is counted as
 * it goes, so `size` needs no pass over the entries.
 */
function restoreParts(parts: readonly string[]): string[] {
  const log: string[] = [];
  let entry = '';
  let escaped = false;
  let chars = 0;
  const take = (piece: string): void => {
    entry += piece;
    escaped ||= piece.includes('%');
  };
  const end = (): void => {
    log.push(escaped ? decodeItem(entry) : entry);
    entry = '';
    escaped = false;
  };
  for (const part of parts) {
    chars += part.length;
    let from = 0;
    for (let at = part.indexOf(';'); at !== -1; at = part.indexOf(';', from)) {
      take(part.slice(from, at));
      end();
      from = at + 1;
    }
    take(part.slice(from));
  }
  if (chars === 0) return [];
  end();
  counted.set(log, { entries: log.length, chars });
  return log;
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
  // The entries themselves and the separators: no copy of the log, however long.
  snapshotParts: (state) => state.flatMap((entry, i) => (i === 0 ? [encodeItem(entry)] : [';', encodeItem(entry)])),
  restoreParts,
  show: (state) => String(state.length),
  size: sizeOf,
};
