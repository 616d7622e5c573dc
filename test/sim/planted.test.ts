/**
 * Four planted bugs (test-only switches in src/actors/switches.ts), each caught within the CI
 * batch's seeds by the invariant it breaks. Seeds run in order until one fails, so the seed named
 * is the lowest failing one of the batch.
 */
import { expect } from 'chai';
import { plant, type PlantedBug } from '../../src/actors/switches.js';
import { CI_SEEDS } from './ci.js';
import type { Invariant } from './invariants.js';
import { campaign } from './pool.js';

const EXPECTED: Record<PlantedBug, { what: string; invariants: Invariant[] }> = {
  noDuplicateCheck: { what: 'no duplicate check on a repeated request number', invariants: ['applied-once'] },
  promoteWithoutEpoch: { what: 'promotion without a new epoch (two primaries)', invariants: ['one-primary-per-epoch'] },
  dropHeldOnRecovery: { what: 'a recovering replica that drops held requests', invariants: ['recovery-complete'] },
  unorderedActive: { what: 'active replicas without the total order (each applies in its own arrival order)', invariants: ['replicas-equal', 'answered-kept'] },
};

describe('simulator: planted bugs are caught within the CI batch', function () {
  this.timeout(600_000);

  afterEach(() => {
    for (const bug of Object.keys(plant) as PlantedBug[]) plant[bug] = false;
  });

  for (const bug of Object.keys(EXPECTED) as PlantedBug[]) {
    const { what, invariants } = EXPECTED[bug];
    it(`${bug}: ${what}`, async () => {
      const c = await campaign({ ...CI_SEEDS, plant: [bug], stopAtFirstFailure: true });
      const first = c.failures[0];
      expect(first, `no seed of ${CI_SEEDS.first}..${CI_SEEDS.first + CI_SEEDS.runs - 1} caught ${bug}`).to.not.equal(undefined);
      const v = first!.violations[0]!;
      console.log(`      caught by seed ${first!.seed} (after ${c.summary.runs} runs) at ${(v.at / 1000).toFixed(3)} s: ${v.invariant}: ${v.detail}`);
      expect(invariants).to.include(v.invariant);
      // The switch is off again in this thread (workers set their own).
      expect(plant[bug]).to.equal(false);
    });
  }
});
