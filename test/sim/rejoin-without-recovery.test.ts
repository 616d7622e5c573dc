/**
 * Simulator regression: rejoin-without-recovery (was pending). A server deleted and added again
 * without a restart served without recovering: on a lost link to its server the LFD reported
 * `delete` and left the process running; the link came back, the LFD reported `add`, and the RM's
 * `ready` made the old process, still `ready` with its own log, serve without a recovery (found as
 * seed 63 on 2ef6865: its log missed what the others applied meanwhile, and once it was sequencer
 * 198 answered requests were lost). Fixed: the LFD kills the process (SIGKILL) before it reports
 * `delete` on a lost link too, so a deleted server comes back as a new process that recovers.
 *
 * With the schedule's avoid rules gone, seed 2 reaches the path: at 138.223 s a drop-link resets
 * LFD2's link to S2#4246; before the fix LFD2 reported `add S2` of the same process again (on
 * 59e2d39 that run still passes: the harm needs more luck, see seed 63 above; the machine test in
 * test/machines/lfd.test.ts fails without the fix); now LFD2 kills S2#4246 at once and the
 * relaunched S2 recovers.
 */
import { expect } from 'chai';
import { runSeed } from './run.js';
import { formatRecord } from './trace.js';

describe('simulator regression: rejoin-without-recovery', function () {
  this.timeout(120_000);

  it('seed 2: a server whose LFD lost its link is killed before the delete and comes back new', () => {
    const res = runSeed({ seed: 2, keepTrace: true });
    expect(res.violations.map((v) => `${v.invariant}: ${v.detail}`)).to.deep.equal([]);
    const lines = res.trace!.records.map(formatRecord);
    const lost = lines.findIndex((l) => /LFD2\s+print\s+LFD2: S2 failed \(connection lost\)/.test(l) && l.trim().startsWith('138.2'));
    expect(lost, 'LFD2 loses its link to S2 at 138.2 s').to.be.above(-1);
    expect(lines.slice(lost, lost + 6).some((l) => /LFD2\s+FAULT\s+kills S2#\d+ \(SIGKILL\)/.test(l)), 'and kills S2 at once').to.equal(true);
  });
});
