/**
 * The replicated application: a deterministic state machine that every replica runs. Replicas agree
 * because they start from the same state and apply the same requests in the same order.
 */

export interface Applied<S> {
  state: S;
  reply: string;
}

/**
 * What a user writes to replicate a service (`defineApp` fills in the optional parts).
 *
 * `apply` must be **deterministic and synchronous**: every replica runs it on the same state with
 * the same request and must get the same new state and the same reply. No clocks (`Date.now()`),
 * no randomness, no I/O, no environment (`process.pid`, files, the network), no iteration order
 * that a `restore` could change. What it needs from outside belongs in the request.
 *
 * `apply` may throw: the client is then answered with a `failed` frame carrying the error's
 * message, and every replica throws alike. It should leave the state as it was when it throws
 * (a change made before the throw stays, on every replica alike).
 */
export interface AppDefinition<S> {
  /** Shown in printed lines and errors. */
  name: string;
  /** The state of a fresh replica. */
  initial(): S;
  /**
   * Apply one request. May update `state` in place and return it: the server owns its state and
   * never keeps an older version (copying a large state on every request would dominate the cost).
   */
  apply(state: S, request: string): Applied<S>;
  /** The whole state as a string, for checkpoints and recovery. Default: `JSON.stringify`. */
  snapshot?(state: S): string;
  /** The inverse of `snapshot`; throws on a malformed snapshot. Default: `JSON.parse`. */
  restore?(snapshot: string): S;
  /**
   * For a large state: the snapshot as pieces whose concatenation is `snapshot(state)` (say, one
   * per entry), so that a checkpoint never builds the whole text beside the state. The pieces must
   * not change when the state changes later (strings never do; an array of them must be a new one).
   * Default: `[snapshot(state)]`.
   */
  snapshotParts?(state: S): string[];
  /**
   * The inverse of `snapshotParts` for pieces cut anywhere (as they arrived: not where
   * `snapshotParts` cut), so that a replica never joins them into one string. Default:
   * `restore(parts.join(''))`.
   */
  restoreParts?(parts: readonly string[]): S;
  /** How printed lines show the state (keep it short). Default: the snapshot, cut to 40 characters. */
  show?(state: S): string;
  /**
   * The length of `snapshot(state)`, or a close estimate of it. Replicas call it after every
   * request to keep the state small enough to transfer (`max_state_frame`), so it must be cheap
   * and, like `apply`, give every replica the same number for the same state. Default: the
   * snapshot's length, which costs a whole snapshot a request: define it for a large state.
   */
  size?(state: S): number;
  /**
   * A request a client might send, drawn with `random` (uniform in [0, 1), like `Math.random`) and
   * nothing else, so that the simulator's seed replays it. The simulator's clients send what it
   * draws; without it, a simulator run needs request lines to draw from.
   */
  sample?(random: () => number): string;
}

/** An application with every part present, as the servers use it. */
export interface App<S = unknown> {
  readonly name: string;
  initial(): S;
  apply(state: S, request: string): Applied<S>;
  snapshot(state: S): string;
  restore(snapshot: string): S;
  snapshotParts(state: S): readonly string[];
  restoreParts(parts: readonly string[]): S;
  show(state: S): string;
  size(state: S): number;
  sample?(random: () => number): string;
}

const SHOWN = 40;

/**
 * Checks the parts that a plain JavaScript module could get wrong, and completes the definition
 * with the default `snapshot`/`restore` (JSON) and `show`.
 */
export function defineApp<S>(definition: AppDefinition<S>): App<S> {
  const problem = appProblem(definition);
  if (problem !== null) throw new TypeError(`defineApp: ${problem}`);
  return completeApp(definition);
}

/** The definition with its defaults filled in (checked already: `appProblem`). */
export function completeApp<S>(definition: AppDefinition<S>): App<S> {
  const snapshot = definition.snapshot ?? ((state: S) => JSON.stringify(state) ?? 'null');
  const restore = definition.restore ?? ((text: string) => JSON.parse(text) as S);
  const checkedSnapshot = (state: S): string => {
    const text = snapshot(state);
    if (typeof text !== 'string') throw new TypeError(`${definition.name}: snapshot returned ${typeof text}, not a string`);
    return text;
  };
  const show = definition.show ?? ((state: S) => {
    const text = checkedSnapshot(state);
    return text.length > SHOWN ? `${text.slice(0, SHOWN - 3)}...` : text;
  });
  return {
    name: definition.name,
    initial: () => definition.initial(),
    apply: (state, request) => definition.apply(state, request),
    snapshot: checkedSnapshot,
    restore: (text) => restore(text),
    snapshotParts: definition.snapshotParts ? (state) => checkedParts(definition.name, definition.snapshotParts!(state)) : (state) => [checkedSnapshot(state)],
    restoreParts: definition.restoreParts ? (parts) => definition.restoreParts!(parts) : (parts) => restore(parts.join('')),
    show: (state) => String(show(state)),
    size: definition.size ? (state) => Number(definition.size!(state)) : (state) => checkedSnapshot(state).length,
    ...(definition.sample !== undefined && { sample: (random: () => number) => String(definition.sample!(random)) }),
  };
}

function checkedParts(name: string, parts: unknown): readonly string[] {
  if (!Array.isArray(parts) || parts.some((p) => typeof p !== 'string')) throw new TypeError(`${name}: snapshotParts returned something other than an array of strings`);
  return parts as string[];
}

/** What is wrong with an object meant as an application, or null when it has the parts it needs. */
export function appProblem(candidate: unknown): string | null {
  if (candidate === null || typeof candidate !== 'object') return `not an object (${candidate === null ? 'null' : typeof candidate})`;
  const d = candidate as Record<string, unknown>;
  if (typeof d.name !== 'string' || d.name === '') return 'no name (a non-empty string)';
  for (const part of ['initial', 'apply'] as const) if (typeof d[part] !== 'function') return `no ${part} function`;
  for (const part of ['snapshot', 'restore', 'snapshotParts', 'restoreParts', 'show', 'size', 'sample'] as const) {
    if (d[part] !== undefined && typeof d[part] !== 'function') return `${part} is not a function`;
  }
  return null;
}

/** One request through `apply`: its reply, or (`failed`) the message of what it threw. */
export type Outcome<S> = { state: S; reply: string; failed: boolean };

export function applyRequest<S>(app: App<S>, state: S, request: string): Outcome<S> {
  try {
    const { state: next, reply } = app.apply(state, request);
    if (typeof reply !== 'string') return { state: next, reply: `${app.name}: apply returned a ${typeof reply} reply, not a string`, failed: true };
    return { state: next, reply, failed: false };
  } catch (err) {
    return { state, reply: messageOf(err), failed: true };
  }
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
