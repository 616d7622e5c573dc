import { expect } from 'chai';
import fc from 'fast-check';
import { kvApp, type KvRequest } from '../../src/app/kv.js';
import type { Operation } from '../../src/check/history.js';
import { checkKv } from '../../src/check/kv.js';
import { mulberry32 as rng } from '../../src/random.js';
import { bruteForce } from './brute.js';
import { buildKv, cas, del, get, kvOp, put, readFromTheFuture, tinyKv } from './kv-histories.js';

/** Request numbers by client, counted afresh in every test. */
let nums = new Map<string, number>();

/** One operation of `client` (numbered in order); `reply` null: unknown. */
function op(client: string, request: KvRequest | string, invoke: number, complete: number | null, reply: unknown = null): Operation {
  const num = (nums.get(client) ?? 0) + 1;
  nums.set(client, num);
  return kvOp(client, num, request, invoke, complete, reply);
}
const OK = { ok: true };
const val = (value: unknown) => ({ ok: true, value });
const casFailed = (value: unknown) => ({ ok: false, error: 'expect does not match', value });

const map = (entries: Record<string, unknown>) => new Map(Object.entries(entries));

function expectRejected(ops: Operation[], final: Map<string, unknown> | undefined, why: RegExp): void {
  const v = checkKv(ops, { final });
  expect(v.ok, JSON.stringify(v)).to.equal(false);
  expect((v as { reason: string }).reason).to.match(why);
}
const expectAccepted = (ops: Operation[], final?: Map<string, unknown>) => expect(checkKv(ops, { final })).to.deep.equal({ ok: true, method: 'search' });

describe('linearizability checker (kv application, per key)', () => {
  beforeEach(() => (nums = new Map()));

  describe('hand-made histories', () => {
    it('accepts a get concurrent with a put seeing either value, and an empty history', () => {
      expectAccepted([]);
      expectAccepted([], map({}));
      for (const seen of [null, 'a']) expectAccepted([op('C1', put('k', 'a'), 0, 10, OK), op('C2', get('k'), 5, 15, val(seen))]);
    });

    it('rejects a stale read: a get after a completed put sees the old value', () => {
      expectRejected([op('C1', put('k', 'a'), 0, 10, OK), op('C2', get('k'), 20, 30, val(null))], undefined, /key "k": no linearization.*C2:1/);
    });

    it('rejects reads that go back in time: a after b, though a was overwritten by b', () => {
      const ops = [
        op('C1', put('k', 'a'), 0, 5, OK),
        op('C2', put('k', 'b'), 10, 100, OK),
        op('C3', get('k'), 20, 30, val('b')),
        op('C4', get('k'), 40, 50, val('a')),
      ];
      expectRejected(ops, undefined, /key "k": no linearization/);
      // Concurrent reads may see them in either order.
      ops[3]!.invoke = 25;
      expectAccepted(ops);
    });

    it('rejects a read of a value no operation wrote on that key', () => {
      expectRejected([op('C1', put('j', 'a'), 0, 10, OK), op('C2', get('k'), 20, 30, val('a'))], undefined, /key "k": C2:1 .* was told it holds "a", which no operation wrote there/);
    });

    it('rejects a value brought back after del', () => {
      expectRejected([op('C1', put('k', 'a'), 0, 10, OK), op('C1', del('k'), 20, 30, OK), op('C2', get('k'), 40, 50, val('a'))], undefined, /no linearization/);
    });

    it('cas: rejects a success on the wrong value and a failure that shows a wrong current value; accepts the right ones', () => {
      const before = op('C1', put('k', 'a'), 0, 10, OK);
      expectRejected([before, op('C2', cas('k', 'b', 'c'), 20, 30, OK)], undefined, /no linearization/);
      expectRejected([before, op('C2', cas('k', 'a', 'c'), 20, 30, casFailed('a'))], undefined, /no linearization/);
      expectRejected([before, op('C2', cas('k', 'x', 'c'), 20, 30, casFailed(null))], undefined, /no linearization/);
      expectAccepted([before, op('C2', cas('k', 'a', 'c'), 20, 30, OK), op('C3', get('k'), 40, 50, val('c'))]);
      expectAccepted([before, op('C2', cas('k', 'x', 'c'), 20, 30, casFailed('a')), op('C3', get('k'), 40, 50, val('a'))]);
      // Absent is null: cas on an absent key with expect null succeeds.
      expectAccepted([op('C1', cas('k', null, 'a'), 0, 10, OK), op('C2', get('k'), 20, 30, val('a'))]);
    });

    it('values compare as JSON', () => {
      expectAccepted([op('C1', put('k', { n: [1, 2] }), 0, 10, OK), op('C2', cas('k', { n: [1, 2] }, 3), 20, 30, OK), op('C3', get('k'), 40, 50, val(3))]);
    });

    it('accepts unknown results that took effect (seen later) or never did', () => {
      const ops = [op('C1', put('k', 'a'), 0, 10, OK), op('C2', put('k', 'b'), 5, null), op('C1', get('k'), 20, 30, val('a')), op('C1', get('k'), 40, 50, val('b'))];
      expectAccepted(ops); // C2's put took effect between C1's gets
      expectAccepted(ops.slice(0, 3)); // or never
      // An unknown cas takes whichever outcome the state gives it.
      expectAccepted([op('C1', put('k', 'a'), 0, 10, OK), op('C2', cas('k', 'a', 'z'), 15, null), op('C1', get('k'), 20, 30, val('z'))]);
      // But an unknown operation cannot take effect before it was invoked.
      expectRejected([op('C1', put('k', 'a'), 0, 10, OK), op('C1', get('k'), 20, 30, val('b')), op('C2', put('k', 'b'), 40, null)], undefined, /no linearization/);
    });

    it('the final map: rejects a lost answered put, a key nobody wrote, a value overwritten for good; accepts an unknown put that came last', () => {
      const ops = [op('C1', put('k', 'a'), 0, 10, OK), op('C1', put('k', 'b'), 20, 30, OK)];
      expectAccepted(ops, map({ k: 'b' }));
      expectRejected(ops, map({}), /key "k": no linearization.*the final map's null/);
      expectRejected(ops, map({ k: 'a' }), /no linearization/);
      expectRejected(ops, map({ k: 'b', z: 1 }), /key "z": the final map holds 1, which no operation wrote there/);
      expectAccepted([...ops, op('C2', put('k', 'c'), 25, null)], map({ k: 'c' }));
      expectAccepted([...ops, op('C2', put('k', 'c'), 25, null)], map({ k: 'b' }));
    });

    it('keys are independent: a history linearizable per key passes, whatever the other keys did', () => {
      expectAccepted([
        op('C1', put('a', 1), 0, 10, OK),
        op('C2', put('b', 2), 0, 10, OK),
        op('C1', get('b'), 20, 30, val(2)),
        op('C2', get('a'), 20, 30, val(1)),
      ], map({ a: 1, b: 2 }));
    });

    it('malformed requests change nothing and must be refused; replies the app never gives are rejected', () => {
      const refused = { ok: false, error: 'request is not JSON' };
      expectAccepted([op('C1', 'nonsense', 0, 10, refused), op('C2', '{"op":"get","key":"k"}', 20, 30, val(null))]);
      expectAccepted([op('C1', '{"op":"put","key":"k"}', 0, null)], map({}));
      expectRejected([op('C1', 'nonsense', 0, 10, OK)], undefined, /C1:\d+ \(nonsense\) was answered \{"ok":true\}, but it is malformed and must be refused/);
      expectRejected([op('C1', put('k', 'a'), 0, 10, { ok: false, error: 'no' })], undefined, /but a put never fails/);
      expectRejected([op('C1', get('k'), 0, 10, OK)], undefined, /but a get answers ok with a value/);
      expectRejected([op('C1', cas('k', 1, 2), 0, 10, { ok: false, error: 'x' })], undefined, /a failed cas carries the current value/);
      expectRejected([op('C1', get('k'), 0, 10, '17')], undefined, /which is not a kv reply/);
      expectRejected([op('C1', get('k'), 0, 10, '{oops')], undefined, /which is not JSON/);
    });

    it('refuses malformed input with one clear error', () => {
      expect(() => checkKv([op('C1', get('k'), 10, 5, val(null))])).to.throw(/completes before it is invoked/);
      expect(() => checkKv([{ ...op('C1', get('k'), 0, null), reply: '{"ok":true}' }])).to.throw(/a reply needs a completion/);
    });
  });

  describe('properties', () => {
    it('agrees with brute force through the kv app itself on small histories', () => {
      let rejected = 0;
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
          const { ops, final } = tinyKv(seed);
          const truth = bruteForce(kvApp, ops, final === undefined ? undefined : kvApp.snapshot(final));
          const v = checkKv(ops, { final });
          expect(v.ok, `${JSON.stringify(v)} on ${JSON.stringify({ ops, final: final && [...final] })}`).to.equal(truth);
          if (!truth) rejected += 1;
        }),
        { numRuns: 2000 },
      );
      expect(rejected, 'histories rejected').to.be.within(200, 1800);
    });
  });
});

