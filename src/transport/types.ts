/**
 * The events a transport actor sends to its parent machine and the commands it takes. Both the TCP
 * adapters and the in-memory network speak exactly these, so a machine cannot tell them apart.
 */
import type { CallbackActorLogic } from 'xstate';
import type { Frame, FrameKind, FrameOf, RoleKind } from '../protocol/frames.js';
import type { Limits, Peer, PortKind } from '../protocol/links.js';

export type { Limits, Peer, PortKind };

/**
 * Where a frame came from, enough to answer it: `via` is the id of the transport actor (a listener,
 * an outbound link or a links actor) in the parent, `link` the connection inside it: a listener's
 * `L1`, `L2`, …, the peer's name for a links actor, empty for a single link.
 */
export interface Origin {
  via: string;
  link: string;
  peer: Peer | null;
}

/** `frame.request`, `frame.heartbeat`, …: one accepted frame, already checked against its link. */
export type FrameEvent = {
  [K in FrameKind]: { type: `frame.${K}`; frame: FrameOf<K>; origin: Origin };
}[FrameKind];

/** Frame kinds a listener or a links actor may deliver in batches (`ListenerInput.batch`, `LinksInput.batch`). */
export type BatchKind = 'request' | 'update' | 'order' | 'forward' | 'ack';

/**
 * `batch.request`, `batch.update`: consecutive frames of one kind as one event, in the order they
 * came (src/transport/inbox.ts says which go together). Never empty.
 */
export type BatchEvent = {
  [K in BatchKind]: { type: `batch.${K}`; events: Extract<FrameEvent, { type: `frame.${K}` }>[] };
}[BatchKind];

export type TransportEvent =
  | FrameEvent
  | BatchEvent
  /** A listener is accepting (port is the real one, useful with port 0). */
  | { type: 'listen.ready'; via: string; port: number }
  /** A listener could not bind: fatal for the role. */
  | { type: 'listen.failed'; via: string; reason: string }
  /**
   * A connection is open; for a listener, `origin.link` names it. For a link, the hello (if any) was
   * sent; a links actor's `origin.link` is the peer's name.
   */
  | { type: 'link.up'; origin: Origin }
  /** A connection closed (outbound links reconnect by themselves and send `link.up` again). */
  | { type: 'link.down'; origin: Origin; reason: string }
  /** A refused frame: the transport already answered it with an error frame; for logging. */
  | { type: 'link.refused'; origin: Origin; reason: string };

/** Commands a parent sends to a transport actor. */
export type TransportCommand =
  /**
   * Send on a listener's connection (`link` required), on an outbound link (`link` ignored) or on a
   * links actor's link to the peer named `link`.
   * Frames with the same `coalesce` key written to one connection in one turn of the event loop
   * (or waiting there behind a state in parts) go out as the last of them only: for cumulative
   * frames, where the last says all the others say.
   */
  | { type: 'send'; link?: string; frame: Frame; coalesce?: string }
  /** Close one connection of a listener, or a links actor's current connection to the peer `link`. */
  | { type: 'close'; link: string }
  /**
   * To a links actor: the peers it links to from now on. Links to peers no longer listed stop
   * (reporting nothing more), links to new ones start, the others go on as they are.
   */
  | { type: 'links.want'; peers: WantedPeer[] }
  /**
   * To a links actor: the link to the peer `link`, if it is waiting out a reconnect backoff, tries
   * at once (its parent knows the peer listens again: a relaunched server it must send to).
   */
  | { type: 'links.retry'; link: string }
  /**
   * To a listener: the names each role may say hello under from now on (the configuration was
   * reloaded: a server or an LFD added); connections open already stay as they are.
   */
  | { type: 'names'; names: Partial<Record<RoleKind, readonly string[]>> }
  /** Several commands to one actor, carried out in order (what one step of a machine sends it). */
  | { type: 'batch'; commands: TransportCommand[] };

/** A peer a links actor links to: its name (the `origin.link` of its events) and where it listens. */
export interface WantedPeer {
  name: string;
  host: string;
  port: number;
}

/** Input of a listener actor. `id` must equal the actor's id in its parent (it becomes `origin.via`). */
export interface ListenerInput {
  id: string;
  host: string;
  port: number;
  kind: PortKind;
  self: Peer;
  limits: Limits;
  /** The cluster's secret: hellos that claim a role must prove it (docs/protocol.md). */
  secret?: string | null;
  /** The names each role may say hello under (the configuration's); absent: any. */
  names?: Partial<Record<RoleKind, readonly string[]>>;
  /** At most this many open connections; one more is closed at once. Absent: no limit. */
  maxConnections?: number;
  /** A connection that stops this long inside a frame is closed. Absent: never. */
  stallMs?: number;
  /**
   * Frames of these kinds reach the parent only in `batch.*` events, those of one turn of the event
   * loop together (src/transport/inbox.ts); everything this listener reports then waits for the
   * turn's end, so its order is kept. Absent: every frame is its own `frame.*` event, at once.
   */
  batch?: readonly BatchKind[];
}

/** Input of an outbound link actor; it connects, says hello (unless `hello` is false), reconnects. */
export interface LinkInput {
  id: string;
  host: string;
  port: number;
  self: Peer;
  /** The role expected at the other end; decides which frames the link may carry. */
  target: RoleKind;
  hello: boolean;
  limits: Limits;
  /**
   * The cluster's secret: a link that says hello proves it and makes the listener prove it too;
   * what is sent before both did waits in the link (`link.up` still comes at connect).
   */
  secret?: string | null;
  /** Reconnect backoff: first delay and cap, in ms (capped exponential with jitter). */
  backoff?: { initialMs: number; maxMs: number };
}

/**
 * Input of a links actor: one outbound link (as a link actor's) to each wanted peer, all to the same
 * role with the same hello and backoff; which peers, and where, come by `links.want`.
 */
export type LinksInput = Omit<LinkInput, 'host' | 'port'> & {
  /** As a listener's `batch`: the frames of these kinds that its links read in one turn come as `batch.*` events. */
  batch?: readonly BatchKind[];
};

/** The transport actors a role needs; given to machines through `machine.provide({ actors })`. */
export interface Transport {
  listener: CallbackActorLogic<TransportCommand, ListenerInput>;
  link: CallbackActorLogic<TransportCommand, LinkInput>;
  links: CallbackActorLogic<TransportCommand, LinksInput>;
}
