/**
 * Total order in active mode (docs/ordering.md), as pure functions from a replica's data to new
 * data and effects. The sequencer (the RM's `primary` in active mode) gives every client request a
 * position and sends it to every peer as `order`; each peer holds positions in sequence and
 * acknowledges the highest it holds (`ack`); a position is committed once every replica of the
 * sequencer's current `ready` holds it, and the sequencer says so (`commit`). Every replica,
 * the sequencer included, applies only committed positions, in position order, and answers a
 * client only when it applies its request: whatever a client saw answered is held by every replica
 * the RM may name the next sequencer, and nothing uncommitted was applied anywhere, so a new
 * sequencer's log decides the order from there on and no replica has to undo anything.
 *
 * Positions count across epochs: `ReplicaData.applied` is the position of the last applied entry
 * (the sequence point of a `recovery` snapshot).
 */
import { lastNumberError } from '../protocol/codec.js';
import type { Frame } from '../protocol/frames.js';
import { print, replyTo, toPeer, type Effect, type ReplyTo } from './effects.js';
import { seen, type Result } from './exactly-once.js';
import { answerFrame, applyEntry, foldSteps, persistAt, recoveryFrame, type ReplicaData, type Request, type Step } from './replica.js';
import { RETAIN, type OrderEntry, type OrderState, type Past, type Unordered } from './order-state.js';
import { plant } from './switches.js';

/** Active mode with ordering on (the test-only switch `unorderedActive` turns it off). */
export function isOrdered(d: ReplicaData): boolean {
  return d.mode === 'active' && !plant.unorderedActive;
}

const isSequencer = (d: ReplicaData) => d.role === 'primary';
const end = (d: ReplicaData) => d.applied + d.order.log.length;
const same = (a: OrderEntry, b: OrderEntry) => a.client === b.client && a.num === b.num && a.body === b.body;
const withOrder = (d: ReplicaData, patch: Partial<OrderState>): ReplicaData => ({ ...d, order: { ...d.order, ...patch } });
/** A request's identity in the lookups below (names and numbers hold no control characters). */
const keyOf = (e: { client: string; num: number }) => `${e.client}\u0000${e.num}`;

function then(step: Step, next: (d: ReplicaData) => Step): Step {
  const b = next(step.data);
  return { data: b.data, effects: [...step.effects, ...b.effects] };
}

/** The entries from `position` to the end of the log, or undefined when the retained past does not reach back so far. */
function entriesFrom(d: ReplicaData, position: number): OrderEntry[] | undefined {
  const older: OrderEntry[] = [];
  let cell = d.order.past;
  for (let p = d.applied; p >= position; p--) {
    if (cell === null) return undefined;
    older.push(cell.entry);
    cell = cell.before;
  }
  return [...older.reverse(), ...d.order.log.slice(Math.max(0, position - d.applied - 1))];
}

/** The newest `keep` cells of `past`, with lengths counted again. */
function trimPast(past: Past | null, keep: number): Past | null {
  const newest: OrderEntry[] = [];
  for (let cell = past; cell !== null && newest.length < keep; cell = cell.before) newest.push(cell.entry);
  return newest.reduceRight<Past | null>((before, entry) => ({ entry, before, length: (before?.length ?? 0) + 1 }), null);
}

function orderFrame(d: ReplicaData, to: string, position: number, e: OrderEntry): Effect {
  const frame: Frame = { kind: 'order', from: d.name, to, position, client: e.client, num: e.num, body: e.body, epoch: d.epoch };
  return toPeer(to, frame);
}

function commitFrame(d: ReplicaData, to: string, position = d.order.commit): Effect {
  return toPeer(to, { kind: 'commit', from: d.name, to, position, epoch: d.epoch });
}

/**
 * `commit` at position 0 (nothing to commit, no position is 0) is the sequencer's probe: the peer
 * answers it with an `ack` saying how far it holds the order. Ordinary commits are not answered;
 * the acks of `order` frames carry everything the sequencer needs.
 */
