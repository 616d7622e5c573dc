/**
 * A replica server. It starts `booting` (answers heartbeats and status, holds requests); the RM's
 * `ready` makes it serve at once (the first replica, or a new primary) or recover from a peer's
 * snapshot first. Serving means: `ready.active` (every replica executes), `ready.primary` (executes,
 * checkpoints to its backups) or `ready.backup` (takes checkpoints, refuses clients).
 */
import { and, assertEvent, assign, enqueueActions, not, raise, setup, stateIn } from 'xstate';
import type { App } from '../app/index.js';
import type { ClusterConfig, ServerConfig } from '../config/types.js';
import type { Print } from '../log/events.js';
import { isPeerFrame, PASSING_REFUSALS, type Frame, type FrameOf, type PeerFrame, type ReadyFrame, type RecoveryFrame } from '../protocol/frames.js';
import type { BatchEvent, FrameEvent, Origin, TransportEvent } from '../transport/types.js';
import { answer, PEER_LINKS, print, runEffects, transportSlots, type DurableEvent, type DurableStore, type Effect, refusedLine } from './effects.js';
import { configNaming, linksOf, listenOn, peerPortOf, roleNames, wantServers } from './wiring.js';
import { phaseOf } from './server-phase.js';
import {
  checkpointTo,
  execute,
  foldSteps,
  hold,
  initialData,
  forget,
  fromHistory,
  snapshotEffect,
  recoveryFrame,
  refuse,
  resendTo,
  retarget,
  takeAck,
  refuseHeld,
  releaseHeld,
  restore,
  servingEffect,
  statusOf,
  type ReplicaData,
  type Request,
  type Step,
} from '../core/replica.js';
import { replyTo, toPeer, type History } from '../core/effects.js';
import { textLength } from '../protocol/state-text.js';
import {
  adoptEpoch,
  isOrdered,
  orderLinkUp,
  releaseHeldOrdered,
  restoreOrder,
  takeCatchUpSnapshot,
  takeCommit,
  takeOrders,
  takeOrderAck,
  takeRequests,
} from '../core/ordering.js';

/** The server's two listeners (transport actor ids). */
const CLIENT_PORT = 'clients';
const PEER_PORT = 'peers';

export interface ServerInput {
  name: string;
  config: ClusterConfig;
  app: App<any>;
  pid: number;
  print: Print;
  /** The data folder (`data_dir`); absent: the state lives in memory only. */
  disk?: ServerDisk;
  /** The configuration as its file says now (null: unreadable), for peers a reload added since the start. */
  reloadConfig?: () => ClusterConfig | null;
}

/** A server's data folder, what it held at start, and how the process ends when a write fails. */
export interface ServerDisk {
  store: DurableStore;
  history: History;
  /** A write failed: the process must end (fail-stop) without answering more. */
  failStop: (message: string) => void;
}

export interface ServerContext extends ReplicaData {
  print: Print;
  disk: ServerDisk | null;
  server: ServerConfig;
  config: ClusterConfig;
  reloadConfig: (() => ClusterConfig | null) | null;
  /** Peers whose link is up (links go to the peers this replica sends to, `sendsTo`). */
  up: string[];
  /** Peers owed a snapshot (a checkpoint or a recovery frame) as soon as their link is up. */
  owed: string[];
  /** Which of the two ports are bound. */
  listening: string[];
  /** Peer frames of an epoch newer than our latest `ready`, replayed when such a `ready` arrives. */
  future: FutureEvent[];
  /**
   * Serving, its lease ran out (docs/partitions.md): it keeps its state and goes on with its peers,
   * but answers no client until the RM's next `ready` says whether it serves on or recovers.
   */
  suspended: boolean;
  /**
   * Draining with `durability = checkpoint` as passive primary (docs/operations.md): the backups sent
   * the final checkpoint whose answer is awaited, and those that answered (they hold everything this
   * replica answered).
   */
  handover: { awaiting: string[]; confirmed: string[] };
  /** Reported `leaving` while it serves on, until `released` (docs/operations.md). */
  leaving: boolean;
}

/** A peer frame of this replica's current epoch: past the epoch gate (the `role` region's `frame.*`). */
type PeerEvent = { [K in PeerFrame['kind']]: { type: `peer.${K}`; frame: FrameOf<K>; origin: Origin } }[PeerFrame['kind']];

/** Peer frames of one kind and epoch that came together (`batch.update`, `batch.order`, `batch.forward` from one peer; `batch.ack` from any). */
type PeerBatch = Exclude<BatchEvent, { type: 'batch.request' }>;

/** A peer batch of the current epoch, past the epoch gate: `peer.updates`, `peer.orders`, `peer.forwards`, `peer.acks`. */
type PeerBatchEvent = { [B in PeerBatch as B['type']]: { type: `peer.${B['events'][number]['frame']['kind']}s`; events: B['events'] } }[PeerBatch['type']];

/**
 * What the peer port delivers in batches: a primary's updates, a sequencer's orders, peers'
 * forwards, and (active) peers' acks. The peer links deliver their acks (passive) in batches too.
 */
const PEER_BATCH_KINDS = ['update', 'order', 'forward', 'ack'] as const satisfies readonly PeerBatch['events'][number]['frame']['kind'][];
const PEER_BATCH_TYPES: ReadonlySet<string> = new Set(PEER_BATCH_KINDS.map((k) => `batch.${k}`));

const isPeerBatch = (event: { type: string }): event is PeerBatch => PEER_BATCH_TYPES.has(event.type);

/** A peer frame, or a peer batch, held for the `ready` of its (later) epoch. */
type FutureEvent = Extract<FrameEvent, { frame: PeerFrame }> | PeerBatch;

/**
 * `drain`: SIGTERM (or a test); `drain.overdue`: no `released` in time; `server.left`: the drain is
 * over, the lease region ends too.
 */
type ServerEvent =
  | TransportEvent
  | PeerEvent
  | PeerBatchEvent
  | DurableEvent
  | { type: 'lease.expired' }
  | { type: 'drain' }
  | { type: 'drain.overdue' }
  | { type: 'server.left' };

