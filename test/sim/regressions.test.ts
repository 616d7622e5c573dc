/**
 * Real bugs the simulator found that are fixed, each kept as its seed. (Bugs found and not fixed
 * yet are in src/sim/pending.ts, with their seeds in PENDING-*.test.ts.txt.)
 *
 * A seed replays the same faults only under the same schedule rules: when a pending bug's rule is
 * removed (src/sim/run.ts), a seed here may stop reaching its old path; then find another with
 * `npm run sim -- --runs N` on the commit before the fix. `paths.ts` and the other `*.test.ts`
 * files here hold the bugs whose trigger is common enough to find a seed for again.
 *
 * command-for-old-process has no seed here: found as seed 302 (a `ready` the RM sent for a
 * server's previous process reached its relaunched one, which became sequencer of the old epoch
 * with an empty state; fixed by marking the `ready` of a member the RM counts as serving, which a
 * booting or recovering process drops, docs/protocol.md). Its trigger needs a cut of the RM's host
 * across a server's crash and relaunch; after the LFD fixes none of seeds 1–900 reaches it, so it
 * is tested directly in test/machines/stale-commands.test.ts.
 */
import { expect } from 'chai';
import { runSeed } from '../../src/sim/run.js';
import { launchBeforeExit, recoveredPastHeldCheckpoint, relaunchedInGfdGrace } from './paths.js';

describe('simulator regressions', function () {
  this.timeout(120_000);

  // members-without-status (fixed in 2ec8086, "on a members after the first, the RM asks each
  // listed member for its status"). Found as seed 26 (passive): the GFD restarted and during its
  // grace period the primary S1 hung, was killed and relaunched; the GFD folded delete and add into
  // one `members`, and an RM that did not ask who is booting sent the new, empty process the old
  // one's `ready` (one-primary-per-epoch). Failed on 9c420e8. Seed 26 no longer relaunches anything
  // within a grace period; seed 150 did (S4 killed at 96.449 s and relaunched at 96.566 s, in the
  // grace period of the GFD started at 96.436 s) until the leases of issue 19; seed 5037 did until
  // the faster reconnects of issue 20; seed 2090 does now (S1 relaunched at 91.968 s). The machine
  // test in restart.test.ts ("LFD1 and the GFD restart together") checks the same path directly.
  it('seed 2090: a process relaunched while the GFD restarts is asked its status, not sent its predecessor`s ready', () => {
    const res = runSeed({ seed: 2090, keepTrace: true });
    expect(res.violations.map((v) => `${v.invariant}: ${v.detail}`)).to.deep.equal([]);
    expect(relaunchedInGfdGrace(res), 'a server ends and starts again within a GFD grace period').to.not.be.empty;
  });

  // launch-before-exit (found once the avoid rules of lost-commands and
  // lfd-launches-over-running-server were lifted; failed on 59e2d39). Seed 34, passive: LFD1 restarts
  // and attaches to S1#4249 (222.966 s); S1 is killed 0.4 s later; LFD1 reports delete at once (its
  // link drops) but sees the attached process gone only at its next poll (100 ms), and the RM's
  // `launch` came in between, while LFD1 still counted the process as just started, and was
  // ignored: S1 was never started again (relaunched-and-serving: S1: 0 processes running). Fixed:
  // a `launch` after this LFD reported its process deleted is for that process: start again once
  // it is gone. (Seed 134 failed the same way.)
  it('seed 34: a launch that comes before the deleted process is seen gone still starts it again', () => {
    const res = runSeed({ seed: 34, keepTrace: true, events: true });
    expect(res.violations.map((v) => `${v.invariant}: ${v.detail}`)).to.deep.equal([]);
    expect(launchBeforeExit(res), 'a launch reaches an LFD that reported delete before it saw the exit').to.not.be.empty;
  });

  // held-checkpoint-recovery (found in the 1,000-seed long-partition campaign 31000–31999, with
  // 31718). Seed 31684, passive sync: S2 was suspended (its LFD killed) and never got the restarted
  // RM's `ready` of epoch 8, so it held S1's periodic checkpoints of epoch 8 (state 549). The RM
  // deleted S2, S1 answered on without it (C1:279 as entry 550), then S2's LFD came back and the RM
  // sent S2 the `ready` to recover: it recovered from the held checkpoint and missed 550 onwards
  // (answered-kept, linearizable). Fixed: a `ready` that makes a replica recover drops the periodic
  // checkpoints it held; it recovers from a snapshot sent after it.
  it('seed 31684 (long partitions): a suspended replica sent to recover does not recover from checkpoints it held', () => {
    const res = runSeed({ seed: 31684, longPartitions: true, keepTrace: true, events: true });
    expect(res.violations.map((v) => `${v.invariant}: ${v.detail}`)).to.deep.equal([]);
    expect(recoveredPastHeldCheckpoint(res), 'a suspended replica holding checkpoints of its new epoch recovers').to.not.be.empty;
  });
});
