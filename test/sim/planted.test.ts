/**
 * Five planted bugs (test-only switches in src/core/switches.ts), each caught within the CI
 * batch's seeds by the invariant it breaks. Seeds run in order until one fails, so the seed named
 * is the lowest failing one of the batch. `unorderedActive` is how the linearizability check is
 * shown to bite: without the total order, the positions told to clients cannot come from one list;
 * and under kv (the batch's kv seeds), the values clients read cannot come from one map.
 */
import { expect } from 'chai';
import { plant, type PlantedBug } from '../../src/core/switches.js';
import type { Invariant } from '../../src/sim/invariants.js';
import { campaign } from '../../src/sim/pool.js';
import { CI_KV_SEEDS, CI_SEEDS } from './ci.js';

const EXPECTED: Record<PlantedBug, { what: string; invariant: Invariant }> = {
  noDuplicateCheck: { what: 'no duplicate check on a repeated request number', invariant: 'applied-once' },
  promoteWithoutEpoch: { what: 'promotion without a new epoch (two primaries)', invariant: 'one-primary-per-epoch' },
  dropHeldOnRecovery: { what: 'a recovering replica that drops held requests', invariant: 'recovery-complete' },
  unorderedActive: { what: 'active replicas without the total order (each applies in its own arrival order)', invariant: 'linearizable' },
  replyBeforeAcks: { what: 'a passive sync primary that replies before its backups acknowledged (the output rule broken)', invariant: 'answered-kept' },
};

describe('simulator: planted bugs are caught within the CI batch', function () {
  this.timeout(600_000);

  afterEach(() => {
    for (const bug of Object.keys(plant) as PlantedBug[]) plant[bug] = false;
  });

  for (const bug of Object.keys(EXPECTED) as PlantedBug[]) {
    const { what, invariant } = EXPECTED[bug];
    it(`${bug}: ${what}`, async () => {
      const c = await campaign({ ...CI_SEEDS, plant: [bug], stopAtFirstFailure: true });
      const first = c.failures[0];
      expect(first, `no seed of ${CI_SEEDS.first}..${CI_SEEDS.first + CI_SEEDS.runs - 1} caught ${bug}`).to.not.equal(undefined);
      const v = first!.violations.find((x) => x.invariant === invariant) ?? first!.violations[0]!;
      console.log(`      caught by seed ${first!.seed} (after ${c.summary.runs} runs) at ${(v.at / 1000).toFixed(3)} s: ${v.invariant}: ${v.detail}`);
      expect(first!.violations.map((x) => x.invariant)).to.include(invariant);
      // The switch is off again in this thread (workers set their own).
      expect(plant[bug]).to.equal(false);
    });
  }

  it('unorderedActive under kv: the per-key check catches what the clients read', async () => {
    // Every kv seed runs: the first to fail may show the bug as unequal replicas only.
    const c = await campaign({ ...CI_KV_SEEDS, plant: ['unorderedActive'] });
    const caught = c.failures.find((f) => f.violations.some((x) => x.invariant === 'linearizable'));
    expect(caught, `no kv seed of ${CI_KV_SEEDS.first}..${CI_KV_SEEDS.first + CI_KV_SEEDS.runs - 1} caught unorderedActive by its history`).to.not.equal(undefined);
    const v = caught!.violations.find((x) => x.invariant === 'linearizable')!;
    console.log(`      caught by seed ${caught!.seed} (${c.failures.length} of ${c.summary.runs} runs failed) at ${(v.at / 1000).toFixed(3)} s: ${v.invariant}: ${v.detail.slice(0, 300)}`);
    expect(v.detail).to.match(/^not linearizable \(kv: search check/);
  });
});
