/**
 * The simulator with a server started by hand (`--by-hand`: S1's LFD runs with `--no-launch` and a
 * supervisor restarts S1 when its process ends). Seed 1 goes down the fence path: LFD1 reports S1
 * deleted while S1 still runs, cannot kill it, and fences it (no heartbeats until S1's status says
 * booting) before reporting it again; every invariant holds. The hole the fence closes needs a
 * narrower window than the schedule makes (120 by-hand seeds without the fence held too): its
 * reproduction is test/machines/no-launch-rejoin.test.ts.
 */
import { expect } from 'chai';
import { runSeed } from '../../src/sim/run.js';

describe('simulator: a server started by hand under a --no-launch LFD', function () {
  this.timeout(120_000);

  it('seed 1: LFD1 fences S1 after a delete it could not back with a kill, and S1 rejoins by recovering', () => {
    const res = runSeed({ seed: 1, byHand: true, keepTrace: true });
    expect(res.violations.map((v) => `${v.invariant}: ${v.detail}`)).to.deep.equal([]);
    const fences = res.trace!.records.filter((r) => r.kind === 'print' && r.who === 'LFD1' && r.event.event === 'note' && r.event.text.includes('cannot kill it'));
    expect(fences.length, 'LFD1 fenced S1 at least once').to.be.above(0);
    const supervised = res.trace!.records.filter((r) => r.kind === 'sim' && r.who === 'supervisor');
    expect(supervised.length, 'the supervisor started S1').to.be.above(0);
  });
});
