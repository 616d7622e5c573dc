/**
 * The CI batch: 70 log seeds and 20 kv seeds, 5 simulated minutes each, spread over the machine's
 * cores; then 10 with a server started by hand, 25 with long partitions and 20 with disks and power
 * cuts. Every fault kind
 * must come up, failovers and recoveries must complete, and every invariant must hold (a run that
 * hits a pending bug the simulator cannot steer around is reported, not counted:
 * src/sim/pending.ts). A failing seed prints its violations, its faults and the end of its trace,
 * and how to replay it.
 */
import { expect } from 'chai';
import { campaign } from '../../src/sim/pool.js';
import { failureReport, formatSummary } from '../../src/sim/report.js';
import { FAULT_KINDS } from '../../src/sim/run.js';
import { CI_BY_HAND_SEEDS, CI_DISK_KV_SEEDS, CI_DISK_SEEDS, CI_DRAIN_SEEDS, CI_KV_SEEDS, CI_LONG_PARTITION_SEEDS, CI_SEEDS } from './ci.js';

/** Runs the seeds, prints the summary (and the first failures), and checks every run passed. */
async function passingCampaign(seeds: Parameters<typeof campaign>[0] & { first: number; runs: number }) {
  const c = await campaign(seeds);
  console.log(formatSummary(c.summary, seeds.first).replace(/^/gm, '      '));
  for (const f of c.failures.slice(0, 3)) console.log(failureReport(f, { last: 120 }));
  expect(c.failures.map((f) => `${f.seed}: ${f.violations.map((v) => v.invariant).join(', ')}`), 'failing seeds').to.deep.equal([]);
  expect(c.summary.runs).to.equal(seeds.runs);
  return c;
}

describe('simulator: the CI batch', function () {
  // The 145 runs together take about 2.5 minutes of wall time on 2 cores; the limit is 10 for each part.
  this.timeout(600_000);

  it(`${CI_SEEDS.runs} log seeds × ${CI_SEEDS.minutes} simulated minutes: every fault kind, failovers, recoveries, and every invariant holds`, async () => {
    const c = await passingCampaign(CI_SEEDS);
    for (const kind of FAULT_KINDS) expect(c.summary.faults[kind], `${kind} faults`).to.be.above(0);
    expect(c.summary.failovers, 'failovers completed').to.be.above(0);
    expect(c.summary.recoveries, 'recoveries completed').to.be.above(0);
  });

  it(`${CI_KV_SEEDS.runs} kv seeds × ${CI_KV_SEEDS.minutes} simulated minutes: generated get/put/cas/del, linearizable per key, replicas equal`, async () => {
    const c = await passingCampaign(CI_KV_SEEDS);
    expect(Object.keys(c.summary.modes).every((m) => m.startsWith('kv ')), 'every run replicates kv').to.equal(true);
    expect(c.summary.failovers, 'failovers completed').to.be.above(0);
    expect(c.summary.recoveries, 'recoveries completed').to.be.above(0);
    expect(c.summary.answered, 'requests answered').to.be.above(CI_KV_SEEDS.runs * 100);
  });

  it(`${CI_BY_HAND_SEEDS.runs} seeds with S1 started by hand (its LFD --no-launch): every invariant holds`, async () => {
    const c = await passingCampaign(CI_BY_HAND_SEEDS);
    expect(c.summary.failovers, 'failovers completed').to.be.above(0);
  });

  it(`${CI_LONG_PARTITION_SEEDS.runs} seeds with long partitions (hosts cut off past failure detection): every invariant holds`, async () => {
    const c = await passingCampaign(CI_LONG_PARTITION_SEEDS);
    expect(c.summary.faults['partition'], 'partitions').to.be.above(CI_LONG_PARTITION_SEEDS.runs);
    expect(c.summary.failovers, 'failovers completed').to.be.above(0);
  });

  it(`${CI_DRAIN_SEEDS.runs} seeds with drains (a graceful hand-over among the faults): every invariant holds`, async () => {
    const c = await passingCampaign(CI_DRAIN_SEEDS);
    expect(c.summary.faults['drain-server'], 'drains').to.be.above(CI_DRAIN_SEEDS.runs);
    expect(c.summary.failovers, 'failovers completed').to.be.above(0);
  });

  for (const seeds of [CI_DISK_SEEDS, CI_DISK_KV_SEEDS]) {
    const app = 'app' in seeds ? seeds.app : 'log';
    it(`${seeds.runs} ${app} seeds with disks: whole-cluster power cuts, and every answer given before one is kept`, async () => {
      const c = await passingCampaign(seeds);
      expect(c.summary.faults['power-cut'], 'power cuts').to.be.above(seeds.runs);
      expect(c.summary.recoveries, 'recoveries completed').to.be.above(0);
      expect(c.summary.clientsGaveUp, 'clients that gave up').to.equal(0);
    });
  }
});
