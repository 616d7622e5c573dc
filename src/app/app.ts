/**
 * The replicated application: a deterministic state machine that every replica runs. Replicas agree
 * because they start from the same state and apply the same requests in the same order.
 */
import type { AppName } from '../config/types.js';

export interface Applied<S> {
  state: S;
  reply: string;
}

export interface App<S = unknown> {
  readonly name: AppName;
  initial(): S;
  /**
   * Apply one request. May update `state` in place and return it: the server owns its state and
   * never keeps an older version (copying a large log on every request would dominate the cost).
   */
  apply(state: S, request: string): Applied<S>;
  /** The state as the STATE field of a frame (before field encoding). */
  snapshot(state: S): string;
  /** The inverse of `snapshot`; throws an Error with a readable message on a malformed snapshot. */
  restore(snapshot: string): S;
  /** How printed lines show the state: the string itself, or the number of entries. */
  show(state: S): string;
}
