/**
 * The Wing–Gong–Lowe linearizability search, for any sequential model, with Porcupine's
 * optimisations: the history as a doubly linked list of call and return entries from which a
 * linearized operation is lifted out (and put back on backtracking), and a cache of the
 * configurations already explored — (set of linearized operations, model state) — so no
 * configuration is explored twice. The set is a bitset with a Zobrist hash kept up to date as
 * operations go in and out, so a cache lookup costs a hash probe, and a bitset comparison only on a
 * hash match.
 *
 * An operation whose result is unknown returns at infinity and its output is unconstrained: it may
 * be linearized anywhere after its call, and linearizing it after everything else stands for "it
 * never took effect".
 */

/** FNV-1a of a string: for models whose state is (or holds) strings. */
export function stringHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export interface Model<S, I, O> {
  init(): S;
  /** The state after `input` with result `output` (undefined: unknown, any result); null if impossible. */
  step(state: S, input: I, output: O | undefined): S | null;
  hash(state: S): number;
  equal(a: S, b: S): boolean;
}

export interface SearchOp<I, O> {
  input: I;
  /** undefined: unknown (the caller never heard back). */
  output: O | undefined;
  call: number;
  /** null: never returned (unknown). */
  ret: number | null;
}

export type SearchResult =
  | { verdict: 'ok'; order: number[] }
  /** `longest`: the most operations linearized in any attempt; `stuck`: an operation that could not be placed then. */
  | { verdict: 'violation'; longest: number; stuck: number }
  | { verdict: 'timeout'; longest: number };

interface Entry {
  op: number;
  call: boolean;
  time: number;
  /** The call's return entry. */
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

interface Cached<S> {
  bits: Uint32Array;
  state: S;
}

/** A fixed xorshift stream: Zobrist keys must be the same in every run. */
function zobristKeys(n: number): Uint32Array {
  const keys = new Uint32Array(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    keys[i] = x >>> 0;
  }
  return keys;
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function search<S, I, O>(model: Model<S, I, O>, ops: readonly SearchOp<I, O>[], options: { deadlineMs?: number; unknownLast?: boolean } = {}): SearchResult {
  const n = ops.length;
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const op = ops[i]!;
    const call: Entry = { op: i, call: true, time: op.call, match: null, prev: null, next: null };
    const ret: Entry = { op: i, call: false, time: op.ret ?? Infinity, match: null, prev: null, next: null };
    call.match = ret;
    entries.push(call, ret);
  }
  // By time; at equal times calls first, so operations that touch count as concurrent.
  entries.sort((a, b) => a.time - b.time || (a.call === b.call ? a.op - b.op : a.call ? -1 : 1));
  const head: Entry = { op: -1, call: false, time: -Infinity, match: null, prev: null, next: null };
  let last = head;
  for (const e of entries) {
    e.prev = last;
    last.next = e;
    last = e;
  }

  const lift = (e: Entry) => {
    e.prev!.next = e.next;
    if (e.next) e.next.prev = e.prev;
    const m = e.match!;
    m.prev!.next = m.next;
    if (m.next) m.next.prev = m.prev;
  };
  const unlift = (e: Entry) => {
    const m = e.match!;
    m.prev!.next = m;
    if (m.next) m.next.prev = m;
    e.prev!.next = e;
    if (e.next) e.next.prev = e;
  };

  const keys = zobristKeys(n);
  const bits = new Uint32Array(Math.ceil(n / 32));
  let bitsHash = 0;
  const cache = new Map<number, Cached<S>[]>();
  /** Adds (bits, state) to the cache; false if it was there already. */
  const remember = (state: S): boolean => {
    const h = (bitsHash ^ Math.imul(model.hash(state), 0x85ebca6b)) >>> 0;
    const bucket = cache.get(h);
    if (bucket) {
      for (const c of bucket) if (sameBits(c.bits, bits) && model.equal(c.state, state)) return false;
      bucket.push({ bits: bits.slice(), state });
    } else cache.set(h, [{ bits: bits.slice(), state }]);
    return true;
  };
  const flip = (op: number) => {
    bits[op >>> 5]! ^= 1 << (op & 31);
    bitsHash ^= keys[op]!;
  };

  // With `unknownLast`, each level tries the operations that returned first (pass 1), and those
  // with an unknown result only after them (pass 2). By default an operation is tried as soon as it
  // was called, so an unknown one is placed early. Which is faster depends on the model: placed
  // early, an unknown operation of an app whose operations do not commute sends the search down
  // long wrong paths (13 unknown results among 1,500 `shop` operations gave up after 10 s; last,
  // they decide in well under a second), while the kv model, whose unknown writes mostly took
  // effect at once, decides its 10,000-operation histories only when they are placed early. The
  // order of tries never changes the verdict, only how soon it comes.
  const unknownLast = options.unknownLast ?? false;
  const stack: { entry: Entry; state: S; pass: 1 | 2 }[] = [];
  let state = model.init();
  let entry = head.next;
  let pass: 1 | 2 = 1;
  let longest = 0;
  let stuck = -1;
  const deadline = options.deadlineMs === undefined ? Infinity : performance.now() + options.deadlineMs;
  let steps = 0;
  while (head.next !== null) {
    if ((++steps & 4095) === 0 && performance.now() > deadline) return { verdict: 'timeout', longest };
    const e = entry!;
    if (e.call) {
      const op = ops[e.op]!;
      if (unknownLast && (op.ret === null) !== (pass === 2)) {
        entry = e.next;
        continue;
      }
      const next = model.step(state, op.input, op.output);
      if (next !== null) {
        flip(e.op);
        if (remember(next)) {
          stack.push({ entry: e, state, pass });
          state = next;
          lift(e);
          if (stack.length > longest) longest = stack.length;
          entry = head.next;
          pass = 1;
          continue;
        }
        flip(e.op);
      }
      entry = e.next;
    } else if (unknownLast && pass === 1) {
      entry = head.next;
      pass = 2;
    } else {
      // This operation returned before any order could place it: undo the latest choice.
      if (stack.length === longest) stuck = e.op;
      const top = stack.pop();
      if (!top) return { verdict: 'violation', longest, stuck: stuck < 0 ? e.op : stuck };
      state = top.state;
      flip(top.entry.op);
      unlift(top.entry);
      entry = top.entry.next;
      pass = top.pass;
    }
  }
  return { verdict: 'ok', order: stack.map((s) => s.entry.op) };
}