/** The epoch a peer frame, a peer batch or a `ready` carries; null for anything else. */
function epochOf(event: ServerEvent): number | null {
  if (isPeerBatch(event)) return event.events[0]!.frame.epoch;
  return 'frame' in event && hasEpoch(event.frame) ? event.frame.epoch : null;
}

/** The sender of a peer batch other than acks (one sender per batch, src/transport/inbox.ts). */
const senderOf = (event: Exclude<PeerBatchEvent, { type: 'peer.acks' }>): string => event.events[0]!.frame.from;

/** The acks of a batch that come from this replica's peers. */
const peerAcks = (context: ServerContext, event: Extract<PeerBatchEvent, { type: 'peer.acks' }>) =>
  event.events.filter(({ frame }) => context.peers.includes(frame.from)).map(({ frame }) => frame);

function serverOf(config: ClusterConfig, name: string): ServerConfig {
  const server = config.servers.find((s) => s.name === name);
  if (!server) throw new Error(`no server named ${name} in ${config.source}`);
  return server;
}

/** The peers this replica sends to, and links to: all of them when active, the backups when passive primary. */
function sendsTo(ctx: ServerContext): string[] {
  if (ctx.mode === 'active' || ctx.role === 'primary') return ctx.peers;
  return [];
}

/** The passive primary of the current `ready`, from a backup's view. */
function primaryOf(ctx: ServerContext): string | null {
  if (ctx.role === 'primary') return ctx.name;
  return ctx.mode === 'passive' ? (ctx.peers[0] ?? null) : null;
}

/** The requests an event brings, in order: clients' (a batch), a peer's `forward`, a primary's updates (a batch). */
function requestsOf(event: ServerEvent): Request[] {
  switch (event.type) {
    case 'batch.request':
      return event.events.map(({ frame: f, origin }) => ({ client: f.client, num: f.num, body: f.body, origin, update: null }));
    case 'peer.forwards':
      return event.events.map(({ frame: f }) => ({ client: f.client, num: f.num, body: f.body, origin: null, update: null }));
    case 'peer.updates':
      return event.events.map(({ frame: f, origin }) => ({ client: f.client, num: f.num, body: f.body, origin: null, update: { seq: f.seq, primary: f.from, origin } }));
    default:
      return [];
  }
}

/** The client connections of a batch of requests, each to be answered (here: refused). */
function originsOf(event: ServerEvent): Origin[] {
  return event.type === 'batch.request' ? event.events.map((e) => e.origin) : [];
}

/** A snapshot for a peer: a checkpoint when passive, a recovery frame when active. */
function snapshotFor(ctx: ServerContext, to: string): Step {
  if (ctx.mode === 'active') return { data: ctx, effects: [toPeer(to, recoveryFrame(ctx, to))] };
  return checkpointTo(ctx, [to]);
}

/**
 * This replica's data after a `recovery` snapshot, as `adopt` makes it from the restored state,
 * with the line that says so; a snapshot that does not decode changes nothing and is reported.
 */
function recoverFrom(context: ServerContext, f: RecoveryFrame, adopt: (restored: ReplicaData) => Step): { data: ReplicaData | null; effects: Effect[] } {
  try {
    const step = adopt(restore(context, f.state, f.clients, f.applied));
    const recovered = print({ event: 'server.recovered', name: context.name, from: f.from, applied: f.applied, state: step.data.app.show(step.data.state) });
    const kept = snapshotEffect({ position: f.applied, epoch: context.epoch, clients: f.clients, state: f.state });
    return { data: step.data, effects: [kept, recovered, ...step.effects] };
  } catch (err) {
    return { data: null, effects: [print({ event: 'link.error', name: context.name, peer: f.from, message: `bad recovery: ${(err as Error).message}` })] };
  }
}

/** What `perform` needs of xstate's `enqueue`: running effects, and assigning a step's data. */
type StepEnqueue = Parameters<typeof runEffects>[0] & { assign(update: () => ReplicaData): void };

/** A reply to a client's request (not a refusal, not a status). */
const isAnswer = (e: Effect): boolean => e.kind === 'reply' && (e.frame.kind === 'reply' || e.frame.kind === 'failed');

/** What goes out of a step: nothing answers a client while suspended (it resends, and is answered once served again). */
function outgoing(context: ServerContext, effects: Effect[]): Effect[] {
  return context.suspended ? effects.filter((e) => !isAnswer(e)) : effects;
}

/** Carries out effects; with a data folder, through it (answers once durable). */
function carry(enqueue: Parameters<typeof runEffects>[0], self: Parameters<typeof runEffects>[1], context: ServerContext, effects: Effect[]): void {
  runEffects(enqueue, self, context.print, outgoing(context, effects), context.disk?.store ?? null);
}

/** Carries out a step: its data (if any: a snapshot that did not decode has none) becomes the context, its effects run. */
function perform(
  enqueue: StepEnqueue,
  self: Parameters<typeof runEffects>[1],
  context: ServerContext,
  step: { data: ReplicaData | null; effects: Effect[] },
): void {
  const data = step.data;
  if (data) enqueue.assign(() => data);
  carry(enqueue, self, context, step.effects);
}

/** Frames of a later epoch a server holds at most (and `max_state_frame` characters of them). */
export const MAX_FUTURE_FRAMES = 1024;

/** A peer frame's size as held: its state and body, plus a little for the rest. */
function frameBytes(f: PeerFrame): number {
  const text = 'state' in f ? textLength(f.state) + f.clients.reduce((n, c) => n + c.reply.length + 16, 0) : 'body' in f ? f.body.length : 0;
  return text + 64;
}

/** The frames a held event carries. */
const framesOf = (e: FutureEvent): PeerFrame[] => (isPeerBatch(e) ? e.events.map((u) => u.frame) : [e.frame]);

