/**
 * What a replica does with a request, a snapshot or a peer frame, as pure functions from its data to
 * new data and effects. The server machine (`server.ts`) decides when each applies (its states);
 * this module decides what it means. Exactly-once lives here: every (client, number) is applied at
 * most once, whichever path (client, forward, update, snapshot) brings it.
 */
import type { App } from '../app/index.js';
import type { ClusterSettings } from '../config/types.js';
import { lastNumberError } from '../protocol/codec.js';
import { PASSING_REFUSALS, type ClientEntry, type Frame, type Mode, type Phase, type ReplicaRole, type ServerStatusFrame } from '../protocol/frames.js';
import { OPS } from '../protocol/links.js';
import { joinText, textLength, type StateText } from '../protocol/state-text.js';
import { summarizeState } from '../protocol/state-summary.js';
import { partChars } from '../protocol/transfer.js';
import { print, replyTo, toPeer, type Effect, type History, type HistorySnapshot, type ReplyTo } from './effects.js';
import { initialOrder, type OrderState } from './order-state.js';
import { ClientTable, tableBounds } from './client-table.js';
import { resultOf, seen, type Result } from './exactly-once.js';
import { guardedApply, stateLimit } from './state-guard.js';
import { plant } from './switches.js';

/** A client request, wherever it came from; `origin` is set when a client waits for the reply. */
export interface Request {
  client: string;
  num: number;
  body: string;
  origin: ReplyTo | null;
  /** Set when it came as a primary's `update`: the `ack` this replica owes once it applied or skipped it. */
  update: { seq: number; primary: string; origin: ReplyTo } | null;
}

/** A passive primary's reply that waits for its backups' acks (`durability = sync`). */
export interface PendingReply {
  seq: number;
  request: { client: string; num: number; body: string };
  origin: ReplyTo;
  result: Result;
  /** Backups that have not acknowledged it yet. */
  waiting: string[];
}

export interface ReplicaData {
  name: string;
  pid: number;
  app: App<any>;
  cluster: ClusterSettings;
  mode: Mode | null;
  role: ReplicaRole | null;
  epoch: number;
  peers: string[];
  state: unknown;
  /** `app.size(state)`, kept so that every request need not measure the state before it (state-guard.ts). */
  size: number;
  /** Mutable, like `state` (client-table.ts). */
  clients: ClientTable;
  /** Requests applied so far (the APPLIED of a `recovery` frame). */
  applied: number;
  /**
   * The epoch its history was last written in (a position applied, a snapshot taken): what a
   * restart from disk ranks replicas by, not the epoch of a `ready` taken since.
   */
  written: number;
  /** Last checkpoint number sent or taken. */
  checkpoint: number;
  /** Requests taken before this replica may serve them (booting, recovering). */
  held: Request[];
  /** Active order: requests more than one above their client's last, until the gap is filled. */
  waiting: Request[];
  /** The LFD's connection on the peer port, for `serving`. */
  lfd: ReplyTo | null;
  /** The primary's update stream: the last sequence number sent. */
  seq: number;
  /** A backup: the highest update of its primary's stream in this epoch it applied or skipped (what its `ack` says). */
  acked: { primary: string; epoch: number; seq: number } | null;
  pending: PendingReply[];
  /** Active mode: the total order (ordering.ts). */
  order: OrderState;
}

export interface Step {
  data: ReplicaData;
  effects: Effect[];
}

export function initialData(name: string, pid: number, app: App<any>, cluster: ClusterSettings): ReplicaData {
  const state = app.initial();
  return {
    name,
    pid,
    app,
    cluster,
    mode: null,
    role: null,
    epoch: 0,
    peers: [],
    state,
    size: app.size(state),
    clients: new ClientTable(tableBounds(cluster)),
    applied: 0,
    written: 0,
    checkpoint: 0,
    held: [],
    waiting: [],
    lfd: null,
    seq: 0,
    acked: null,
    pending: [],
    order: initialOrder(),
  };
}

