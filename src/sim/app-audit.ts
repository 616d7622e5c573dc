/**
 * The app audit: two checks of the replicated application itself, made on the requests a simulated
 * replica applies. They name what a framework cannot prevent and replication silently turns into
 * replicas that disagree (`docs/verify.md`):
 *
 * - `deterministic`: the same request on the same state gives the same reply and the same state in
 *   another process at another moment. Each audited request is applied again to two copies of the
 *   state made by `restore(snapshot(state))`, each as another simulated process (its own
 *   `process.pid`) with the clock moved on (1 ms, then an hour); `Math.random` draws on. The two
 *   copies must agree.
 * - `snapshot-restore`: `restore(snapshot(s))` behaves like `s`: it snapshots back to the same
 *   text (and `restore` does not throw on it), and the request gives on it what it gives on the
 *   replica's own state (a field the snapshot drops, or a `Map` whose order `restore` changes,
 *   shows here), `size` included: a restored replica must measure its state as the others do.
 *   And the snapshot in pieces is the same: `snapshotParts(s)` joins to `snapshot(s)`, and
 *   `restoreParts` of the snapshot cut in three anywhere snapshots back to it (a large state
 *   travels that way, docs/apps.md).
 *
 * The copies' work is invisible to the run: only the replica's own apply changes its state. An
 * audit costs a few snapshots and restores of the whole state, so while the state is small every
 * request is audited, and as it grows they are spaced out: after auditing a request on a state whose
 * snapshot has L characters, the next L / AUDIT_SPACING requests are not (the log app, whose
 * snapshot grows with every request, would otherwise spend most of a run here).
 */
import { applyRequest, messageOf, type App, type Applied } from '../app/app.js';

export const APP_CHECKS = ['deterministic', 'snapshot-restore'] as const;
export type AppCheck = (typeof APP_CHECKS)[number];

export interface AuditHooks {
  /** Run `fn` as another process (`k` = 1, 2: different pids) at another moment (the clock moved on). */
  elsewhere<T>(k: 1 | 2, fn: () => T): T;
  fail(check: AppCheck, detail: string): void;
}

/** What a request did: its reply (or what it threw), the state's snapshot after it and its `size` (which the state guard decides by). */
interface Result {
  reply: string;
  failed: boolean;
  snapshot: string;
  size: number;
}

const same = (a: Result, b: Result): boolean => a.reply === b.reply && a.failed === b.failed && a.snapshot === b.snapshot && a.size === b.size;

/** Snapshot characters per request left unaudited after an audit. */
export const AUDIT_SPACING = 2048;

const CUT = 120;
const cut = (text: string): string => (text.length > CUT ? `${text.slice(0, CUT - 3)}...` : text);
const shown = (r: Result): string => `${r.failed ? 'failed with' : 'reply'} ${JSON.stringify(cut(r.reply))}, state ${cut(r.snapshot)} (size ${r.size})`;

export function auditedApp<S>(app: App<S>, hooks: AuditHooks): App<S> {
  let failed = false;
  const fail = (check: AppCheck, detail: string): void => {
    // One finding is the story; the run stops there.
    if (failed) return;
    failed = true;
    hooks.fail(check, detail);
  };

  /** The request on a copy restored from `text`, as process `k`; null when the copy cannot be made. */
  const onCopy = (text: string, request: string, k: 1 | 2): Result | null => {
    let copy: S;
    try {
      copy = app.restore(text);
    } catch (err) {
      fail('snapshot-restore', `restore threw on a snapshot that snapshot made (${messageOf(err)}): ${cut(text)}`);
      return null;
    }
    if (k === 1) {
      const back = app.snapshot(copy);
      if (back !== text) {
        fail('snapshot-restore', `snapshot(restore(s)) differs from s: ${cut(text)} came back as ${cut(back)}`);
        return null;
      }
    }
    return hooks.elsewhere(k, () => {
      const out = applyRequest(app, copy, request);
      return { reply: out.reply, failed: out.failed, snapshot: app.snapshot(out.state), size: app.size(out.state) };
    });
  };

  /** `snapshotParts` (joined) and `restoreParts` agree with `snapshot` and `restore` on a state whose snapshot is `text`. */
  const checkParts = (joined: string, text: string): void => {
    if (joined !== text) return fail('snapshot-restore', `snapshotParts(s) joins to ${cut(joined)}, not to snapshot(s) ${cut(text)}`);
    const third = Math.ceil(text.length / 3);
    const pieces = [text.slice(0, third), text.slice(third, 2 * third), text.slice(2 * third)];
    try {
      const back = app.snapshot(app.restoreParts(pieces));
      if (back !== text) fail('snapshot-restore', `snapshot(restoreParts(s in three pieces)) differs from s: ${cut(text)} came back as ${cut(back)}`);
    } catch (err) {
      fail('snapshot-restore', `restoreParts threw on a snapshot that snapshot made, in three pieces (${messageOf(err)}): ${cut(text)}`);
    }
  };

  let unaudited = 0;
  const apply = (state: S, request: string): Applied<S> => {
    if (failed || unaudited > 0) {
      unaudited -= 1;
      return app.apply(state, request);
    }
    const before = app.snapshot(state);
    unaudited = Math.floor(before.length / AUDIT_SPACING);
    const again = onCopy(before, request, 1);
    const third = again && onCopy(before, request, 2);
    // Taken before `apply`, which may change the state in place.
    const joined = again && third ? app.snapshotParts(state).join('') : '';
    let result: Applied<S> | null = null;
    let thrown: { err: unknown } | null = null;
    try {
      result = app.apply(state, request);
    } catch (err) {
      thrown = { err };
    }
    if (again && third) {
      const own: Result = thrown
        ? { reply: messageOf(thrown.err), failed: true, snapshot: app.snapshot(state), size: app.size(state) }
        : { reply: String(result!.reply), failed: false, snapshot: app.snapshot(result!.state), size: app.size(result!.state) };
      const on = `request ${JSON.stringify(cut(request))} on state ${cut(before)}`;
      if (!same(again, third)) {
        fail('deterministic', `${on}: in one process ${shown(again)}; in another, later, ${shown(third)}`);
      } else if (!same(own, again)) {
        fail('snapshot-restore', `${on}: the replica's own state gave ${shown(own)}; restore(snapshot(state)) gave ${shown(again)}`);
      } else {
        checkParts(joined, before);
      }
    }
    if (thrown) throw thrown.err;
    return result!;
  };
  return { ...app, apply };
}
