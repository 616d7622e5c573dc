/**
 * What a replica does with a request, a snapshot or a peer frame, as pure functions from its data to
 * new data and effects. The server machine (`server.ts`) decides when each applies (its states);
 * this module decides what it means. Exactly-once lives here: every (client, number) is applied at
 * most once, whichever path (client, forward, update, snapshot) brings it.
 */
import type { App } from '../app/index.js';
import type { ClusterSettings } from '../config/types.js';
import type { ClientEntry, Frame, Mode, Phase, ReplicaRole, ServerStatusFrame } from '../protocol/frames.js';
import type { Origin } from '../transport/types.js';
import { answer, print, sendOn, type Effect } from './effects.js';

export interface ClientRecord {
  num: number;
  reply: string;
}

/** A client request, wherever it came from; `origin` is set when a client waits for the reply. */
export interface Request {
  client: string;
  num: number;
  body: string;
  origin: Origin | null;
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
  clients: Record<string, ClientRecord>;
  /** Requests applied so far (the APPLIED of a `recovery` frame). */
  applied: number;
  /** Last checkpoint number sent or taken. */
  checkpoint: number;
  /** Requests taken before this replica may serve them (booting, recovering). */
  held: Request[];
  /** Active order: requests more than one above their client's last, until the gap is filled. */
  waiting: Request[];
  /** The LFD's connection on the peer port, for `serving`. */
  lfd: Origin | null;
}

export interface Step {
  data: ReplicaData;
  effects: Effect[];
}

export const peerLinkId = (server: string) => `peer:${server}`;
export const CLIENT_PORT = 'clients';
export const PEER_PORT = 'peers';

export function initialData(name: string, pid: number, app: App<any>, cluster: ClusterSettings): ReplicaData {
  return {
    name,
    pid,
    app,
    cluster,
    mode: null,
    role: null,
    epoch: 0,
    peers: [],
    state: app.initial(),
    clients: {},
    applied: 0,
    checkpoint: 0,
    held: [],
    waiting: [],
    lfd: null,
  };
}

export function clientEntries(d: ReplicaData): ClientEntry[] {
  return Object.keys(d.clients)
    .sort()
    .map((client) => ({ client, num: d.clients[client]!.num, reply: d.clients[client]!.reply }));
}

function clientTable(entries: ClientEntry[]): Record<string, ClientRecord> {
  return Object.fromEntries(entries.map((e) => [e.client, { num: e.num, reply: e.reply }]));
}

export function statusOf(d: ReplicaData, phase: Phase): ServerStatusFrame {
  return {
    kind: 'serverStatus',
    server: d.name,
    mode: d.mode,
    role: d.role,
    phase,
    state: d.app.snapshot(d.state),
    clients: clientEntries(d),
    checkpoint: d.checkpoint,
    epoch: d.epoch,
    pid: d.pid,
  };
}

function reply(d: ReplicaData, req: Request, result: string): Effect[] {
  if (!req.origin) return [];
  return [answer(req.origin, { kind: 'reply', client: req.client, server: d.name, num: req.num, result })];
}

export function refuse(d: ReplicaData, origin: Origin | null, message: string): Effect[] {
  return origin ? [answer(origin, { kind: 'error', name: d.name, message })] : [];
}

/** Passive: every request through the active primary's peers as a `forward`, so a joiner misses none. */
function forwards(d: ReplicaData, req: Request): Effect[] {
  if (d.mode !== 'active' || !req.origin) return [];
  return d.peers.map((to) =>
    sendOn(peerLinkId(to), { kind: 'forward', from: d.name, to, client: req.client, num: req.num, body: req.body, epoch: d.epoch }),
  );
}

function applyOne(d: ReplicaData, req: Request): Step {
  const ref = { client: req.client, server: d.name, num: req.num };
  const before = print({ event: 'server.before', name: d.name, state: d.app.show(d.state), request: ref });
  const { state, reply: result } = d.app.apply(d.state, req.body);
  const next: ReplicaData = {
    ...d,
    state,
    applied: d.applied + 1,
    clients: { ...d.clients, [req.client]: { num: req.num, reply: result } },
  };
  const after = print({ event: 'server.after', name: d.name, state: d.app.show(state), request: ref });
  return { data: next, effects: [before, after, ...reply(next, req, result)] };
}