/** What a replica keeps when its lease ran out: its name and epoch, nothing it served from. */
export function forget(d: ReplicaData): ReplicaData {
  return { ...initialData(d.name, d.pid, d.app, d.cluster), epoch: d.epoch, lfd: d.lfd };
}

/** The frame that answers a client's request `num` with `result`. */
export function answerFrame(server: string, req: { client: string; num: number }, result: Result): Frame {
  return result.failed
    ? { kind: 'failed', client: req.client, server, num: req.num, message: result.reply }
    : { kind: 'reply', client: req.client, server, num: req.num, result: result.reply };
}

/**
 * The state as a status shows it. Whole to `ops` (the tools that compare replicas); to a role of
 * the cluster (the RM and the LFDs ask to learn roles and positions, and must get them whatever
 * the state's size) whole when it fits one part of a frame, else summarized. Taken in the app's
 * pieces, so a large state is never joined just to be summarized.
 */
function statusState(d: ReplicaData, asker: string): string {
  const parts = d.app.snapshotParts(d.state);
  return asker !== OPS && textLength(parts) > partChars(d.cluster.maxFrame) ? summarizeState(parts) : joinText(parts);
}

/**
 * The status answer. A replica with a data folder (`durable`: the highest epoch its folder had
 * recorded at start) says how far its history goes and the highest epoch it took too.
 */
export function statusOf(d: ReplicaData, phase: Phase, asker: string, durable: { taken: number } | null = null): ServerStatusFrame {
  return {
    kind: 'serverStatus',
    server: d.name,
    mode: d.mode,
    role: d.role,
    phase,
    state: statusState(d, asker),
    clients: d.clients.sorted(),
    checkpoint: d.checkpoint,
    epoch: d.epoch,
    pid: d.pid,
    ...(durable && { durable: { position: d.applied, epoch: d.written, taken: Math.max(durable.taken, d.epoch) } }),
  };
}

function replyNow(d: ReplicaData, origin: ReplyTo | null, req: { client: string; num: number }, result: Result): Effect[] {
  if (!origin) return [];
  return [replyTo(origin, answerFrame(d.name, req, result))];
}

export function refuse(d: ReplicaData, origin: ReplyTo | null, message: string): Effect[] {
  return origin ? [replyTo(origin, { kind: 'error', name: d.name, message })] : [];
}

/**
 * A backup acknowledges an update it applied or skipped. The `ack` is cumulative: its primary's
 * updates reach it in order on one link (those of an older epoch that it dropped are sent again
 * in the new epoch before any later one), so having taken update N it has taken every earlier
 * one, and it says the highest it took in this epoch. The acks written in one turn thus go out
 * as the last of them (`cumulative`).
 */
function acknowledge(d: ReplicaData, req: Request): Step {
  if (!req.update) return { data: d, effects: [] };
  const { seq, primary, origin } = req.update;
  const before = d.acked !== null && d.acked.primary === primary && d.acked.epoch === d.epoch ? d.acked.seq : 0;
  const acked = { primary, epoch: d.epoch, seq: Math.max(before, seq) };
  const frame: Frame = { kind: 'ack', from: d.name, to: primary, seq: acked.seq, epoch: d.epoch };
  return { data: { ...d, acked }, effects: [replyTo(origin, frame, true)] };
}

/** Active: every request taken from a client goes to every peer as a `forward`, so a joiner misses none. */
function forwards(d: ReplicaData, req: Request): Effect[] {
  if (d.mode !== 'active' || !req.origin) return [];
  return d.peers.map((to) =>
    toPeer(to, { kind: 'forward', from: d.name, to, client: req.client, num: req.num, body: req.body, epoch: d.epoch }),
  );
}

/** The backups a passive primary must hear from before it replies (`durability = sync`). */
function syncBackups(d: ReplicaData): string[] {
  const syncing = d.mode === 'passive' && d.role === 'primary' && d.cluster.durability === 'sync';
  return syncing ? d.peers : [];
}

