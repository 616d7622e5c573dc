/**
 * Simulator regression: restarted-rm-chooses-again (found by the first runs with disks, seeds 2, 8,
 * 10, 24, 36). An RM with data folders starts out choosing the furthest history on disk; restarted
 * while a member served, it named that member at once but kept choosing, asked every member how far
 * its history went and, once all had joined, chose again while a primary served: on seed 10 the
 * restarted RM named S2 primary of epoch 2, S2 answered C1:8 as entry 8, then S1 joined at (epoch 1,
 * position 7), won the tie against S2's earlier report and became primary of epoch 3 at position 7,
 * and the answered C1:8 was gone (`answered-kept`, `linearizable`). Fixed in
 * src/core/replication.ts: `onRestart` stops choosing when it names a serving member.
 *
 * The seed here is one on which, with disks, the RM restarts on its own while a member serves
 * (`paths.ts`): it must name that member and not choose from disk again.
 */
import { expect } from 'chai';
import { runSeed } from '../../src/sim/run.js';
import { rmRestartedBesideServing } from './paths.js';

describe('simulator regression: restarted-rm-chooses-again', function () {
  this.timeout(120_000);

  it('seed 10 (disks): an RM restarted while a member serves keeps that primary, and no answer is lost', () => {
    const res = runSeed({ seed: 10, disks: true, keepTrace: true });
    expect(res.violations.map((v) => `${v.invariant}: ${v.detail}`)).to.deep.equal([]);
    const restarts = rmRestartedBesideServing(res);
    expect(restarts, 'the RM restarts while a member serves').to.not.be.empty;
    expect(restarts.filter((r) => r.choseAgain), 'restarts after which it chose from disk again').to.deep.equal([]);
  });
});
