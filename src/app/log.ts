/**
 * `app = log`: the state is a list of entries; a request appends its string and the reply is the new
 * entry's 1-based position, so replies reveal the order in which a replica applied requests.
 */
import { decodeItem, encodeItem } from '../protocol/codec.js';
import type { App } from './app.js';

/**
 * What each log's snapshot is made of, counted once per entry: the entries as the snapshot writes
 * them (the entry itself unless it needs escapes) and the snapshot's length. A log only grows by
 * `apply`'s push, so the entries past the counted ones are the new ones, and giving the snapshot in
 * pieces (each request, once the state guard may have to undo it) costs no pass over the text.
 */
interface Tally {
  encoded: string[];
  chars: number;
}
const tallies = new WeakMap<string[], Tally>();

function tally(log: string[]): Tally {
  const t = tallies.get(log) ?? { encoded: [], chars: -1 };
  for (let i = t.encoded.length; i < log.length; i++) {
    const item = encodeItem(log[i]!);
    t.encoded.push(item);
    t.chars += item.length + 1;
  }
  tallies.set(log, t);
  return t;
}

/**
 * The log from its snapshot in pieces cut anywhere, without joining them: an entry is the pieces
 * of it between two separators, joined as a rope (`+` copies nothing; a string inside one piece is
 * a slice of it), so the log takes the memory of the pieces and no more. Its length is counted as
 * it goes, so neither `size` nor `snapshotParts` needs a pass over the entries.
 */
function restoreParts(parts: readonly string[]): string[] {
  const log: string[] = [];
  const encoded: string[] = [];
  let entry = '';
  let escaped = false;
  let chars = 0;
  const take = (piece: string): void => {
    entry += piece;
    escaped ||= piece.includes('%');
  };
  const end = (): void => {
    log.push(escaped ? decodeItem(entry) : entry);
    encoded.push(entry);
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
  tallies.set(log, { encoded, chars });
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
  snapshot: (state) => tally(state).encoded.join(';'),
  restore: (snapshot) => (snapshot === '' ? [] : snapshot.split(';').map(decodeItem)),
  // The entries themselves and the separators: no copy of the log, however long.
  snapshotParts: (state) => tally(state).encoded.flatMap((item, i) => (i === 0 ? [item] : [';', item])),
  restoreParts,
  show: (state) => String(state.length),
  size: (state) => Math.max(tally(state).chars, 0),
};
