/**
 * A booting server that served in this epoch before dropped a snapshot that overtook its `ready`,
 * then waited in recovering for good (fixed: the RM repeats `send_checkpoint` while a member does
 * not serve; a booting server drops every snapshot, see stale-held-snapshot).
 *
 * Seed 78 (active, 3 servers), found by the simulator on commit 2ef6865:
 *   npm run sim -- --seed 78 --events --all --who S3,RM --from 225 --to 240
 *
 *   231.146 s RM     RM: 3 members: S1, S2, S3 (S3#4249 added again: booting, still in epoch 8, which it served
 *                     in before its lease ran out)
 *   231.155 s S3     takes the recovery while booting: dropped
 *   231.170 s S3     takes its ready (backup, epoch 8): recovering; before the fix no snapshot came again
 *             (300.000 s check  relaunched-and-serving: S3#4249 is recovering, not serving); now the
 *             RM's next look at recoveries sends `send_checkpoint` again and S3 recovers
 *
 * Cause: the RM sent `send_checkpoint` again only with a new `ready` (src/actors/replication.ts).
 */
import { expect } from 'chai';
import { runSeed } from './run.js';
import { eventsIn } from './trace.js';

describe('simulator regression: snapshot-before-ready', function () {
  this.timeout(120_000);

  it('seed 78: a re-added server recovers even when its snapshot overtakes its ready', () => {
    const res = runSeed({ seed: 78, events: true, keepTrace: true });
    expect(res.violations.map((v) => `${v.invariant}: ${v.detail}`)).to.deep.equal([]);
    // The path: S3's recovery reaches it while it still boots, before its ready.
    const taken = eventsIn(res.trace!.records, '{role:booting', 'frame.recovery').filter((e) => e.who.startsWith('S3#') && e.t > 231_000 && e.t < 231_200);
    expect(taken, 'S3 takes a recovery while booting').to.have.length.above(0);
  });
});
