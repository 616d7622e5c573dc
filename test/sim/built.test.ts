/**
 * The simulator ships in the package (`dist/sim/`), for a command to run it. Plain node (no tsx)
 * runs a campaign from the built pool, its workers being the built `worker.js`, and the runs are
 * the runs the source gives for the same seeds: one simulator, not two.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { runSeed } from '../../src/sim/run.js';
import { requireBuilt, ROOT } from '../support/processes.js';

const SEEDS = { first: 1, runs: 2, minutes: 2 } as const;

/** What a run did, in a form that survives JSON: its fault schedule is the finest fingerprint. */
type Outcome = { seed: number; schedule: string[]; answered: number; violations: unknown[] };

function campaignFromDist(): { summary: { runs: number; failed: number; workers: number }; outcomes: Outcome[] } {
  const pool = pathToFileURL(path.join(ROOT, 'dist', 'sim', 'pool.js')).href;
  const script = `
    const { campaign } = await import(${JSON.stringify(pool)});
    const c = await campaign({ first: ${SEEDS.first}, runs: ${SEEDS.runs}, minutes: ${SEEDS.minutes}, workers: 2 });
    const outcomes = c.results.map((r) => ({ seed: r.seed, schedule: r.schedule, answered: r.answered, violations: r.violations }));
    console.log(JSON.stringify({ summary: c.summary, outcomes }));
  `;
  // A file, not `node -e`: worker threads inherit the node flags, and `--input-type` would break them.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'steadfast-sim-'));
  try {
    const file = path.join(dir, 'campaign.mjs');
    writeFileSync(file, script);
    // No NODE_OPTIONS: the test runner's tsx must not reach the child.
    const out = execFileSync(process.execPath, [file], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' }, encoding: 'utf8', timeout: 120_000 });
    return JSON.parse(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('simulator: the built package runs it', function () {
  this.timeout(180_000);
  before(requireBuilt);

  it('a campaign of 2 seeds on 2 workers from dist/ with plain node gives the runs the source gives', () => {
    const { summary, outcomes } = campaignFromDist();
    expect(summary).to.include({ runs: 2, failed: 0, workers: 2 });
    expect(outcomes.map((o) => o.seed)).to.deep.equal([1, 2]);
    for (const o of outcomes) expect(o.schedule.length, `faults of seed ${o.seed}`).to.be.above(0);

    const fromSource = outcomes.map(({ seed }) => {
      const r = runSeed({ seed, minutes: SEEDS.minutes });
      return { seed, schedule: r.schedule, answered: r.answered, violations: r.violations };
    });
    expect(outcomes).to.deep.equal(fromSource);
  });
});
