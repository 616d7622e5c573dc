/**
 * A booting server that served in this epoch before dropped a snapshot that overtook its `ready`,
 * then waited in recovering for good (fixed: the RM repeats `send_checkpoint` while a member does
 * not serve; a booting server drops every snapshot, see stale-held-snapshot).
 *
 * Found as seed 78 (active, 3 servers) on commit 2ef6865: S3#4249, added again while booting and
 * still in epoch 8, dropped the recovery that overtook its ready, and was still recovering at the
 * end (relaunched-and-serving failed). The seed here is one on which a recovery reaches a booting
 * server under the current schedule (`paths.ts`); the RM's repeated `send_checkpoint` gets it
 * serving.
 *
 * Cause: the RM sent `send_checkpoint` again only with a new `ready` (src/core/replication.ts).
 */
import { expect } from 'chai';
import { runSeed } from '../../src/sim/run.js';
import { bootingGotSnapshot } from './paths.js';

describe('simulator regression: snapshot-before-ready', function () {
  this.timeout(120_000);

  it('seed 4: a re-added server recovers even when its snapshot overtakes its ready', () => {
    const res = runSeed({ seed: 4, events: true, keepTrace: true });
    expect(res.violations.map((v) => `${v.invariant}: ${v.detail}`)).to.deep.equal([]);
    expect(bootingGotSnapshot(res, 'recovery'), 'a recovery reaches a server before its ready').to.not.be.empty;
  });
});