/** What the held frames of a later epoch take (at most MAX_FUTURE_FRAMES of them to add up). */
const heldBytes = (future: readonly FutureEvent[]): number => future.reduce((n, e) => n + framesOf(e).reduce((m, f) => m + frameBytes(f), 0), 0);

/** How many frames are held. */
const heldFrames = (future: readonly FutureEvent[]): number => future.reduce((n, e) => n + framesOf(e).length, 0);

/** The sequencer's `order` and `commit` (of the current epoch): taken from the current peer while ordered. */
const takeOrderingFrame = () => ({ guard: and(['isFromMyPeer', 'isOrdered']), actions: 'takeOrdering' as const });

/**
 * The epoch gate (SPEC §6 Epochs), once for every state: a peer frame of an older epoch than the
 * latest `ready` is dropped, one of a newer epoch is held until a `ready` of its epoch, and one of
 * this epoch goes on as `peer.*`. Acks are never held: their sender may already be ahead.
 */
const epochGate = (holdsFuture = true) => [
  { guard: 'isStale' as const },
  ...(holdsFuture ? [{ guard: 'isFuture' as const, actions: 'holdFuture' as const }] : []),
  { actions: 'passGate' as const },
];

/**
 * What a `ready` does, whatever the phase: it assigns mode, role, epoch and peers, links to the
 * peers this replica now sends to, lets through the peer frames held for its epoch, retargets the
 * replies waiting for acks and (active) starts the epoch's order. Where it goes is the phase's say.
 */
const adoptReady = () => ['assignReady' as const, 'wantPeers' as const, 'replayHeld' as const, 'retargetPending' as const, 'orderEpoch' as const];

/**
 * A drain (SIGTERM, or the RM's): once only; a passive primary answering before its backups stops
 * and flushes first (`draining`); a replica that has a place to hand over reports `leaving` and
 * serves on; one without (booting, suspended, or no LFD to tell the RM) stops at once.
 */
const drainTransitions = () => [
  { guard: 'isLeaving' as const },
  { guard: and(['mayHandOver', 'mustStopToHandOver']), target: '.draining' as const },
  { guard: and(['mayHandOver', 'hasLfd']), actions: ['leaveServing' as const, 'reportLeaving' as const] },
  { target: '.stopped' as const },
];

/** The lease ran out while recovering: the replica forgets, drops its peer links, and boots again. */
const leaseExpired = () => ({ target: 'booting' as const, actions: ['assignForgotten' as const, 'wantPeers' as const, 'startOver' as const] });