const PROBE = 0;
const probeFrame = (d: ReplicaData, to: string) => commitFrame(d, to, PROBE);

/**
 * A peer tells its sequencer how far it holds the sequencer's order. The sequencer keeps only a
 * peer's latest ack, so of those written in one turn only the last need go out (`cumulative`).
 */
function ackEffects(d: ReplicaData): Effect[] {
  const seq = d.order.sequencer;
  if (seq === null || seq === d.name) return [];
  const frame: Frame = { kind: 'ack', from: d.name, to: seq, seq: d.order.confirmed, epoch: d.epoch };
  return [toPeer(seq, frame, true)];
}

function forwardTo(d: ReplicaData, to: string, u: OrderEntry): Effect {
  return toPeer(to, { kind: 'forward', from: d.name, to, client: u.client, num: u.num, body: u.body, epoch: d.epoch });
}

function reply(d: ReplicaData, origins: ReplyTo[], u: { client: string; num: number }, result: Result): Effect[] {
  return origins.map((o) => replyTo(o, answerFrame(d.name, u, result)));
}

/**
 * After every `ready` (active): a new epoch forgets who sequenced and how far the peers are; the
 * sequencer takes its whole log as its order, probes every peer (`commit`, answered by `ack`) and
 * orders what it holds. A peer learns its sequencer from the sequencer's first frame.
 */
export function adoptEpoch(d: ReplicaData): Step {
  let data = d;
  if (d.order.epoch !== d.epoch) {
    data = withOrder(d, {
      epoch: d.epoch,
      sequencer: isSequencer(d) ? d.name : null,
      confirmed: isSequencer(d) ? end(d) : d.applied,
      commit: d.applied,
      acks: {},
      sent: {},
    });
  }
  if (!isSequencer(data)) return { data, effects: [] };
  const keep = <T>(r: Record<string, T>) => Object.fromEntries(Object.entries(r).filter(([p]) => data.peers.includes(p)));
  data = withOrder(data, { sequencer: data.name, acks: keep(data.order.acks), sent: keep(data.order.sent) });
  const probes = data.peers.map((p) => probeFrame(data, p));
  return then({ data, effects: probes }, (x) => then(sequence(x), maybeCommit));
}

/**
 * Client requests (with `origin`) and peers' `forward`s, in one step. Numbers the client table
 * already has are answered from it or refused, as ever; anything else waits, unordered, for its
 * position. A peer passes client requests on to its sequencer; a sequencer orders what became
 * orderable once, after all of them (with peers, nothing is committed in this step, so the client
 * table cannot change between the requests).
 */
export function takeRequests(d: ReplicaData, reqs: readonly Request[]): Step {
  // Alone, a sequencer commits and applies each request as it orders it: a later one may be its resend.
  if (isSequencer(d) && d.peers.length === 0 && reqs.length > 1) return foldSteps(d, reqs, (x, req) => takeRequests(x, [req]));
  const effects: Effect[] = [];
  let unordered: Unordered[] | null = null;
  let index: Map<string, number> | null = null;
  for (const req of reqs) {
    const s = seen(d.clients, req.client, req.num);
    if (s.kind !== 'new') {
      if (!req.origin) continue;
      if (s.kind === 'older') effects.push(replyTo(req.origin, { kind: 'error', name: d.name, message: lastNumberError(req.client, s.last) }));
      else effects.push(print({ event: 'server.duplicate', name: d.name, request: { client: req.client, server: d.name, num: req.num } }), ...reply(d, [req.origin], req, s.record));
      continue;
    }
    unordered ??= [...d.order.unordered];
    index ??= new Map(unordered.map((u, i) => [keyOf(u), i]));
    const at = index.get(keyOf(req));
    // A forward of a request already waiting here changes nothing.
    if (at !== undefined && !req.origin) continue;
    const origins = req.origin ? [req.origin] : [];
    if (at !== undefined) unordered[at] = { ...unordered[at]!, origins: [...unordered[at]!.origins, ...origins] };
    else {
      index.set(keyOf(req), unordered.length);
      unordered.push({ client: req.client, num: req.num, body: req.body, origins });
    }
    if (req.origin && !isSequencer(d)) effects.push(...passOn(d, req));
  }
  if (unordered === null) return { data: d, effects };
  const data = withOrder(d, { unordered });
  if (!isSequencer(data)) return { data, effects };
  return then({ data, effects }, (x) => then(sequence(x), maybeCommit));
}

