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
import { answerFrame, applyEntry, persistAt, recoveryFrame, type ReplicaData, type Request, type Step } from './replica.js';
import { RETAIN, type OrderEntry, type OrderState, type Past } from './order-state.js';
import { plant } from './switches.js';

/** Active mode with ordering on (the test-only switch `unorderedActive` turns it off). */
export function isOrdered(d: ReplicaData): boolean {
  return d.mode === 'active' && !plant.unorderedActive;
}

const isSequencer = (d: ReplicaData) => d.role === 'primary';
const end = (d: ReplicaData) => d.applied + d.order.log.length;
const same = (a: OrderEntry, b: OrderEntry) => a.client === b.client && a.num === b.num && a.body === b.body;
const withOrder = (d: ReplicaData, patch: Partial<OrderState>): ReplicaData => ({ ...d, order: { ...d.order, ...patch } });

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
 * A client request (with `origin`) or a peer's `forward`. Numbers the client table already has are
 * answered from it or refused, as ever; anything else waits, unordered, for its position. A peer
 * passes client requests on to its sequencer.
 */
export function takeRequest(d: ReplicaData, req: Request): Step {
  const s = seen(d.clients, req.client, req.num);
  if (s.kind !== 'new') {
    const ref = { client: req.client, server: d.name, num: req.num };
    if (!req.origin) return { data: d, effects: [] };
    if (s.kind === 'older') return { data: d, effects: [replyTo(req.origin, { kind: 'error', name: d.name, message: lastNumberError(req.client, s.last) })] };
    return { data: d, effects: [print({ event: 'server.duplicate', name: d.name, request: ref }), ...reply(d, [req.origin], req, s.record)] };
  }
  const known = d.order.unordered.find((u) => u.client === req.client && u.num === req.num);
  // A forward of a request already waiting here changes nothing.
  if (known && !req.origin) return { data: d, effects: [] };
  const origins = req.origin ? [req.origin] : [];
  const unordered = known
    ? d.order.unordered.map((u) => (u === known ? { ...u, origins: [...u.origins, ...origins] } : u))
    : [...d.order.unordered, { client: req.client, num: req.num, body: req.body, origins }];
  const data = withOrder(d, { unordered });
  if (!isSequencer(data)) return { data, effects: req.origin ? passOn(data, req) : [] };
  return then(sequence(data), maybeCommit);
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
  let step: Step = { data: { ...d, held: [] }, effects: [] };
  for (const req of plant.dropHeldOnRecovery ? [] : d.held) step = then(step, (x) => takeRequest(x, req));
  return then(step, catchUp);
}

/**
 * Sequencer: every unordered request that is its client's next gets the next position. A client
 * that neither the client table nor the log knows (new, or forgotten by the bounded table) may
 * start at any number: its lowest waiting one.
 */
function sequence(d: ReplicaData): Step {
  let data = d;
  const effects: Effect[] = [];
  for (;;) {
    const inLog = (u: OrderEntry) => data.order.log.some((e) => e.client === u.client && e.num === u.num);
    const isNext = (x: OrderEntry): boolean => {
      const numbers = data.order.log.filter((e) => e.client === x.client).map((e) => e.num);
      const last = data.clients.get(x.client)?.num;
      if (last === undefined && numbers.length === 0) return !data.order.unordered.some((y) => y.client === x.client && y.num < x.num);
      return x.num === Math.max(last ?? 0, ...numbers) + 1;
    };
    const u = data.order.unordered.find((x) => !inLog(x) && isNext(x));
    if (!u) break;
    const entry: OrderEntry = { client: u.client, num: u.num, body: u.body };
    const position = end(data) + 1;
    const sent = { ...data.order.sent };
    for (const p of data.peers) {
      if (sent[p] !== position - 1) continue;
      effects.push(orderFrame(data, p, position, entry));
      sent[p] = position;
    }
    data = withOrder(data, { log: [...data.order.log, entry], confirmed: position, sent });
  }
  return { data, effects };
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
  let data = d;
  const effects: Effect[] = [];
  const done: OrderEntry[] = [];
  while (data.applied < upto && data.order.log.length > 0) {
    const [e, ...log] = data.order.log as [OrderEntry, ...OrderEntry[]];
    const waiting = data.order.unordered.filter((u) => u.client === e.client && u.num === e.num).flatMap((u) => u.origins);
    let next: ReplicaData;
    const s = seen(data.clients, e.client, e.num);
    if (s.kind !== 'new') {
      // Ordered twice (a request re-sent to a new sequencer): every replica skips it alike.
      if (s.kind === 'repeat') effects.push(...reply(data, waiting, e, s.record));
      // Logged all the same: replay skips it alike, and the positions run on without a gap.
      effects.push(persistAt(data, e, data.applied + 1));
      next = { ...data, applied: data.applied + 1, written: data.epoch };
    } else {
      const { state, size, result, effects: lines } = applyEntry(data, e, data.applied + 1);
      next = { ...data, state, size, applied: data.applied + 1, written: data.epoch };
      effects.push(...lines, ...reply(data, waiting, e, result));
    }
    const had = next.clients.get(e.client)?.num ?? 0;
    done.push(e);
    data = withOrder(next, { log, unordered: data.order.unordered.filter((u) => u.client !== e.client || u.num > had) });
  }
  if (done.length === 0) return { data, effects };
  let past = data.order.past;
  for (const entry of done) past = { entry, before: past, length: (past?.length ?? 0) + 1 };
  // Trimmed only now and then, so that trimming costs O(1) an entry.
  return { data: withOrder(data, { past: past!.length > 2 * RETAIN ? trimPast(past, RETAIN) : past }), effects };
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
 * `order` from the sequencer: position P is taken if it follows what this replica holds of the
 * sequencer's order (an older epoch's entry there, and everything after it, gives way). A gap
 * (a lost link, a new epoch) is left for the `ack` to reveal. `serving` is false while recovering:
 * then nothing is applied or acknowledged before the snapshot.
 */
export function takeOrder(d: ReplicaData, f: Extract<Frame, { kind: 'order' }>, serving: boolean): Step {
  const learned = learnSequencer(d, f.from);
  let data = learned.data;
  if (data.order.sequencer !== f.from || isSequencer(data)) return learned;
  const p = f.position;
  if (p === data.order.confirmed + 1 && p > data.applied) {
    const i = p - data.applied - 1;
    const entry: OrderEntry = { client: f.client, num: f.num, body: f.body };
    const old = data.order.log[i];
    const log = old && same(old, entry) ? data.order.log : [...data.order.log.slice(0, i), entry];
    data = withOrder(data, { log, confirmed: p });
  }
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