export const serverMachine = setup({
  types: {
    input: {} as ServerInput,
    context: {} as ServerContext,
    events: {} as ServerEvent,
  },
  actors: transportSlots,
  delays: {
    checkpointFreq: ({ context }) => context.cluster.checkpointFreqMs,
    leaseTime: ({ context }) => context.cluster.heartbeatTimeoutMs,
    /** How long a draining server waits for `released` before it stops anyway (as if it had crashed). */
    drainWait: ({ context }) => 3 * context.cluster.heartbeatTimeoutMs,
  },
  guards: {
    isFromLfd: ({ event }) => 'origin' in event && event.origin.peer?.role === 'lfd',
    /** A link of the peer links to a peer this replica still sends to (a stopped link's last word is not). */
    isFromPeerLink: ({ context, event }) =>
      'origin' in event && event.origin.via === PEER_LINKS && sendsTo(context).includes(event.origin.link),
    isFromLfdLink: ({ context, event }) =>
      'origin' in event && event.origin.via === PEER_PORT && event.origin.link === context.lfd?.link,
    /** Peer frames carry the sender's epoch: older ones are dropped, newer ones wait for their `ready`. */
    isStale: ({ context, event }) => (epochOf(event) ?? context.epoch) < context.epoch,
    isFuture: ({ context, event }) => (epochOf(event) ?? context.epoch) > context.epoch,
    isPrimaryReady: ({ event }) => event.type === 'frame.ready' && event.frame.role === 'primary',
    isSuspended: ({ context }) => context.suspended,
    isLeaseHeld: stateIn({ lease: 'held' }),
    /** The RM counts this server as serving already: not meant for a process that does not serve. */
    isReadyForServing: ({ event }) => event.type === 'frame.ready' && event.frame.serving === true,
    hasPeers: ({ event }) => event.type === 'frame.ready' && event.frame.peers.length > 0,
    isRoleChange: ({ context, event }) =>
      event.type === 'frame.ready' && (event.frame.role !== context.role || event.frame.mode !== context.mode),
    isActive: ({ context }) => context.mode === 'active',
    /** A heartbeat from a peer server on the peer port: a draining primary's marker after its final checkpoint. */
    isFromServerPeer: ({ event }) => 'origin' in event && event.origin.via === PEER_PORT && event.origin.peer?.role === 'server',
    /** Serving or recovering, within its lease: it has a place in the membership to hand over. */
    mayHandOver: and([not('isSuspended'), not(stateIn({ role: 'booting' }))]),
    /**
     * A passive primary with backups linked stops taking requests before it leaves: with
     * `durability = checkpoint` it must give them its final state first (it answered before they
     * took what it answered); with `sync` they hold all it answered already, and taking no more lets
     * the hand-over run on quiet processes (bench: a drain's longest client silence below a kill's).
     * Any other replica serves on until it is released: everything it answered is at the others
     * already (active: every replica took it in order), and what it answers meanwhile is
     * acknowledged the same way, or not answered at all once they moved on.
     */
    mustStopToHandOver: ({ context }) =>
      context.mode === 'passive' && context.role === 'primary' && context.up.some((p) => context.peers.includes(p)),
    isLeaving: ({ context }) => context.leaving,
    isFlushAnswer: ({ context, event }) =>
      event.type === 'frame.heartbeat' && 'origin' in event && event.origin.via === PEER_LINKS && context.handover.awaiting.includes(event.frame.from),
    isFlushed: ({ context }) => context.handover.awaiting.length === 0,
    hasLfd: ({ context }) => context.lfd !== null,
    /** Active mode under the sequencer's total order (ordering.ts); off only by a test switch. */
    isOrdered: ({ context }) => isOrdered(context),
    isPrimary: ({ context }) => context.role === 'primary',
    /** A passive backup takes checkpoints only from the primary of its current `ready`. */
    isFromMyPrimary: ({ context, event }) =>
      (event.type === 'peer.checkpoint' && event.frame.from === primaryOf(context)) ||
      (event.type === 'peer.updates' && senderOf(event) === primaryOf(context)),
    isFromMyPeer: ({ context, event }) =>
      ((event.type === 'peer.recovery' || event.type === 'peer.commit') && context.peers.includes(event.frame.from)) ||
      ((event.type === 'peer.forwards' || event.type === 'peer.orders') && context.peers.includes(senderOf(event))),
  },
  actions: {
    logRefused: enqueueActions(({ enqueue, self, context, event }) => {
      if (event.type === 'link.refused') carry(enqueue, self, context, [refusedLine(context.name, event)]);
    }),
    markListening: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'listen.ready');
      const listening = [...new Set([...context.listening, event.via])];
      enqueue.assign({ listening });
      if (listening.length < 2 || context.listening.length === 2) return;
      carry(enqueue, self, context, [
        print({
          event: 'server.started',
          name: context.name,
          host: context.server.host,
          port: context.server.port,
          peerHost: context.server.peerHost,
          peerPort: context.server.peerPort,
          pid: context.pid,
        }),
      ]);
    }),
    greetLfd: enqueueActions(({ enqueue, event }) => {
      if (event.type === 'frame.hello' && event.origin.via === PEER_PORT && event.origin.peer?.role === 'lfd') {
        enqueue.assign({ lfd: event.origin });
      }
    }),
    answerHeartbeat: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.heartbeat');
      const { from, count } = event.frame;
      carry(enqueue, self, context, [
        print({ event: 'server.heartbeat', name: context.name, from, count }),
        answer(event.origin, { kind: 'heartbeat', from: context.name, to: from, count }),
      ]);
    }),
    answerStatus: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.statusQuery');
      const phase = phaseOf({ value: self.getSnapshot().value, context });
      carry(enqueue, self, context, [answer(event.origin, statusOf(context, phase, event.frame.from, context.disk && { taken: context.disk.history.taken ?? 0 }))]);
    }),
    holdRequests: enqueueActions(({ enqueue, context, event }) => {
      const reqs = requestsOf(event);
      if (reqs.length > 0) enqueue.assign(() => hold(context, reqs));
    }),
    refuseNotPrimary: enqueueActions(({ enqueue, self, context, event }) => {
      carry(enqueue, self, context, originsOf(event).flatMap((origin) => refuse(context, origin, PASSING_REFUSALS.notPrimary)));
    }),
    refuseSuspended: enqueueActions(({ enqueue, self, context, event }) => {
      carry(enqueue, self, context, originsOf(event).flatMap((origin) => refuse(context, origin, PASSING_REFUSALS.suspended)));
    }),
    /** The lease ran out while serving: no client is answered until the RM's next `ready`. */
    suspend: enqueueActions(({ enqueue, self, context }) => {
      enqueue.assign({ suspended: true });
      carry(enqueue, self, context, [
        print({ event: 'server.phase', name: context.name, phase: 'suspended', reason: 'no heartbeat from the LFD: lease expired, answers no client until the RM assigns it again' }),
      ]);
    }),
    resume: assign({ suspended: false }),
    /**
     * Suspended, and its lease renewed: its LFD hears a GFD again. Its status tells the LFD, which
     * reports it again, so that the RM's `ready` says whether it serves on or recovers.
     */
    tellSuspended: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.heartbeat');
      if (!context.suspended) return;
      carry(enqueue, self, context, [answer(event.origin, statusOf(context, 'suspended', event.frame.from))]);
    }),
    /** Active, ordered: each request waits for its position (ordering.ts). */
    orderRequests: enqueueActions(({ enqueue, self, context, event }) => {
      const reqs = requestsOf(event);
      if (reqs.length > 0) perform(enqueue, self, context, takeRequests(context, reqs));
    }),
    /** `order` and `commit` from the sequencer; while recovering they are only kept. */
    takeOrdering: enqueueActions(({ enqueue, self, context, event }) => {
      const serving = phaseOf({ value: self.getSnapshot().value, context }) !== 'recovering';
      if (event.type === 'peer.orders') perform(enqueue, self, context, takeOrders(context, event.events.map((e) => e.frame), serving));
      if (event.type === 'peer.commit') perform(enqueue, self, context, takeCommit(context, event.frame, serving));
    }),
    takeOrderAcks: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'peer.acks');
      perform(enqueue, self, context, foldSteps(context, peerAcks(context, event), (d, ack) => takeOrderAck(d, ack.from, ack.seq)));
    }),
    /** A serving active replica that lags past what its sequencer retains gets a snapshot. */
    takeCatchUp: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'peer.recovery');
      if (event.frame.applied <= context.applied) return;
      const step = recoverFrom(context, event.frame, (restored) => takeCatchUpSnapshot(context, restored));
      perform(enqueue, self, context, step);
    }),
    executeRequests: enqueueActions(({ enqueue, self, context, event }) => {
      const reqs = requestsOf(event);
      if (reqs.length > 0) perform(enqueue, self, context, foldSteps(context, reqs, execute));
    }),
    /** A peer frame of the current epoch goes on as `peer.*` (after this step, before any other event). */
    passGate: enqueueActions(({ enqueue, event }) => {
      if (isPeerBatch(event)) enqueue.raise({ type: `peer.${event.events[0]!.frame.kind}s`, events: event.events } as PeerBatchEvent);
      else if ('frame' in event && isPeerFrame(event.frame) && event.type.startsWith('frame.')) enqueue.raise({ ...event, type: `peer.${event.frame.kind}` } as PeerEvent);
    }),
    /**
     * Held until a `ready` of its epoch, within bounds: a peer that floods frames of a future epoch
     * (forged, or a runaway) would otherwise grow this without end. Past them the frame is dropped
     * and its link closed, so a genuine sender connects again and sends once more what was not
     * acknowledged (as after any lost link).
     */
    holdFuture: enqueueActions(({ enqueue, self, context, event }) => {
      if (!isPeerBatch(event) && !('frame' in event && isPeerFrame(event.frame))) return;
      const held = event as FutureEvent;
      const frames = heldFrames(context.future);
      if (frames + framesOf(held).length <= MAX_FUTURE_FRAMES && heldBytes([...context.future, held]) <= context.cluster.maxStateFrame) {
        enqueue.assign({ future: [...context.future, held] });
        return;
      }
      const origin = isPeerBatch(held) ? held.events[0]!.origin : held.origin;
      const from = origin.peer?.name ?? origin.link;
      const text = `holds ${frames} frames of a later epoch already; drops ${framesOf(held)[0]!.kind} from ${from} and closes its link`;
      carry(enqueue, self, context, [
        print({ event: 'note', name: context.name, level: 'warn', text }),
        { kind: 'close', via: origin.via, link: origin.link },
      ]);
    }),
    /** The assignment a `ready` names: mode, role, epoch, peers. */
    assignReady: assign(({ event }) => {
      assertEvent(event, 'frame.ready');
      const { mode, role, epoch, peers }: ReadyFrame = event.frame;
      return { mode, role, epoch, peers };
    }),
    /**
     * Links to the peers this replica sends to now (those it had stay as they are); a peer it no
     * longer sends to is neither up nor owed a snapshot.
     */
    wantPeers: enqueueActions(({ enqueue, context }) => {
      const wanted = sendsTo(context);
      // A peer this server has not heard of: a reload added it; the file says where it listens.
      const config = configNaming(context.config, context.peers, context.reloadConfig);
      if (config !== context.config) {
        enqueue.assign({ config });
        enqueue.sendTo(PEER_PORT, { type: 'names', names: roleNames(config) });
      }
      enqueue.sendTo(PEER_LINKS, wantServers(config.servers, wanted, peerPortOf));
      enqueue.assign({ up: context.up.filter((p) => wanted.includes(p)), owed: context.owed.filter((p) => wanted.includes(p)) });
    }),
    /** The peer frames held for this epoch go through the gate again, in the order they came. */
    replayHeld: enqueueActions(({ enqueue, context }) => {
      enqueue.assign({ future: context.future.filter((e) => epochOf(e)! > context.epoch) });
      for (const e of context.future.filter((e) => epochOf(e)! <= context.epoch)) enqueue.raise(e);
    }),
    /** The replies waiting for backups' acks follow the new assignment (`retarget`). */
    retargetPending: enqueueActions(({ enqueue, self, context }) => perform(enqueue, self, context, retarget(context))),
    /** Active, ordered: the new epoch's order (`adoptEpoch`). */
    orderEpoch: enqueueActions(({ enqueue, self, context }) => {
      if (isOrdered(context)) perform(enqueue, self, context, adoptEpoch(context));
    }),
    confirmServing: enqueueActions(({ enqueue, self, context }) =>
      carry(enqueue, self, context, servingEffect(context)),
    ),
    printReady: enqueueActions(({ enqueue, self, context }) => {
      if (context.mode === null || context.role === null) return;
      carry(enqueue, self, context, [
        print({ event: 'server.ready', name: context.name, mode: context.mode, replicaRole: context.role, epoch: context.epoch }),
      ]);
    }),
    releaseHeld: enqueueActions(({ enqueue, self, context }) => {
      const step = isOrdered(context) ? releaseHeldOrdered(context) : releaseHeld(context);
      perform(enqueue, self, context, step);
    }),
    refuseHeld: enqueueActions(({ enqueue, self, context }) => {
      const step = refuseHeld(context);
      perform(enqueue, self, context, step);
    }),
    /** A new primary owes every backup a checkpoint at once, sent as each link comes up. */
    oweSnapshots: enqueueActions(({ enqueue, context }) =>
      enqueue.assign({ owed: [...new Set([...context.owed, ...context.peers.filter((p) => !context.up.includes(p))])] }),
    ),
    checkpointBackups: enqueueActions(({ enqueue, self, context }) => {
      const step = checkpointTo(context, context.peers.filter((p) => context.up.includes(p)));
      perform(enqueue, self, context, step);
    }),
    /** `send_checkpoint`: a snapshot to the recovering peer now, or as soon as its link is up. */
    sendSnapshot: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.sendCheckpoint');
      const to = event.frame.to;
      if (!sendsTo(context).includes(to)) return;
      if (!context.up.includes(to)) {
        if (!context.owed.includes(to)) enqueue.assign({ owed: [...context.owed, to] });
        // The RM orders it once the peer answered its LFD, so the peer listens: no need to wait
        // out a backoff grown while it was down and starting again.
        enqueue.sendTo(PEER_LINKS, { type: 'links.retry', link: to });
        return;
      }
      const step = snapshotFor(context, to);
      perform(enqueue, self, context, step);
    }),
    peerUp: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'link.up');
      const peer = event.origin.link;
      const linkUp: ServerContext = {
        ...context,
        up: [...context.up.filter((p) => p !== peer), peer],
        owed: context.owed.filter((p) => p !== peer),
      };
      // A snapshot owed goes first: the updates resent after it are skipped or applied on top of it.
      const step = context.owed.includes(peer) ? snapshotFor(linkUp, peer) : { data: linkUp, effects: [] };
      const ordered = isOrdered(step.data) ? orderLinkUp(step.data, peer) : { data: step.data, effects: [] };
      enqueue.assign(() => ordered.data);
      carry(enqueue, self, context, [...step.effects, ...resendTo(step.data, peer), ...ordered.effects]);
    }),
    assignPeerDown: assign(({ context, event }) => {
      assertEvent(event, 'link.down');
      return { up: context.up.filter((p) => p !== event.origin.link) };
    }),
    assignNoLfd: assign({ lfd: null }),
    takeAcks: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'peer.acks');
      perform(enqueue, self, context, foldSteps(context, peerAcks(context, event), (d, ack) => takeAck(d, ack.from, ack.seq)));
    }),
    /** The lease ran out: whatever this process holds may be stale (its assignment too). */
    assignForgotten: assign(({ context }) => ({ ...forget(context), up: [], owed: [], future: [] })),
    /** Booting again, said and shown to the LFD. */
    startOver: enqueueActions(({ enqueue, self, context }) => {
      // Closing the LFD's link makes the loss visible: the LFD reports delete, reconnects, reports
      // add, and the RM lets this process recover like any new one. Unseen, it would stay booting.
      const closeLfd: Effect[] = context.lfd ? [{ kind: 'close', via: PEER_PORT, link: context.lfd.link }] : [];
      carry(enqueue, self, context, [
        print({ event: 'server.phase', name: context.name, phase: 'booting', reason: 'no heartbeat from the LFD: lease expired, state dropped' }),
        ...closeLfd,
      ]);
    }),
    ignoreReady: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.ready');
      const f = event.frame;
      carry(enqueue, self, context, [
        print({
          event: 'note',
          name: context.name,
          level: 'info',
          text: `ignores a ready (${f.mode} ${f.role}, epoch ${f.epoch}) meant for a process that serves; this one does not`,
        }),
      ]);
    }),
    /** What waited for the data folder goes out now; a failed write ends the process first (fail-stop). */
    answerDurable: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'storage.durable');
      if (event.error !== null) {
        const message = `cannot write its data folder (${event.error}): stops, answering nothing more`;
        runEffects(enqueue, self, context.print, [print({ event: 'note', name: context.name, level: 'error', text: message })]);
        enqueue(() => context.disk?.failStop(message));
        return;
      }
      // A passive primary made a backup while its answers waited answers no client any more (as
      // it drops those waiting for acks): the client resends to the new primary.
      const deposed = context.mode === 'passive' && context.role !== 'primary';
      const effects = deposed ? event.effects.filter((e) => !isAnswer(e)) : outgoing(context, event.effects);
      runEffects(enqueue, self, context.print, effects);
    }),
    printDraining: enqueueActions(({ enqueue, self, context }) =>
      carry(enqueue, self, context, [
        print({ event: 'server.phase', name: context.name, phase: 'draining', reason: 'takes no more requests, hands its role over, then stops' }),
      ]),
    ),
    /**
     * `durability = checkpoint`: the final checkpoint to every linked backup, each followed on its
     * link by a heartbeat whose answer shows it was taken (`sync`: nothing to flush).
     */
    flushToBackups: enqueueActions(({ enqueue, self, context }) => {
      if (context.cluster.durability !== 'checkpoint') return;
      const backups = context.peers.filter((p) => context.up.includes(p));
      const step = checkpointTo(context, backups);
      const marks = backups.map((to) => toPeer(to, { kind: 'heartbeat', from: context.name, to, count: step.data.checkpoint }));
      enqueue.assign(() => ({ ...step.data, handover: { awaiting: backups, confirmed: [] } }));
      carry(enqueue, self, context, [...step.effects, ...marks]);
    }),
    takeFlushAnswer: assign(({ context, event }) => {
      assertEvent(event, 'frame.heartbeat');
      const from = event.frame.from;
      return { handover: { awaiting: context.handover.awaiting.filter((p) => p !== from), confirmed: [...context.handover.confirmed, from] } };
    }),
    /** A backup whose link went down before it answered holds no final checkpoint. */
    dropFlushPeer: assign(({ context, event }) => {
      assertEvent(event, 'link.down');
      return { handover: { ...context.handover, awaiting: context.handover.awaiting.filter((p) => p !== event.origin.link) } };
    }),
    /** Leaving while it serves on: the RM hears it now, and `released` (or `drainWait`) ends it. */
    leaveServing: enqueueActions(({ enqueue, self, context }) => {
      enqueue.assign({ leaving: true });
      enqueue.raise({ type: 'drain.overdue' }, { delay: 'drainWait' });
      carry(enqueue, self, context, [
        print({ event: 'server.phase', name: context.name, phase: 'leaving', reason: 'hands its role over, serves until the RM names another, then stops' }),
      ]);
    }),
    reportLeaving: enqueueActions(({ enqueue, self, context }) => {
      if (!context.lfd) return;
      const frame: Frame = { kind: 'leaving', server: context.name, epoch: context.epoch, handedTo: context.handover.confirmed };
      carry(enqueue, self, context, [replyTo(context.lfd, frame)]);
    }),
    printLeft: enqueueActions(({ enqueue, self, context, event }) => {
      const reason =
        event.type === 'frame.released' ? 'released: a primary serves without it'
        : context.lfd === null ? 'no LFD to tell the RM'
        : event.type === 'drain' || event.type === 'frame.drain' ? 'nothing to hand over'
        : 'no release from the RM in time';
      carry(enqueue, self, context, [print({ event: 'server.phase', name: context.name, phase: 'stopped', reason })]);
    }),
    dropFuture: enqueueActions(({ enqueue, context }) => {
      if (context.future.length > 0) enqueue.assign({ future: [] });
    }),
    /**
     * A suspended replica's `ready` that makes it recover: it was deleted meanwhile, so the
     * primary's periodic checkpoints it held for this `ready`'s epoch may have been sent before
     * that, and the primary went on without it; recovering from one would miss what came between
     * (simulator seed 31684, long partitions). The snapshot to recover from comes after the `ready`.
     * (A recovering replica cannot be deleted without losing its lease, and booting forgets all.)
     */
    dropHeldCheckpoints: enqueueActions(({ enqueue, context }) => {
      const isCheckpoint = (e: FutureEvent) => e.type === 'frame.checkpoint';
      if (context.future.some(isCheckpoint)) enqueue.assign({ future: context.future.filter((e) => !isCheckpoint(e)) });
    }),
    takeCheckpoint: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'peer.checkpoint');
      const f = event.frame;
      const effects: Effect[] = [];
      try {
        const data = restore(context, f.state, f.clients, f.applied ?? context.applied);
        enqueue.assign(() => ({ ...data, checkpoint: f.number }));
        effects.push(
          snapshotEffect({ position: data.applied, epoch: data.epoch, clients: f.clients, state: f.state }),
          print({ event: 'checkpoint.taken', name: context.name, from: f.from, number: f.number, state: data.app.show(data.state) }),
        );
      } catch (err) {
        effects.push(print({ event: 'link.error', name: context.name, peer: f.from, message: `bad checkpoint: ${(err as Error).message}` }));
      }
      carry(enqueue, self, context, effects);
    }),
    takeRecovery: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'peer.recovery');
      // Active: the snapshot is a sequence point; the order held beyond it stays.
      const step = recoverFrom(context, event.frame, (restored) => ({
        data: isOrdered(context) ? restoreOrder(context, restored) : restored,
        effects: [],
      }));
      perform(enqueue, self, context, step);
    }),
  },
}).createMachine({
  id: 'server',
  context: ({ input }) => ({
    ...fromHistory(initialData(input.name, input.pid, input.app, input.config.cluster), input.disk?.history ?? null),
    print: input.print,
    disk: input.disk ?? null,
    server: serverOf(input.config, input.name),
    config: input.config,
    reloadConfig: input.reloadConfig ?? null,
    up: [],
    owed: [],
    future: [],
    listening: [],
    suspended: false,
    handover: { awaiting: [], confirmed: [] },
    leaving: false,
  }),

  invoke: [
    {
      src: 'listener',
      id: CLIENT_PORT,
      input: ({ context }) => listenOn(
        CLIENT_PORT,
        context.server,
        'server-client',
        { name: context.name, role: 'server' },
        context.config,
        ['request'],
      ),
    },
    {
      src: 'listener',
      id: PEER_PORT,
      input: ({ context }) => listenOn(
        PEER_PORT,
        peerPortOf(context.server),
        'server-peer',
        { name: context.name, role: 'server' },
        context.config,
        PEER_BATCH_KINDS,
      ),
    },
    {
      src: 'links',
      id: PEER_LINKS,
      // A passive primary's backups answer its updates with acks on these links.
      input: ({ context }) => ({ ...linksOf(PEER_LINKS, { name: context.name, role: 'server' }, 'server', context.cluster, { hello: true }), batch: ['ack'] }),
    },
  ],
  on: {
    'link.refused': { actions: 'logRefused' },
    // Printed once both ports are bound: a server whose port is taken never claims to have started.
    'listen.ready': { actions: 'markListening' },
    'frame.hello': { actions: 'greetLfd' },
    'link.up': { guard: 'isFromPeerLink', actions: 'peerUp' },
    'link.down': [{ guard: 'isFromPeerLink', actions: 'assignPeerDown' }, { guard: 'isFromLfdLink', actions: 'assignNoLfd' }],
    'frame.statusQuery': { actions: 'answerStatus' },
    'storage.durable': { actions: 'answerDurable' },
    // The lease region takes its LFD's; a peer's is answered (and renews nothing).
    'frame.heartbeat': { guard: 'isFromServerPeer', actions: 'answerHeartbeat' },
  },
  type: 'parallel',
  states: {
    role: {
      initial: 'booting',
      on: {
        'frame.checkpoint': epochGate(),
        'frame.recovery': epochGate(),
        'batch.forward': epochGate(),
        'batch.update': epochGate(),
        'batch.order': epochGate(),
        'frame.commit': epochGate(),
        'batch.ack': epochGate(false),
        drain: drainTransitions(),
        'frame.drain': drainTransitions(),
        'frame.released': { guard: 'isLeaving', target: '.stopped' },
        'drain.overdue': { target: '.stopped' },
      },
      states: {
        booting: {
          on: {
            // Frames held while booting would outlive an assignment this process never learned of.
            'lease.expired': { actions: 'dropFuture' },
            // A snapshot is taken only while recovering, never held while booting: one that came
            // before its `ready` may have been sent for an assignment that ended meanwhile (the RM
            // removed this server before the `ready` arrived), and recovering from it would miss what
            // came after. The RM repeats `send_checkpoint` while a member does not serve.
            'frame.checkpoint': {},
            'frame.recovery': {},
            'batch.request': { actions: 'holdRequests' },
            'frame.ready': [
              { guard: 'isStale' },
              // Sent for a process that served under this name (relaunched since, or this one before
              // its lease ran out): the RM learns of the change from the LFD and assigns it afresh.
              { guard: 'isReadyForServing', actions: 'ignoreReady' },
              { guard: 'isPrimaryReady', target: 'ready', actions: adoptReady() },
              { guard: 'hasPeers', target: 'recovering', actions: adoptReady() },
              { target: 'ready', actions: adoptReady() },
            ],
          },
        },
        /** Waiting for a peer's snapshot; everything that would change the state is held until then. */
        recovering: {
          on: {
            'lease.expired': leaseExpired(),
            'batch.request': { actions: 'holdRequests' },
            'peer.forwards': { guard: 'isFromMyPeer', actions: 'holdRequests' },
            'peer.updates': { guard: 'isFromMyPrimary', actions: 'holdRequests' },
            'frame.ready': [
              { guard: 'isStale' },
              { guard: 'isReadyForServing', actions: 'ignoreReady' },
              { guard: 'isPrimaryReady', target: 'ready', actions: adoptReady() },
              // Drawn as a transition (not re-entering): a new assignment still waits for its snapshot.
              { target: 'recovering', actions: adoptReady() },
            ],
            'peer.checkpoint': { guard: 'isFromMyPrimary', target: 'ready', actions: 'takeCheckpoint' },
            'peer.recovery': { guard: 'isFromMyPeer', target: 'ready', actions: 'takeRecovery' },
            // Active: the sequencer's order is kept for after the snapshot (nothing applied before it).
            'peer.orders': takeOrderingFrame(),
            'peer.commit': takeOrderingFrame(),
          },
        },
        ready: {
          initial: 'deciding',
          on: {
            'lease.expired': { guard: not('isSuspended'), actions: 'suspend' },
            'frame.ready': [
              { guard: 'isStale' },
              // Not before its lease is renewed: when it is, the LFD has the RM assign it again.
              { guard: and(['isSuspended', not('isLeaseHeld')]) },
              // Suspended: the RM no longer counts it as serving (it was deleted meanwhile and may
              // have missed updates), so unless it is to serve with what it holds, it recovers (its
              // peer links stay: a snapshot comes on them as on any).
              {
                guard: and(['isSuspended', not('isReadyForServing'), not('isPrimaryReady')]),
                target: 'recovering',
                actions: ['resume', 'dropHeldCheckpoints', ...adoptReady()],
              },
              { guard: 'isRoleChange', target: '.deciding', actions: ['resume', ...adoptReady()] },
              { actions: ['resume', ...adoptReady(), 'confirmServing' as const] },
            ],
            'frame.sendCheckpoint': { actions: 'sendSnapshot' },
          },
          states: {
            deciding: {
              always: [
                { guard: 'isActive', target: 'active' },
                { guard: 'isPrimary', target: 'primary' },
                { target: 'backup' },
              ],
            },
            active: {
              entry: ['printReady', 'confirmServing', 'releaseHeld'],
              on: {
                'batch.request': [
                  { guard: 'isSuspended', actions: 'refuseSuspended' },
                  { guard: 'isOrdered', actions: 'orderRequests' },
                  { actions: 'executeRequests' },
                ],
                'peer.forwards': [
                  { guard: and(['isFromMyPeer', 'isOrdered']), actions: 'orderRequests' },
                  { guard: 'isFromMyPeer', actions: 'executeRequests' },
                ],
                'peer.orders': takeOrderingFrame(),
                'peer.commit': takeOrderingFrame(),
                'peer.acks': { guard: 'isOrdered', actions: 'takeOrderAcks' },
                'peer.recovery': { guard: and(['isFromMyPeer', 'isOrdered']), actions: 'takeCatchUp' },
              },
            },
            primary: {
              entry: ['printReady', 'confirmServing', 'releaseHeld', 'oweSnapshots'],
              on: {
                'batch.request': [{ guard: 'isSuspended', actions: 'refuseSuspended' }, { actions: 'executeRequests' }],
                'peer.acks': { actions: 'takeAcks' },
              },
              initial: 'checkpointing',
              states: {
                checkpointing: {
                  entry: 'checkpointBackups',
                  after: { checkpointFreq: { target: 'checkpointing', reenter: true } },
                },
              },
            },
            backup: {
              entry: ['printReady', 'confirmServing', 'refuseHeld'],
              on: {
                'batch.request': { actions: 'refuseNotPrimary' },
                'peer.checkpoint': { guard: 'isFromMyPrimary', actions: 'takeCheckpoint' },
                'peer.updates': { guard: 'isFromMyPrimary', actions: 'executeRequests' },
              },
            },
          },
        },
        /**
         * Graceful hand-over of a passive primary with `durability = checkpoint` (docs/operations.md):
         * no more requests are taken (clients resend to the primary the RM names next), its linked
         * backups get its final state; then the RM hears `leaving`, takes the replica out of the
         * membership and, once a primary serves, answers `released`. Without an answer in
         * `drainWait` it stops all the same: to the others that is a crash, which they survive.
         */
        draining: {
          entry: 'printDraining',
          initial: 'flushing',
          on: {
            drain: {},
            'frame.drain': {},
            // Replies that waited for backups' acks still go out.
            'peer.acks': { guard: 'isPrimary', actions: 'takeAcks' },
            'frame.released': { target: 'stopped' },
          },
          after: { drainWait: 'stopped' },
          states: {
            flushing: {
              entry: 'flushToBackups',
              always: { guard: 'isFlushed', target: 'leaving' },
              on: {
                'frame.heartbeat': { guard: 'isFlushAnswer', actions: 'takeFlushAnswer' },
                'link.down': [{ guard: 'isFromPeerLink', actions: ['assignPeerDown', 'dropFlushPeer'] }, { guard: 'isFromLfdLink', actions: 'assignNoLfd' }],
              },
              // A backup that does not answer in time is not handed to (the RM picks among those that did).
              after: { leaseTime: 'leaving' },
            },
            leaving: {
              entry: 'reportLeaving',
              always: { guard: not('hasLfd'), target: '#server.role.stopped' },
            },
          },
        },
        stopped: {
          type: 'final',
          entry: ['printLeft', raise({ type: 'server.left' })],
        },
      },
    },
    /**
     * The lease (SPEC §6 Fencing): a replica serves only within `heartbeat_timeout` of its LFD's
     * last heartbeat, and its LFD renews it only while it hears a GFD (docs/partitions.md). Past
     * it a serving replica is suspended (a frozen and thawed one, or one cut off from the GFD: it
     * answers no client, the RM may have named another primary); one that recovers boots again.
     * It starts with the first heartbeat: a server driven by hand has none to lose.
     */
    lease: {
      initial: 'none',
      on: { 'server.left': '.ended' },
      states: {
        ended: { type: 'final' },
        none: {
          on: { 'frame.heartbeat': { guard: 'isFromLfd', target: 'held', actions: ['answerHeartbeat', 'tellSuspended'] } },
        },
        held: {
          on: { 'frame.heartbeat': { guard: 'isFromLfd', target: 'held', reenter: true, actions: 'answerHeartbeat' } },
          after: { leaseTime: { target: 'none', actions: raise({ type: 'lease.expired' }) } },
        },
      },
    },
  },
});

export { phaseOf };

function hasEpoch(f: Frame): f is PeerFrame | ReadyFrame {
  return isPeerFrame(f) || f.kind === 'ready';
}
