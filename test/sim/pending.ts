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

/** Empty: every bug the simulator found so far is fixed (see the regression tests in this folder). */
export const PENDING: Record<string, PendingEntry> = {};

export type PendingBug = string;
export const PENDING_BUGS: PendingBug[] = Object.keys(PENDING);
