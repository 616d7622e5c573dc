/**
 * The state of active mode's total order that every replica keeps (`ReplicaData.order`); what is
 * done with it is in ordering.ts.
 */
import type { ReplyTo } from './effects.js';

export interface OrderEntry {
  client: string;
  num: number;
  body: string;
}

/** A client request taken and not applied yet: whom to answer, and what to pass on to a new sequencer. */
export interface Unordered extends OrderEntry {
  origins: ReplyTo[];
}

export interface OrderState {
  /** The epoch the fields below belong to (a new `ready` epoch resets them). */
  epoch: number;
  /** The sequencer of `epoch`: ourselves, or the sender of its first `order` or `commit`. */
  sequencer: string | null;
  /** The entries after the applied point: `log[0]` is position `applied + 1`. */
  log: OrderEntry[];
  /**
   * Positions up to here are the current sequencer's (received from it in this epoch, in
   * sequence). Entries after it are from an older epoch: kept (one may be committed; a new
   * sequencer re-proposes its whole log) until the current sequencer sends that position.
   */
  confirmed: number;
  /** The highest position known committed. */
  commit: number;
  /** Sequencer: each peer's latest `ack` in this epoch. */
  acks: Record<string, number>;
  /** Sequencer: the last position sent to each peer; absent until the peer's first `ack` says where it is. */
  sent: Record<string, number>;
  unordered: Unordered[];
  /** The last `RETAIN` to `2 × RETAIN` applied entries (ending at `applied`), for peers that lag; beyond them, a snapshot. */
  past: Past | null;
}

/**
 * Applied entries, newest first: appending is O(1) where copying an array of up to 2 × RETAIN
 * entries on every apply was not. Read only when a peer lags, walking back from the newest.
 */
export interface Past {
  entry: OrderEntry;
  before: Past | null;
  length: number;
}

export const RETAIN = 1000;

export function initialOrder(): OrderState {
  return { epoch: 0, sequencer: null, log: [], confirmed: 0, commit: 0, acks: {}, sent: {}, unordered: [], past: null };
}
