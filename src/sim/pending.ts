/**
 * Real bugs the simulator found in `src/actors` that are not fixed yet. The simulator does not fix
 * role machines; until a bug's fix lands, the fault schedule steers around the bug's trigger (its
 * `avoid` rule), so the CI batch stays a test of everything else. `RunOptions.allow` lifts a rule
 * (`npm run sim -- --seed N --allow NAME`), which is how each bug's seed reproduces it:
 * `test/sim/PENDING-<name>.test.ts.txt` runs that seed and passes once the bug is fixed. When it
 * does, rename the test to `.test.ts` and delete the entry here (and its rule in `run.ts`).
 */
export interface PendingEntry {
  title: string;
  avoid: string;
  /** The run watches for the trigger instead of avoiding it: a run that hit it does not count as failed. */
  detected?: boolean;
}

export const PENDING: Record<string, PendingEntry> = {
  /**
   * Found by the kv runs (seed 175 --app kv): a client that gave up and was started again under its
   * name learns its last number from the first refusal (SPEC §6 Exactly once) and goes on above
   * it; but a request its previous process sent under the next number may still be pending in the
   * cluster (held, or waiting for its position in the total order) and is applied later. The new
   * process's different request then goes out under that same number, and the servers, which know
   * a request by (client, number) only, answer it with the saved reply of the old one: a get told
   * `{"ok":true}`, or a value it never read. Log runs cannot show it (request n is `c1-n` in every
   * process). A fix needs the servers to tell two requests under one number apart (the client
   * table keeping the request, or a digest of it) or the client to skip past whatever its
   * predecessor may have sent.
   */
  'restarted-client-reuses-number': {
    title: 'a restarted client reuses a number its previous process sent with another request, and gets that one\'s reply',
    avoid:
      'a restarted kv client first sends again the request its previous process had in flight, so a reused number carries the same ' +
      'request (as a log client\'s number n always carries c1-n); a run whose client still got a reply under a number sent with two ' +
      'requests is reported and not counted',
    detected: true,
  },
};

export type PendingBug = string;
export const PENDING_BUGS: PendingBug[] = Object.keys(PENDING);