function updateFrame(d: ReplicaData, p: PendingReply, to: string): Effect {
  const { client, num, body } = p.request;
  return toPeer(to, { kind: 'update', from: d.name, to, seq: p.seq, client, num, body, epoch: d.epoch });
}

/**
 * The output rule: under `durability = sync` a passive primary replies only once every backup of
 * its current `ready` acknowledged the request as an `update`; otherwise at once.
 */
function respond(d: ReplicaData, req: Request, result: Result): Step {
  const backups = syncBackups(d);
  if (!req.origin || backups.length === 0) return { data: d, effects: replyNow(d, req.origin, req, result) };
  const pending: PendingReply = {
    seq: d.seq + 1,
    request: { client: req.client, num: req.num, body: req.body },
    origin: req.origin,
    result,
    waiting: backups,
  };
  const updates = backups.map((to) => updateFrame(d, pending, to));
  if (plant.replyBeforeAcks) return { data: { ...d, seq: pending.seq }, effects: [...updates, ...replyNow(d, req.origin, req, result)] };
  return {
    data: { ...d, seq: pending.seq, pending: [...d.pending, pending] },
    effects: updates,
  };
}

/** Replies whose every backup acknowledged go out. */
function flush(d: ReplicaData): Step {
  const done = d.pending.filter((p) => p.waiting.length === 0);
  if (done.length === 0) return { data: d, effects: [] };
  return {
    data: { ...d, pending: d.pending.filter((p) => p.waiting.length > 0) },
    effects: done.flatMap((p) => replyNow(d, p.origin, p.request, p.result)),
  };
}

/** A backup's `ack` of update `seq` covers every earlier update (cumulative, see `acknowledge`). */
export function takeAck(d: ReplicaData, from: string, seq: number): Step {
  const pending = d.pending.map((p) => (p.seq <= seq && p.waiting.includes(from) ? { ...p, waiting: p.waiting.filter((w) => w !== from) } : p));
  return flush({ ...d, pending });
}

/**
 * After a new `ready`: a backup no longer listed owes nothing (the RM dropped it), and every backup
 * of the list is sent again what it has not acknowledged (it may have missed it). A replica that is
 * no longer the passive primary drops its waiting replies unanswered: no backup acknowledged them,
 * so the new primary may lack them; each client resends the same number to the new primary, which
 * answers it from its client table or applies it.
 */
export function retarget(d: ReplicaData): Step {
  if (d.pending.length > 0 && !(d.mode === 'passive' && d.role === 'primary')) return { data: { ...d, pending: [] }, effects: [] };
  const backups = syncBackups(d);
  const pending = d.pending.map((p) => ({ ...p, waiting: p.waiting.filter((w) => backups.includes(w)) }));
  const resent = pending.flatMap((p) => p.waiting.map((to) => updateFrame(d, p, to)));
  const flushed = flush({ ...d, pending });
  return { data: flushed.data, effects: [...resent, ...flushed.effects] };
}

/** A link to a backup came (back) up: what it has not acknowledged may have been lost with the old one. */
export function resendTo(d: ReplicaData, backup: string): Effect[] {
  return d.pending.filter((p) => p.waiting.includes(backup)).map((p) => updateFrame(d, p, backup));
}

/**
 * Applies a request the client table does not have (the one place that runs `apply`, for every
 * path and mode) and records its result, between the lines that show the state before and after.
 */
export function applyEntry(
  d: ReplicaData,
  req: { client: string; num: number; body: string },
  position: number,
): Pick<ReplicaData, 'state' | 'size'> & { result: Result; effects: Effect[] } {
  const ref = { client: req.client, server: d.name, num: req.num };
  const before = print({ event: 'server.before', name: d.name, state: d.app.show(d.state), request: ref });
  const { state, size, result } = applyAndRecord(d, req);
  const after = print({ event: 'server.after', name: d.name, state: d.app.show(state), request: ref });
  return { state, size, result, effects: [before, after, persistAt(d, req, position)] };
}

