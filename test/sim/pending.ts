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

export const PENDING = {
  'rejoin-without-recovery': {
    title: 'a server deleted and added again without a restart serves without recovering',
    avoid: 'drop-link never resets an LFD→server connection',
  },
  'lost-commands': {
    title: 'commands passed down while a server’s LFD cannot take them (LFD crashed, or its GFD link down) are lost and never sent again',
    avoid:
      'drop-link never resets an LFD→GFD connection; an LFD stays down longer than heartbeat_timeout + 1 s, so its server ' +
      'is deleted and added again and the RM speaks to it afresh',
  },
  'lfd-launches-over-running-server': {
    title:
      'an LFD that starts a server while another process of it still holds the ports (frozen while the LFD restarted, or its ' +
      'status answer lost while attaching) launches copies that cannot bind, forever, and never watches the running one',
    avoid:
      'a server hangs only while its LFD runs it and hears it answer; no LFD crashes while its server hangs; an LFD stays ' +
      'down longer than heartbeat_timeout + 1 s (its server’s lease has run out before it attaches)',
  },
} as const;

export type PendingBug = keyof typeof PENDING;
export const PENDING_BUGS = Object.keys(PENDING) as PendingBug[];
const _check: Record<PendingBug, PendingEntry> = PENDING;
void _check;