/**
 * One request: answered from the client table when it is the client's last, refused when lower,
 * held in active mode when it skips a number, applied otherwise. `forward` passes requests taken
 * from clients on to the active peers.
 */
export function execute(d: ReplicaData, req: Request): Step {
  const last = d.clients[req.client];
  if (last && req.num === last.num) {
    return { data: d, effects: [...reply(d, req, last.reply), ...forwards(d, req)] };
  }
  if (last && req.num < last.num) {
    return { data: d, effects: refuse(d, req.origin, `${req.client} last ${last.num}`) };
  }
  if (d.mode === 'active' && req.num > (last?.num ?? 0) + 1) {
    return { data: { ...d, waiting: [...d.waiting, req] }, effects: forwards(d, req) };
  }
  const applied = applyOne(d, req);
  const step = { data: applied.data, effects: [...applied.effects, ...forwards(d, req)] };
  return releaseWaiting(step);
}

/** Active order: a request that filled a gap may release the next ones of its client. */
function releaseWaiting(step: Step): Step {
  let { data, effects } = step;
  for (;;) {
    const next = data.waiting.find((w) => w.num === (data.clients[w.client]?.num ?? 0) + 1);
    if (!next) break;
    const rest = data.waiting.filter((w) => w !== next);
    // Later copies of numbers already applied are answered from the table as usual.
    const r = applyOne({ ...data, waiting: rest }, next);
    data = r.data;
    effects = [...effects, ...r.effects];
  }
  const stale = data.waiting.filter((w) => w.num <= (data.clients[w.client]?.num ?? 0));
  for (const w of stale) effects = [...effects, ...execute({ ...data, waiting: [] }, w).effects];
  if (stale.length > 0) data = { ...data, waiting: data.waiting.filter((w) => !stale.includes(w)) };
  return { data, effects };
}

export function executeAll(d: ReplicaData, requests: Request[]): Step {
  let step: Step = { data: d, effects: [] };
  for (const req of requests) {
    const r = execute(step.data, req);
    step = { data: r.data, effects: [...step.effects, ...r.effects] };
  }
  return step;
}

/** Held requests once this replica may serve them. */
export function releaseHeld(d: ReplicaData): Step {
  return executeAll({ ...d, held: [] }, d.held);
}

/** Held requests once this replica became a passive backup: the client must go to the primary. */
export function refuseHeld(d: ReplicaData): Step {
  return { data: { ...d, held: [] }, effects: d.held.flatMap((r) => refuse(d, r.origin, 'not primary')) };
}

export function hold(d: ReplicaData, req: Request): ReplicaData {
  return { ...d, held: [...d.held, req] };
}

/** A snapshot (checkpoint or recovery) replaces state and client table. */
export function restore(d: ReplicaData, state: string, clients: ClientEntry[], applied: number): ReplicaData {
  return { ...d, state: d.app.restore(state), clients: clientTable(clients), applied, waiting: [] };
}

export function checkpointFrame(d: ReplicaData, to: string): Frame {
  return {
    kind: 'checkpoint',
    from: d.name,
    to,
    number: d.checkpoint,
    state: d.app.snapshot(d.state),
    clients: clientEntries(d),
    epoch: d.epoch,
  };
}

/** A passive primary's periodic checkpoint, to every backup of its current `ready`. */
export function checkpointTo(d: ReplicaData, backups: string[]): Step {
  if (backups.length === 0) return { data: d, effects: [] };
  const data = { ...d, checkpoint: d.checkpoint + 1 };
  const shown = d.app.show(d.state);
  return {
    data,
    effects: backups.flatMap((to) => [
      print({ event: 'checkpoint.sent', name: d.name, to, number: data.checkpoint, state: shown }),
      sendOn(peerLinkId(to), checkpointFrame(data, to)),
    ]),
  };
}

export function recoveryFrame(d: ReplicaData, to: string): Frame {
  return {
    kind: 'recovery',
    from: d.name,
    to,
    state: d.app.snapshot(d.state),
    clients: clientEntries(d),
    applied: d.applied,
    epoch: d.epoch,
  };
}

export function servingEffect(d: ReplicaData): Effect[] {
  return d.lfd ? [answer(d.lfd, { kind: 'serving', server: d.name, epoch: d.epoch })] : [];
}
