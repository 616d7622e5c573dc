/**
 * Simulator regression: lfd-launches-over-running-server (was pending). An LFD that started its
 * server while another process of it still held the ports (frozen while the LFD restarted, or its
 * status answer lost while attaching) launched copies that could not bind, again and again, and
 * never watched the running one (found as seed 6 on 2ef6865). Fixed: the LFD launches only while
 * its link to the server's peer port is down; otherwise it asks `status` and attaches by pid,
 * waiting for a holder that does not answer yet.
 *
 * With the schedule's avoid rules gone, seed 20 (passive sync, 4 servers) reaches the path: on
 * 59e2d39 it fails (relaunched-and-serving: S1 runs as S1#4247, and the latest process its LFD
 * launched, S1#4262, exited with status 1: it could not bind); now no process ever fails to bind
 * and the LFDs attach to the running ones.
 */
import { expect } from 'chai';
import { runSeed } from '../../src/sim/run.js';
import { formatRecord } from '../../src/sim/trace.js';

describe('simulator regression: lfd-launches-over-running-server', function () {
  this.timeout(120_000);

  it('seed 20: no LFD launches over a running server; it attaches to it', () => {
    const res = runSeed({ seed: 20, keepTrace: true });
    expect(res.violations.map((v) => `${v.invariant}: ${v.detail}`)).to.deep.equal([]);
    const lines = res.trace!.records.map(formatRecord);
    expect(lines.filter((l) => l.includes('cannot listen')), 'no process failed to bind').to.deep.equal([]);
    expect(lines.some((l) => /LFD\d: attached to S\d \(pid \d+\), already running/.test(l))).to.equal(true);
  });
});