describe('linearizability checker (kv): real executions', () => {
  const shapes = fc.record({
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    ops: fc.integer({ min: 1, max: 80 }),
    clients: fc.integer({ min: 1, max: 6 }),
    keys: fc.integer({ min: 1, max: 4 }),
    unknown: fc.constantFrom(0, 0.05, 0.2),
    never: fc.constantFrom(0, 0.5, 1),
    withFinal: fc.boolean(),
  });

  it('accepts every real execution seen through overlapping intervals, and rejects it once a get reads from the future', () => {
    let broken = 0;
    fc.assert(
      fc.property(shapes, (s) => {
        const { ops, final } = buildKv(rng(s.seed), s);
        const f = s.withFinal ? final : undefined;
        expect(checkKv(ops, { final: f }).ok).to.equal(true);
        if (readFromTheFuture(ops)) {
          broken += 1;
          expect(checkKv(ops, { final: f }).ok).to.equal(false);
        }
      }),
      { numRuns: 300 },
    );
    expect(broken, 'histories broken').to.be.above(100);
  });

  describe('a 10,000-operation concurrent history on 4 keys', function () {
    this.timeout(60_000);
    const { ops, final } = buildKv(rng(20261126), { ops: 10_000, clients: 12, keys: 4, unknown: 0.01, never: 0.5 });

    for (const withFinal of [false, true]) {
      it(`is accepted quickly${withFinal ? ' with the final map' : ''}`, () => {
        const t0 = performance.now();
        const v = checkKv(ops, { final: withFinal ? final : undefined });
        const ms = performance.now() - t0;
        console.log(`      ${withFinal ? 'with the final map' : 'alone'}: ${ms.toFixed(1)} ms for ${ops.length} operations`);
        expect(v).to.deep.equal({ ok: true, method: 'search' });
        // Generous for a loaded 2-core machine; typically far below (see the console line).
        expect(ms).to.be.below(5000);
      });
    }

    it('and rejected once a get reads from the future', () => {
      const bad = ops.map((o) => ({ ...o }));
      const g = readFromTheFuture(bad);
      expect(g).to.not.equal(null);
      const t0 = performance.now();
      const v = checkKv(bad);
      console.log(`      rejected: ${(performance.now() - t0).toFixed(1)} ms: ${(v as { reason?: string }).reason}`);
      expect(v.ok).to.equal(false);
    });
  });
});