/** `apply` under the state guard, its result recorded in the client table: what applying means, live or replayed from disk. */
function applyAndRecord(d: ReplicaData, req: { client: string; num: number; body: string }): Pick<ReplicaData, 'state' | 'size'> & { result: Result } {
  const { state, size, ...outcome } = guardedApply(d.app, d.state, d.size, req.body, stateLimit(d.cluster));
  const result = resultOf(outcome);
  d.clients.record(req.client, { num: req.num, ...result });
  return { state, size, result };
}

/** The position `position` of the history, for the log of a replica with a data folder. */
export function persistAt(d: ReplicaData, req: { client: string; num: number; body: string }, position: number): Effect {
  return { kind: 'persist', entry: { position, epoch: d.epoch, client: req.client, num: req.num, body: req.body } };
}

function applyOne(d: ReplicaData, req: Request): Step {
  const { state, size, result, effects } = applyEntry(d, req, d.applied + 1);
  const answered = respond({ ...d, state, size, applied: d.applied + 1, written: d.epoch }, req, result);
  const acked = acknowledge(answered.data, req);
  return { data: acked.data, effects: [...effects, ...answered.effects, ...acked.effects] };
}

/**
 * One request, from a client, a peer's `forward` or the primary's `update`: the client's last
 * number is answered from the client table (not applied again), a lower one is refused, a number
 * that skips one waits in active mode until the gap is filled, anything else is applied.
 */
export function execute(d: ReplicaData, req: Request): Step {
  const s = seen(d.clients, req.client, req.num);
  if (s.kind !== 'new') {
    const answered: Step =
      s.kind === 'repeat'
        ? respond(d, req, s.record)
        : { data: d, effects: refuse(d, req.origin, lastNumberError(req.client, s.last)) };
    const noted =
      s.kind === 'repeat' && req.origin
        ? [print({ event: 'server.duplicate', name: d.name, request: { client: req.client, server: d.name, num: req.num } })]
        : [];
    const acked = acknowledge(answered.data, req);
    return { data: acked.data, effects: [...noted, ...answered.effects, ...acked.effects, ...forwards(d, req)] };
  }
  if (d.mode === 'active' && req.num > (d.clients.get(req.client)?.num ?? 0) + 1) {
    return { data: { ...d, waiting: [...d.waiting, req] }, effects: forwards(d, req) };
  }
  const applied = applyOne(d, req);
  return releaseWaiting({ data: applied.data, effects: [...applied.effects, ...forwards(d, req)] });
}

/** Active order: a request that filled a gap may let the next ones of its client through. */
function releaseWaiting(step: Step): Step {
  const { data } = step;
  const ready = data.waiting.find((w) => w.num <= (data.clients.get(w.client)?.num ?? 0) + 1);
  if (!ready) return step;
  const next = execute({ ...data, waiting: data.waiting.filter((w) => w !== ready) }, ready);
  return releaseWaiting({ data: next.data, effects: [...step.effects, ...next.effects] });
}

/** Items (requests, frames) taken one after the other by `take`, as one step: the last data, every effect in order. */
export function foldSteps<T>(d: ReplicaData, items: readonly T[], take: (d: ReplicaData, item: T) => Step): Step {
  let data = d;
  const effects: Effect[] = [];
  for (const item of items) {
    const step = take(data, item);
    data = step.data;
    for (const effect of step.effects) effects.push(effect);
  }
  return { data, effects };
}

export function executeAll(d: ReplicaData, requests: readonly Request[]): Step {
  return foldSteps(d, requests, execute);
}

/** Held requests once this replica may serve them. */
export function releaseHeld(d: ReplicaData): Step {
  return executeAll({ ...d, held: [] }, plant.dropHeldOnRecovery ? [] : d.held);
}

/**
 * Held requests once this replica became a passive backup: a client must go to the primary; the
 * primary's updates are applied (or skipped, the snapshot having them) and acknowledged.
 */
