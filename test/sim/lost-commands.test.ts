/**
 * Simulator regression: lost-commands (was pending). A command the RM passed down while a server's
 * LFD could not take it (its GFD link being replaced, or the LFD down) was dropped at the GFD and
 * never sent again: the LFD came back and reported the server again, its status was not booting,
 * so the RM sent nothing (found as seed 229 on 2ef6865: S2 missed its epoch-9 `ready`, stayed a
 * backup of epoch 8 holding S1's epoch-9 updates for good, and the replicas ended different).
 * Fixed: on a re-reported `add` whose status is not booting the RM sends that server its `ready`
 * and its recovery orders again (replication.ts `onRereport`).
 *
 * With the schedule's avoid rules gone, seed 8 (active, 3 servers) reaches the path: the GFD drops
 * S2's `ready` (primary, epoch 7, 166.141 s) and a `send_checkpoint` (166.169 s) while LFD2 has no
 * link; LFD2 reports S2 again at 166.46 s, the RM asks its status (ready, not booting) and, since
 * the fix, sends S2 its `ready` again at once. On 59e2d39 nothing followed the status (that run
 * still passes: a later change re-sent every `ready`; the machine test in restart.test.ts fails).
 */
import { expect } from 'chai';
import { runSeed } from '../../src/sim/run.js';
import { formatRecord } from '../../src/sim/trace.js';

describe('simulator regression: lost-commands', function () {
  this.timeout(180_000);

  it('seed 8: a server reported again after its LFD was away gets its ready again', () => {
    const res = runSeed({ seed: 8, keepTrace: true, events: true });
    expect(res.violations.map((v) => `${v.invariant}: ${v.detail}`)).to.deep.equal([]);
    const lines = res.trace!.records.map(formatRecord);
    const at = (l: string) => Number(l.trim().split(/\s+/)[0]);
    // The re-report of S2 (the RM's members do not change), its status, then S2's `ready` alone.
    const readd = lines.findIndex((l) => /RM\s+event\s+frame\.membership S2 add/.test(l) && at(l) > 166.3 && at(l) < 166.6);
    expect(readd, 'LFD2 reports S2 again at 166.4 s').to.be.above(-1);
    const after = lines.slice(readd + 1).filter((l) => at(l) - at(lines[readd]!) < 0.02);
    expect(after.some((l) => /RM\s+print\s+RM: \d members/.test(l)), 'a re-report: the members stay').to.equal(false);
    const status = after.findIndex((l) => /RM\s+event\s+frame\.serverStatus/.test(l));
    expect(status, 'the RM asks S2 its status').to.be.above(-1);
    expect(after.slice(status).some((l) => /GFD\s+event\s+frame\.ready S2 /.test(l)), "then S2's ready goes again").to.equal(true);
  });
});