/**
 * A peer passes a client's request on to its sequencer, unless the sequencer already ordered it.
 * While it does not know the sequencer of its epoch it passes nothing: what waits unordered goes to
 * the sequencer once it is known (`learnSequencer`), and again whenever the link to it comes back.
 */
function passOn(d: ReplicaData, req: OrderEntry): Effect[] {
  const seq = d.order.sequencer;
  if (seq === null || d.order.log.some((e) => e.client === req.client && e.num === req.num)) return [];
  return [forwardTo(d, seq, req)];
}

/** Requests held while booting or recovering, once the replica serves. */
export function releaseHeldOrdered(d: ReplicaData): Step {
  const step = takeRequests({ ...d, held: [] }, plant.dropHeldOnRecovery ? [] : d.held);
  return then(step, catchUp);
}

/**
 * Sequencer: every unordered request that is its client's next gets the next position, the first
 * such in `unordered` each time. A client that neither the client table nor the log knows (new, or
 * forgotten by the bounded table) may start at any number: its lowest waiting one.
 */
function sequence(d: ReplicaData): Step {
  const { unordered } = d.order;
  if (unordered.length === 0) return { data: d, effects: [] };
  const log = [...d.order.log];
  const inLog = new Set(log.map(keyOf));
  const highest = new Map<string, number>();
  for (const e of log) highest.set(e.client, Math.max(highest.get(e.client) ?? 0, e.num));
  const lowestWaiting = new Map<string, number>();
  for (const u of unordered) lowestWaiting.set(u.client, Math.min(lowestWaiting.get(u.client) ?? Infinity, u.num));
  const orderable = (x: OrderEntry): boolean => {
    if (inLog.has(keyOf(x))) return false;
    const last = d.clients.get(x.client)?.num;
    const logged = highest.get(x.client);
    if (last === undefined && logged === undefined) return x.num === lowestWaiting.get(x.client);
    return x.num === Math.max(last ?? 0, logged ?? 0) + 1;
  };
  const at = new Map(unordered.map((u, i) => [keyOf(u), i]));
  const effects: Effect[] = [];
  const sent = { ...d.order.sent };
  let position = end(d);
  // Entries before `scanned` were not orderable when last looked at; ordering a request can make
  // only its client's next one orderable, so that one is the only one to look back for.
  let scanned = 0;
  let next: number | undefined;
  for (;;) {
    if (next === undefined || next >= scanned || !orderable(unordered[next]!)) {
      while (scanned < unordered.length && !orderable(unordered[scanned]!)) scanned++;
      if (scanned === unordered.length) break;
      next = scanned;
    }
    const u = unordered[next]!;
    const entry: OrderEntry = { client: u.client, num: u.num, body: u.body };
    position++;
    for (const p of d.peers) {
      if (sent[p] !== position - 1) continue;
      effects.push(orderFrame(d, p, position, entry));
      sent[p] = position;
    }
    log.push(entry);
    inLog.add(keyOf(entry));
    highest.set(entry.client, Math.max(highest.get(entry.client) ?? 0, entry.num));
    next = at.get(keyOf({ client: entry.client, num: entry.num + 1 }));
  }
  if (position === end(d)) return { data: d, effects };
  return { data: withOrder(d, { log, confirmed: position, sent }), effects };
}

/** Sequencer: the positions every peer holds are committed; tell the peers and apply them. */
function maybeCommit(d: ReplicaData): Step {
  const commit = Math.min(end(d), ...d.peers.map((p) => d.order.acks[p] ?? 0));
  if (commit <= d.order.commit) return { data: d, effects: [] };
  const data = withOrder(d, { commit });
  return then({ data, effects: data.peers.map((p) => commitFrame(data, p)) }, (x) => applyUpTo(x, commit));
}