export function refuseHeld(d: ReplicaData): Step {
  const clients = d.held.filter((r) => !r.update);
  const updates = d.held.filter((r) => r.update);
  const refused = clients.flatMap((r) => refuse(d, r.origin, PASSING_REFUSALS.notPrimary));
  const applied = executeAll({ ...d, held: [] }, updates);
  return { data: applied.data, effects: [...refused, ...applied.effects] };
}

export function hold(d: ReplicaData, reqs: readonly Request[]): ReplicaData {
  return { ...d, held: [...d.held, ...reqs] };
}

/**
 * A replica as its data folder left it: the snapshot, then every logged position applied again
 * (skipped where the client table has it, as the first time), with no lines printed. Its epoch is
 * the latest it logged, which its status reports.
 */
export function fromHistory(d: ReplicaData, history: History | null): ReplicaData {
  if (history === null) return d;
  const s = history.snapshot;
  let data = s ? restore(d, s.state, s.clients, s.position) : d;
  let epoch = s?.epoch ?? d.epoch;
  for (const e of history.entries) {
    if (seen(data.clients, e.client, e.num).kind === 'new') {
      const { state, size } = applyAndRecord(data, e);
      data = { ...data, state, size };
    }
    data = { ...data, applied: e.position };
    epoch = Math.max(epoch, e.epoch);
  }
  return { ...data, epoch, written: epoch };
}

/** A snapshot (checkpoint or recovery) replaces state and client table. */
export function restore(d: ReplicaData, state: StateText, clients: ClientEntry[], applied: number): ReplicaData {
  const restored = typeof state === 'string' ? d.app.restore(state) : d.app.restoreParts(state);
  return { ...d, state: restored, size: d.app.size(restored), clients: ClientTable.of(d.clients.bounds, clients), applied, written: d.epoch, waiting: [] };
}

/** The replica's whole state now, as a checkpoint carries it and a data folder keeps it. */
export function historySnapshot(d: ReplicaData): HistorySnapshot {
  return { position: d.applied, epoch: d.epoch, clients: d.clients.entries(), state: d.app.snapshotParts(d.state) };
}

/** A snapshot taken or sent replaces the history before it on disk (with a data folder). */
export function snapshotEffect(snapshot: HistorySnapshot): Effect {
  return { kind: 'snapshot', snapshot };
}

/** A passive primary's periodic checkpoint, to every backup of its current `ready`; on disk, its own snapshot too. */
export function checkpointTo(d: ReplicaData, backups: string[]): Step {
  if (backups.length === 0) return { data: d, effects: [] };
  const data = { ...d, checkpoint: d.checkpoint + 1 };
  const shown = d.app.show(d.state);
  const now = historySnapshot(data);
  const frame = (to: string): Frame => ({
    kind: 'checkpoint',
    from: d.name,
    to,
    number: data.checkpoint,
    state: now.state,
    clients: now.clients,
    applied: now.position,
    epoch: d.epoch,
  });
  return {
    data,
    effects: [
      snapshotEffect(now),
      // Cumulative: the whole state supersedes a checkpoint still waiting to go out to that backup,
      // and the updates between the two carry what the skipped one had.
      ...backups.flatMap((to) => [print({ event: 'checkpoint.sent', name: d.name, to, number: data.checkpoint, state: shown }), toPeer(to, frame(to), true)]),
    ],
  };
}

export function recoveryFrame(d: ReplicaData, to: string): Frame {
  return {
    kind: 'recovery',
    from: d.name,
    to,
    state: d.app.snapshotParts(d.state),
    clients: d.clients.entries(),
    applied: d.applied,
    epoch: d.epoch,
  };
}

export function servingEffect(d: ReplicaData): Effect[] {
  return d.lfd ? [{ kind: 'epoch', epoch: d.epoch }, replyTo(d.lfd, { kind: 'serving', server: d.name, epoch: d.epoch })] : [];
}
