/**
 * Simulator regression: power-cut-forgets-epoch (found by the first runs with disks, seed 17). A
 * disk kept the epochs its history was written in, not the epoch of the `ready` its server took, so
 * a power cut after a choice and before anything of the new epoch was written let the restarted RM,
 * which learns epochs from the disks, give that epoch out again (`one-primary-per-epoch`: two
 * sequencers of epoch 6 on either side of a cut). Fixed: a replica records the epoch of each `ready`
 * on its disk before it reports `serving`, its status says the highest epoch it took, and the RM
 * opens the next epoch above all of them.
 *
 * The seed here is one on which the power goes off after the sequencer of a new epoch reported
 * `serving` and before any client heard a reply in it (`paths.ts`): after the cut the RM must open a
 * higher epoch (the checker sees any epoch given out twice once a replica served in it).
 */
import { expect } from 'chai';
import { runSeed } from '../../src/sim/run.js';
import { powerCutInFreshEpoch } from './paths.js';

describe('simulator regression: power-cut-forgets-epoch', function () {
  this.timeout(120_000);

  it('seed 16 (disks): a power cut right after a new epoch began does not give that epoch out again', () => {
    const res = runSeed({ seed: 16, disks: true, keepTrace: true, events: true });
    expect(res.violations.map((v) => `${v.invariant}: ${v.detail}`)).to.deep.equal([]);
    expect(powerCutInFreshEpoch(res), 'a power cut after a new epoch was announced, before it answered anyone').to.not.be.empty;
  });
});
