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
  'stale-held-snapshot': {
    title: 'a booting server keeps a snapshot held across its lease running out and recovers from it at its next assignment, missing what came after',
    avoid: 'cannot be steered around well (an assignment whose `ready` is lost while its snapshot arrives): a run in which a server recovers from such a snapshot is not counted as failed',
    detected: true,
  },
  'demoted-primary-replies': {
    title: 'a passive primary told by a `ready` that it is a backup now answers the requests still waiting for its backups’ acknowledgements',
    avoid: 'cannot be steered around (a primary whose status the restarted RM did not get in time is replaced): a run in which it happens is not counted as failed',
    detected: true,
  },
  'stale-forward-lost': {
    title: 'active mode: a forward sent in the old epoch is dropped by a replica already in the new one; a request that reached that replica no other way is missing there for good, and every later request of its client waits for the gap',
    avoid: 'cannot be steered around (any epoch change with requests in flight): a run in which a replica ends without a request it dropped so is not counted as failed',
    detected: true,
  },
  'command-for-old-process': {
    title:
      'a `ready` the RM sent for a server’s previous process reaches its relaunched one: a fresh, empty process becomes ' +
      'primary (or sequencer) of the old epoch, and the RM later counts it as serving without a recovery',
    avoid:
      'the RM’s host is cut off only for less than failure detection takes (a long cut delays its commands past a relaunch); ' +
      'a run in which a process takes a `ready` of an epoch whose primary was another process of its name is not counted as failed',
    detected: true,
  },
  'recovery-misses-forwarded': {
    title:
      'active recovery misses a request: the snapshot’s source applies a forwarded request after the snapshot left, and ' +
      'only the replica that took it from the client passes it on, which did not list the newcomer yet',
    avoid: 'cannot be steered around (a race of `ready` frames and forwards): a run whose replica ends without such a request is not counted as failed',
    detected: true,
  },
  'snapshot-before-ready': {
    title: 'a booting server that served in this epoch before drops a snapshot that overtakes its `ready`, then waits in recovering forever',
    avoid: 'cannot be steered around (a race of two paths through the network): a run in which it happens is not counted as failed',
    detected: true,
  },
} as const;

export type PendingBug = keyof typeof PENDING;
export const PENDING_BUGS = Object.keys(PENDING) as PendingBug[];
const _check: Record<PendingBug, PendingEntry> = PENDING;
void _check;