/** Applies the log's committed positions in order; each request's waiting clients get its result. */
function applyUpTo(d: ReplicaData, upto: number): Step {
  const count = Math.min(upto - d.applied, d.order.log.length);
  if (count <= 0) return { data: d, effects: [] };
  // A fresh copy, changed in place below: `d` itself stays as it was.
  const data: ReplicaData = { ...d };
  const effects: Effect[] = [];
  const waitingAt = new Map(d.order.unordered.map((u) => [keyOf(u), u]));
  // Per client, the number up to which its waiting requests are done (applied, or ordered twice).
  const doneUpTo = new Map<string, number>();
  let past = d.order.past;
  for (const e of d.order.log.slice(0, count)) {
    const u = waitingAt.get(keyOf(e));
    const waiting = u && u.num > (doneUpTo.get(e.client) ?? -Infinity) ? u.origins : [];
    const position = data.applied + 1;
    const s = seen(data.clients, e.client, e.num);
    if (s.kind !== 'new') {
      // Ordered twice (a request re-sent to a new sequencer): every replica skips it alike.
      if (s.kind === 'repeat') effects.push(...reply(data, waiting, e, s.record));
      // Logged all the same: replay skips it alike, and the positions run on without a gap.
      effects.push(persistAt(data, e, position));
    } else {
      const { state, size, result, effects: lines } = applyEntry(data, e, position);
      data.state = state;
      data.size = size;
      effects.push(...lines, ...reply(data, waiting, e, result));
    }
    data.applied = position;
    data.written = data.epoch;
    doneUpTo.set(e.client, data.clients.get(e.client)?.num ?? 0);
    past = { entry: e, before: past, length: (past?.length ?? 0) + 1 };
  }
  const unordered = d.order.unordered.filter((u) => u.num > (doneUpTo.get(u.client) ?? -Infinity));
  // Trimmed only now and then, so that trimming costs O(1) an entry.
  if (past!.length > 2 * RETAIN) past = trimPast(past, RETAIN);
  return { data: withOrder(data, { log: d.order.log.slice(count), unordered, past }), effects };
}

/** A peer applies what is both committed and its sequencer's, and (unless told not to) says how far it holds. */
function catchUp(d: ReplicaData, acknowledge = true): Step {
  if (isSequencer(d)) return then(sequence(d), maybeCommit);
  const applied = applyUpTo(d, Math.min(d.order.commit, d.order.confirmed));
  return acknowledge ? { data: applied.data, effects: [...applied.effects, ...ackEffects(applied.data)] } : applied;
}

/** The sequencer of this epoch is the sender of its first `order` or `commit`; what waits unordered goes to it. */
function learnSequencer(d: ReplicaData, from: string): Step {
  if (d.order.sequencer !== null || isSequencer(d) || !d.peers.includes(from)) return { data: d, effects: [] };
  const data = withOrder(d, { sequencer: from });
  return { data, effects: data.order.unordered.map((u) => forwardTo(data, from, u)) };
}

/**
 * `order` frames from the sequencer, in one step: position P is taken if it follows what this
 * replica holds of the sequencer's order (an older epoch's entry there, and everything after it,
 * gives way). A gap (a lost link, a new epoch) is left for the `ack` to reveal. `serving` is false
 * while recovering: then nothing is applied or acknowledged before the snapshot.
 */
