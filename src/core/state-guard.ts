/**
 * Keeps the application's state small enough to transfer: a checkpoint or recovery frame carries
 * the whole state and client table and may not exceed `max_state_frame`. The state may use half of
 * it (the client table a quarter, client-table.ts; the rest is room for escaping and the frame's
 * other fields). A request that would grow the state past that is undone and answered `failed`,
 * on every replica alike: the decision depends only on the state and the request, as `apply` does.
 */
import { applyRequest, type App, type Outcome } from '../app/app.js';
import type { ClusterSettings } from '../config/types.js';

export const stateLimit = (cluster: Pick<ClusterSettings, 'maxStateFrame'>): number => Math.floor(cluster.maxStateFrame / 2);

export function tooLargeMessage(limit: number): string {
  return `refused: the state would grow past ${limit} characters (half of max_state_frame)`;
}

export interface Guarded<S> extends Outcome<S> {
  /** `app.size` of the new state. */
  size: number;
}

/**
 * `apply`, then `app.size`. Only a request that might reach the limit (the state's size and the
 * request's together past half of it) pays for a snapshot to undo it with, taken in pieces (an app
 * with a large state gives them without copying its text, where a whole snapshot would copy it on
 * every such request). Below that a request is never undone, so an app whose single request grows
 * its state by more than a quarter of `max_state_frame` can overshoot once (docs/apps.md), after
 * which every growing request is undone.
 */
export function guardedApply<S>(app: App<S>, state: S, size: number, body: string, limit: number): Guarded<S> {
  const undo = size + body.length > limit / 2 ? app.snapshotParts(state) : null;
  const outcome = applyRequest(app, state, body);
  const grown = app.size(outcome.state);
  if (undo !== null && grown > limit && grown > size) {
    return { state: app.restoreParts(undo), size, reply: tooLargeMessage(limit), failed: true };
  }
  return { ...outcome, size: grown };
}
