/**
 * Simulator regression: rejoin-without-recovery (was pending). A server deleted and added again
 * without a restart served without recovering: on a lost link to its server the LFD reported
 * `delete` and left the process running; the link came back, the LFD reported `add`, and the RM's
 * `ready` made the old process, still `ready` with its own log, serve without a recovery (found as
 * seed 63 on 2ef6865: its log missed what the others applied meanwhile, and once it was sequencer
 * 198 answered requests were lost). Fixed: the LFD kills the process (SIGKILL) before it reports
 * `delete` on a lost link too, so a deleted server comes back as a new process that recovers.
 *
 * The seed here is one on which an LFD loses its link to a running server under the current
 * schedule (`paths.ts`): the LFD kills it at once and the relaunched process recovers. The harm
 * needs more luck than the trigger; test/machines/lfd.test.ts fails without the fix.
 */
import { expect } from 'chai';
import { runSeed } from '../../src/sim/run.js';
import { killedOnLostLink } from './paths.js';

describe('simulator regression: rejoin-without-recovery', function () {
  this.timeout(120_000);

  it('seed 3: a server whose LFD lost its link is killed before the delete and comes back new', () => {
    const res = runSeed({ seed: 3, keepTrace: true });
    expect(res.violations.map((v) => `${v.invariant}: ${v.detail}`)).to.deep.equal([]);
    expect(killedOnLostLink(res), 'an LFD loses its link to its server and kills it at once').to.not.be.empty;
  });
});