export function takeOrders(d: ReplicaData, frames: readonly Extract<Frame, { kind: 'order' }>[], serving: boolean): Step {
  if (frames.length === 0) return { data: d, effects: [] };
  // The listener batches only one sender's frames.
  const learned = learnSequencer(d, frames[0]!.from);
  let data = learned.data;
  if (data.order.sequencer !== frames[0]!.from || isSequencer(data)) return learned;
  let log: OrderEntry[] | null = null;
  let confirmed = data.order.confirmed;
  for (const f of frames) {
    const p = f.position;
    if (p !== confirmed + 1 || p <= data.applied) continue;
    const i = p - data.applied - 1;
    const entry: OrderEntry = { client: f.client, num: f.num, body: f.body };
    log ??= [...data.order.log];
    const old = log[i];
    if (!old || !same(old, entry)) {
      log.length = i;
      log.push(entry);
    }
    confirmed = p;
  }
  if (log !== null) data = withOrder(data, { log, confirmed });
  if (!serving) return { data, effects: learned.effects };
  return then({ data, effects: learned.effects }, catchUp);
}

/** `commit` from the sequencer: applies what it commits; a probe is answered with an `ack` when serving. */
export function takeCommit(d: ReplicaData, f: Extract<Frame, { kind: 'commit' }>, serving: boolean): Step {
  const learned = learnSequencer(d, f.from);
  const data = learned.data;
  if (data.order.sequencer !== f.from || isSequencer(data)) return learned;
  const next = withOrder(data, { commit: Math.max(data.order.commit, f.position) });
  if (!serving) return { data: next, effects: learned.effects };
  return then({ data: next, effects: learned.effects }, (x) => catchUp(x, f.position === PROBE));
}

/**
 * Sequencer: a peer's `ack`. The first one of an epoch (or since the link to the peer came back)
 * says where the peer is: it is sent everything after that (a snapshot first when the retained
 * past does not reach back so far), and from then on each new position as it is ordered.
 */
export function takeOrderAck(d: ReplicaData, from: string, position: number): Step {
  if (!isSequencer(d) || !d.peers.includes(from)) return { data: d, effects: [] };
  let data = withOrder(d, { acks: { ...d.order.acks, [from]: position } });
  const effects: Effect[] = [];
  if (data.order.sent[from] === undefined) {
    let start = position + 1;
    let entries = entriesFrom(data, start);
    if (entries === undefined) {
      effects.push(toPeer(from, recoveryFrame(data, from)));
      start = data.applied + 1;
      entries = data.order.log;
    }
    entries.forEach((e, i) => effects.push(orderFrame(data, from, start + i, e)));
    if (data.order.commit !== PROBE) effects.push(commitFrame(data, from));
    data = withOrder(data, { sent: { ...data.order.sent, [from]: end(data) } });
  }
  return then({ data, effects }, maybeCommit);
}

/**
 * A link to a peer came (back) up: frames sent meanwhile may be lost. The sequencer probes the
 * peer again; a peer re-sends its ack and its unordered requests to its sequencer.
 */
export function orderLinkUp(d: ReplicaData, peer: string): Step {
  if (isSequencer(d)) {
    const { [peer]: _, ...sent } = d.order.sent;
    const data = withOrder(d, { sent });
    return { data, effects: [probeFrame(data, peer)] };
  }
  if (d.order.sequencer !== peer) return { data: d, effects: [] };
  return { data: d, effects: [...d.order.unordered.map((u) => forwardTo(d, peer, u)), ...ackEffects(d)] };
}

/**
 * A snapshot at sequence point `applied` replaced state and client table (recovery, or a
 * sequencer's catch-up snapshot): the log keeps only the positions after it.
 */
export function restoreOrder(before: ReplicaData, after: ReplicaData): ReplicaData {
  const c = after.applied;
  const log = c >= before.applied ? before.order.log.slice(c - before.applied) : [];
  const confirmed = c >= before.applied ? Math.max(before.order.confirmed, c) : c;
  const done = (u: OrderEntry) => u.num <= (after.clients.get(u.client)?.num ?? 0);
  return withOrder(after, { log, confirmed, past: null, unordered: before.order.unordered.filter((u) => !done(u)) });
}

/** A sequencer's catch-up snapshot to a serving peer that lags past the retained log. */
export function takeCatchUpSnapshot(before: ReplicaData, after: ReplicaData): Step {
  return catchUp(restoreOrder(before, after));
}
