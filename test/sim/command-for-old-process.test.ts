/**
 * A `ready` the RM sent for a server's previous process reached its relaunched one: a fresh, empty
 * process became sequencer of the old epoch (fixed: the RM marks the `ready` of a member it counts
 * as serving, and a booting or recovering process drops such a `ready`; docs/protocol.md).
 *
 * Seed 302 (active, 3 servers), found by the simulator on commit 2ef6865 (then with
 * `--allow command-for-old-process`, the rule that kept the RM's host from long cuts):
 *   npm run sim -- --seed 302 --events --all --who S3,RM --from 206 --to 222
 *
 *   206.006 s FAULT  partition: 10.0.0.1 (the RM's host) cut off for 8445 ms
 *   213.515 s FAULT  crash-server: kill -9 S3#4249 (sequencer of epoch 11); LFD3 launches S3#4253, adds it
 *   214.451 s        heals: the RM takes the GFD's held frames in order; on the first (add S1) it sends every
 *                     ready of epoch 11, S3 still sequencer in its view; then delete S3, add S3
 *   214.459 s S3#4253 before the fix: S3 is ready [active] [primary] (epoch 11), the new, empty process
 *                     serving as sequencer (one-primary-per-epoch: S3#4253 and S3#4249 are both sequencer
 *                     of epoch 11); now it ignores that ready and recovers in epoch 12
 */
import { expect } from 'chai';
import { runSeed } from './run.js';

describe('simulator regression: command-for-old-process', function () {
  this.timeout(120_000);

  it('seed 302: a relaunched process never takes a ready meant for its predecessor', () => {
    const res = runSeed({ seed: 302, keepTrace: true });
    expect(res.violations.map((v) => `${v.invariant}: ${v.detail}`)).to.deep.equal([]);
    // The path: the relaunched S3 gets the old process's ready and drops it.
    const ignored = res.trace!.records.filter(
      (r) => r.kind === 'print' && r.who.startsWith('S3#') && r.event.event === 'note' && r.event.text.startsWith('ignores a ready (active primary, epoch 11)'),
    );
    expect(ignored, 'S3 ignores the ready meant for its predecessor').to.have.length(1);
  });
});
