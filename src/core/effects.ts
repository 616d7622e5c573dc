/**
 * What a decision of the core produces, as data (the etcd-raft split): frames to peers by name,
 * answers to where a frame came from, and lines to print. The machines carry them out through their
 * transport actors and the injected printer (`src/actors/effects.ts`), so the core touches no I/O.
 */
import type { ClientEntry, Frame } from '../protocol/frames.js';
import type { LogEvent } from '../log/events.js';
import type { StateText } from '../protocol/state-text.js';

/**
 * Where a frame came from, enough to answer it, opaque to the core: the machine's transport actor
 * and its connection (the transport's `Origin` is one).
 */
export interface ReplyTo {
  readonly via: string;
  readonly link: string;
}

/** One position of the replicated history as a replica applied it (or skipped it, having it already). */
export interface HistoryEntry {
  position: number;
  epoch: number;
  client: string;
  num: number;
  body: string;
}

/** A replica's whole state at a position of the history, as a snapshot on disk keeps it. */
export interface HistorySnapshot {
  position: number;
  epoch: number;
  clients: ClientEntry[];
  state: StateText;
}

/** What a data folder held at start: its snapshot and the positions after it (src/storage/replica-storage.ts). */
export interface History {
  snapshot: HistorySnapshot | null;
  entries: HistoryEntry[];
  /** The highest epoch whose `ready` the folder recorded (absent: none). */
  taken?: number;
}

export type Effect =
  /** To the server named `to`, over this replica's link to it. */
  | { kind: 'peer'; to: string; frame: Frame; cumulative?: boolean }
  /**
   * Back where a frame came from. `cumulative`: the frame says everything an earlier one of its
   * kind to the same peer in the same epoch said, so of those still waiting to go out (written in
   * the same turn, or behind a state in parts) only the last need go out.
   */
  | { kind: 'reply'; to: ReplyTo; frame: Frame; cumulative?: boolean }
  | { kind: 'send'; via: string; link?: string; frame: Frame }
  | { kind: 'close'; via: string; link: string }
  | { kind: 'print'; event: LogEvent }
  /**
   * With a data folder (docs/durability.md): a position to append to the log, or a snapshot that
   * replaces the history before it. Without one, nothing. Answers, acknowledgements and `serving`
   * after these go out only once they are durable.
   */
  | { kind: 'persist'; entry: HistoryEntry }
  | { kind: 'snapshot'; snapshot: HistorySnapshot }
  /**
   * The epoch of a `ready` this replica serves in, recorded before it says `serving`: after a
   * power cut the RM then opens an epoch above it, never one that already had a primary.
   */
  | { kind: 'epoch'; epoch: number };

export function toPeer(to: string, frame: Frame, cumulative = false): Effect {
  return cumulative ? { kind: 'peer', to, frame, cumulative } : { kind: 'peer', to, frame };
}

export function replyTo(to: ReplyTo, frame: Frame, cumulative = false): Effect {
  return cumulative ? { kind: 'reply', to, frame, cumulative } : { kind: 'reply', to, frame };
}

/** A frame to whoever sent `origin`'s frame (the roles without a core: LFD, GFD, RM, client). */
export function answer(origin: ReplyTo, frame: Frame): Effect {
  return { kind: 'send', via: origin.via, link: origin.link, frame };
}

/** A frame through a transport actor; `link` picks a connection in it (a listener's, a links actor's peer). */
export function sendOn(via: string, frame: Frame, link?: string): Effect {
  return link === undefined ? { kind: 'send', via, frame } : { kind: 'send', via, link, frame };
}

export function print(event: LogEvent): Effect {
  return { kind: 'print', event };
}
