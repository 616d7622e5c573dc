/**
 * A run replicates any application its spec names, as `[cluster] app` does: a built-in one by name
 * (`status`, fed request lines), a user's module by path (a counter with `sample`, in a temporary
 * folder). Planted bad apps: test/verify.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { campaign } from '../../src/sim/pool.js';
import { runAppSeed, type RunResult } from '../../src/sim/run.js';

const SEEDS = [1, 2, 3];
/** Faults are injected from 3 s until 75 s before the end: two minutes give them 42 s. */
const MINUTES = 2;

/** `add N` and `get`; the reply is the count after the request. */
const COUNTER = `
export default {
  name: 'counter',
  initial: () => 0,
  apply: (n, request) => {
    if (request === 'get') return { state: n, reply: String(n) };
    const m = /^add (\\d+)$/.exec(request);
    if (!m) throw new Error('add N or get');
    return { state: n + Number(m[1]), reply: String(n + Number(m[1])) };
  },
  sample: (random) => (random() < 0.4 ? 'get' : 'add ' + (1 + Math.floor(random() * 3))),
};
`;

/** The request lines clients sent, as the trace shows them. */
function sentBodies(r: RunResult): Set<string> {
  const bodies = new Set<string>();
  for (const rec of r.trace!.records) if (rec.kind === 'print' && rec.event.event === 'client.sent') bodies.add(rec.event.body!);
  return bodies;
}

describe('simulator: any application by its spec', function () {
  this.timeout(120_000);
  let dir: string;
  const module = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'steadfast-any-app-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('status, fed the request lines given, keeps every invariant and sends only those lines', async () => {
    const requests = ['green', 'amber', 'red'];
    for (const seed of SEEDS) {
      const r = await runAppSeed({ seed, app: 'status', requests, minutes: MINUTES, keepTrace: true });
      expect(r.violations, `seed ${seed}: ${r.violations.map((v) => `${v.invariant}: ${v.detail}`).join('; ')}`).to.deep.equal([]);
      expect(r.answered, `seed ${seed}`).to.be.greaterThan(0);
      expect(Object.values(r.faults).reduce((a, b) => a + b), `seed ${seed}: faults`).to.be.greaterThan(0);
      expect([...sentBodies(r)].every((b) => requests.includes(b)), `seed ${seed}: ${[...sentBodies(r)].join(', ')}`).to.equal(true);
    }
  });

  it('an app without sample needs request lines, and is refused before the simulated clock takes the timers', async () => {
    const setTimeoutBefore = globalThis.setTimeout;
    let error: unknown = null;
    const unsampled = module('unsampled.mjs', COUNTER.replace(/^  sample: .*$/m, ''));
    await runAppSeed({ seed: 1, app: unsampled, minutes: MINUTES }).catch((err: unknown) => (error = err));
    expect(String(error)).to.match(/app = .*unsampled\.mjs has no sample: the run needs request lines/);
    expect(globalThis.setTimeout).to.equal(setTimeoutBefore);
  });

  it("a user's counter module, fed what its sample draws, keeps every invariant; a seed replays", async () => {
    const app = module('counter.mjs', COUNTER);
    for (const seed of SEEDS) {
      const r = await runAppSeed({ seed, app, minutes: MINUTES, keepTrace: true });
      expect(r.violations, `seed ${seed}: ${r.violations.map((v) => `${v.invariant}: ${v.detail}`).join('; ')}`).to.deep.equal([]);
      expect(r.answered, `seed ${seed}`).to.be.greaterThan(0);
      expect(Object.values(r.faults).reduce((a, b) => a + b), `seed ${seed}: faults`).to.be.greaterThan(0);
      expect([...sentBodies(r)].every((b) => /^(get|add [123])$/.test(b)), `seed ${seed}`).to.equal(true);
    }
    const [a, b] = [await runAppSeed({ seed: 2, app, minutes: MINUTES, keepTrace: true }), await runAppSeed({ seed: 2, app, minutes: MINUTES, keepTrace: true })];
    expect(JSON.stringify(a.trace!.records)).to.equal(JSON.stringify(b.trace!.records));
  });

  it('the spec crosses into campaign workers, which load the module themselves', async () => {
    const c = await campaign({ first: 1, runs: 2, workers: 2, minutes: MINUTES, app: module('counter-pool.mjs', COUNTER) });
    expect(c.failures.map((f) => f.seed)).to.deep.equal([]);
    expect(c.results.map((r) => r.config.app)).to.deep.equal([join(dir, 'counter-pool.mjs'), join(dir, 'counter-pool.mjs')]);
  });
});
