import { expect } from 'chai';
import fc from 'fast-check';
import { defineApp } from '../../src/app/app.js';
import { kvApp } from '../../src/app/kv.js';
import { logApp } from '../../src/app/log.js';
import { statusApp } from '../../src/app/status.js';
import { checkWithApp } from '../../src/check/apps.js';
import type { Operation } from '../../src/check/history.js';
import { checkKv } from '../../src/check/kv.js';
import { checkLog, type LogOperation } from '../../src/check/linearizability.js';
import { checkRegister } from '../../src/check/register.js';
import type { Verdict } from '../../src/check/verdict.js';
import { mulberry32 as rng } from '../../src/random.js';
import { build, copy, smallLogHistories, swapOrdered } from './histories.js';
import { buildKv, readFromTheFuture, tinyKv } from './kv-histories.js';
import { tinyRegister } from './register-histories.js';

/**
 * A counter that changes its state in place, as apps may: so a search that stepped a state without
 * restoring a copy first would see increments that never happened.
 */
const counter = defineApp<{ n: number }>({
  name: 'counter',
  initial: () => ({ n: 0 }),
  apply: (state, request) => {
    if (request === 'inc') state.n += 1;
    else if (request !== 'get') throw new Error(`unknown request ${request}`);
    return { state, reply: String(state.n) };
  },
});
const at = (n: number) => counter.snapshot({ n });

const op = (client: string, num: number, value: string, invoke: number, complete: number | null, reply: string | null = null, failed?: boolean): Operation => ({
  client,
  num,
  value,
  invoke,
  complete,
  reply,
  ...(failed === undefined ? {} : { failed }),
});

/** A log history as the clients recorded it: each position as its reply string. */
const recorded = (ops: readonly LogOperation[]): Operation[] => ops.map(({ position, ...o }) => ({ ...o, reply: position === null ? null : String(position) }));

const accepted = (ops: Operation[], finalSnapshot?: string) => expect(checkWithApp(counter, ops, { finalSnapshot })).to.deep.equal({ ok: true, method: 'search' });

function rejected(ops: Operation[], finalSnapshot: string | undefined, why: RegExp): void {
  const v = checkWithApp(counter, ops, { finalSnapshot });
  expect(v.ok, JSON.stringify(v)).to.equal(false);
  expect((v as { reason: string }).reason).to.match(why);
}

describe('linearizability checker with the app itself as the model', () => {
  describe('hand-made histories over a counter', () => {
    it('accepts concurrent increments told either count, and an empty history', () => {
      accepted([]);
      accepted([], at(0));
      accepted([op('C1', 1, 'inc', 0, 10, '2'), op('C2', 1, 'inc', 5, 8, '1')], at(2));
    });

    it('rejects a stale read, one count told twice, and an order against real time', () => {
      rejected(
        [op('C1', 1, 'inc', 0, 10, '1'), op('C2', 1, 'get', 20, 30, '0')],
        undefined,
        /^no linearization through counter's apply: at most 1 of 2 operations fit in any order; then C2:1 \(get\) \[20, 30\] → 0 could not be placed$/,
      );
      rejected([op('C1', 1, 'inc', 0, 10, '1'), op('C2', 1, 'inc', 5, 15, '1')], undefined, /no linearization/);
      rejected([op('C1', 1, 'inc', 0, 10, '2'), op('C2', 1, 'inc', 20, 30, '1')], undefined, /no linearization/);
    });

    it('an unknown result may have taken effect or not, but not before it was invoked', () => {
      const before = [op('C1', 1, 'inc', 0, 10, '1'), op('C2', 1, 'inc', 5, null)];
      accepted([...before, op('C1', 2, 'get', 20, 30, '1')]);
      accepted([...before, op('C1', 2, 'get', 20, 30, '2')]);
      rejected([...before, op('C1', 2, 'get', 20, 30, '3')], undefined, /C1:2 \(get\) \[20, 30\] → 3 could not be placed/);
      rejected([op('C1', 1, 'inc', 0, 10, '1'), op('C1', 2, 'get', 20, 30, '2'), op('C2', 1, 'inc', 40, null)], undefined, /no linearization/);
    });

    it('a failed answer must carry the message apply threw, and be a failed one where the history says', () => {
      const message = 'unknown request dec';
      accepted([op('C1', 1, 'dec', 0, 10, message, true)]);
      accepted([op('C1', 1, 'dec', 0, 10, message)]);
      rejected([op('C1', 1, 'dec', 0, 10, message, false)], undefined, /C1:1 \(dec\) \[0, 10\] → unknown request dec could not be placed/);
      rejected([op('C1', 1, 'dec', 0, 10, 'no', true)], undefined, /C1:1 \(dec\) \[0, 10\] → failed: no could not be placed/);
      // Answered as a failure, though apply answers it.
      rejected([op('C1', 1, 'get', 0, 10, '0', true)], undefined, /→ failed: 0 could not be placed/);
      // A failed request leaves the state as it was.
      accepted([op('C1', 1, 'inc', 0, 10, '1'), op('C1', 2, 'dec', 20, 30, message, true), op('C1', 3, 'get', 40, 50, '1')], at(1));
      rejected([op('C1', 1, 'inc', 0, 10, '1'), op('C1', 2, 'dec', 20, 30, message, true)], at(0), /the final state/);
    });

    it('the final state: the order must end there; unknown operations may stand after it', () => {
      const ops = [op('C1', 1, 'inc', 0, 10, '1'), op('C1', 2, 'inc', 20, 30, '2')];
      accepted(ops, at(2));
      rejected(ops, at(1), /^no linearization through counter's apply: at most 2 of 3 operations fit in any order; then the final state "\{\\"n\\":1\}" could not be placed$/);
      const unknown = [...ops, op('C2', 1, 'inc', 25, null)];
      accepted(unknown, at(2));
      accepted(unknown, at(3));
      rejected(unknown, at(4), /the final state/);
    });

    it('refuses malformed input with one clear error', () => {
      expect(() => checkWithApp(counter, [op('C1', 1, 'inc', 10, 5, '1')])).to.throw(/completes before it is invoked/);
      expect(() => checkWithApp(counter, [op('C1', 1, 'inc', 0, null, '1')])).to.throw(/a reply needs a completion/);
    });

    it('gives up at its deadline with an unknown verdict, never a guess', () => {
      // 20 unknown increments and a read nobody can explain: every subset of them is a state to try.
      const ops = [...Array.from({ length: 20 }, (_, i) => op(`C${i + 1}`, 1, 'inc', 0, null)), op('R', 1, 'get', 100, 110, 'many')];
      const v = checkWithApp(counter, ops, { deadlineMs: 0 });
      expect(v).to.deep.include({ ok: 'unknown', method: 'search' });
      expect((v as { reason: string }).reason).to.match(/^gave up after 0 ms \(\d+ of 21 linearized at best through counter's apply\)$/);
    });
  });

  describe('agrees with the hand-written models on their test histories', () => {
    type Kinds = Record<'ok' | 'violation', number>;
    /** The same verdict kind from both; counts each kind, so a test can insist both come up. */
    function agree(kinds: Kinds, model: Verdict, app: Verdict, on: () => string): void {
      expect(model.ok, 'the model check decides').to.not.equal('unknown');
      expect(app.ok, `app: ${JSON.stringify(app)}; model: ${JSON.stringify(model)} on ${on()}`).to.equal(model.ok);
      kinds[model.ok === true ? 'ok' : 'violation'] += 1;
    }
    const agreeOnLog = (kinds: Kinds, ops: LogOperation[], final: string[] | undefined) =>
      agree(kinds, checkLog(ops, { final }), checkWithApp(logApp, recorded(ops), { finalSnapshot: final && logApp.snapshot(final) }), () => JSON.stringify({ ops, final }));
    const agreeOnKv = (kinds: Kinds, ops: Operation[], final: Map<string, unknown> | undefined) =>
      agree(kinds, checkKv(ops, { final }), checkWithApp(kvApp, ops, { finalSnapshot: final && kvApp.snapshot(final) }), () => JSON.stringify({ ops, final: final && [...final] }));

    it('log: on arbitrary small histories, with and without a final log', () => {
      const kinds = { ok: 0, violation: 0 };
      fc.assert(
        fc.property(smallLogHistories, ({ ops, final }) => {
          agreeOnLog(kinds, ops, final);
        }),
        { numRuns: 2000 },
      );
      expect(kinds.ok, 'accepted').to.be.above(200);
      expect(kinds.violation, 'rejected').to.be.above(200);
    });

    it('log: on real executions, and on them with two positions swapped across real time or one told twice', () => {
      const kinds = { ok: 0, violation: 0 };
      // Fewer operations and unknown results than the log checker's own test: every order of the
      // pending unknown appends is a different log, so the search grows with their factorial.
      const shapes = fc.record({
        seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        ops: fc.integer({ min: 1, max: 30 }),
        clients: fc.integer({ min: 1, max: 6 }),
        unknown: fc.constantFrom(0, 0.05, 0.1),
        never: fc.constantFrom(0, 0.5, 1),
      });
      fc.assert(
        fc.property(shapes, (s) => {
          const { ops, final } = build(rng(s.seed), s);
          agreeOnLog(kinds, ops, undefined);
          agreeOnLog(kinds, ops, final);
          const swapped = copy(ops);
          if (swapOrdered(swapped)) {
            agreeOnLog(kinds, swapped, undefined);
            agreeOnLog(kinds, swapped, final);
          }
          const twice = copy(ops);
          const known = twice.filter((o) => o.position !== null);
          if (known.length >= 2) {
            known[1]!.position = known[0]!.position;
            agreeOnLog(kinds, twice, undefined);
          }
        }),
        { numRuns: 200 },
      );
      expect(kinds.ok, 'accepted').to.be.above(100);
      expect(kinds.violation, 'rejected').to.be.above(100);
    });

    it('kv: on tiny histories answered as the app would in a random state', () => {
      const kinds = { ok: 0, violation: 0 };
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
          const { ops, final } = tinyKv(seed);
          agreeOnKv(kinds, ops, final);
        }),
        { numRuns: 2000 },
      );
      expect(kinds.ok, 'accepted').to.be.above(200);
      expect(kinds.violation, 'rejected').to.be.above(200);
    });

    it('kv: on real executions, and on them once a get reads from the future', () => {
      const kinds = { ok: 0, violation: 0 };
      const shapes = fc.record({
        seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        ops: fc.integer({ min: 1, max: 30 }),
        clients: fc.integer({ min: 1, max: 6 }),
        keys: fc.integer({ min: 1, max: 4 }),
        unknown: fc.constantFrom(0, 0.05, 0.1),
        never: fc.constantFrom(0, 0.5, 1),
      });
      fc.assert(
        fc.property(shapes, (s) => {
          const { ops, final } = buildKv(rng(s.seed), s);
          const both = () => {
            for (const f of [undefined, final]) agreeOnKv(kinds, ops, f);
          };
          both();
          if (readFromTheFuture(ops)) both();
        }),
        { numRuns: 200 },
      );
      expect(kinds.ok, 'accepted').to.be.above(100);
      expect(kinds.violation, 'rejected').to.be.above(100);
    });

    it('status: on tiny histories of writes, some answered wrongly', () => {
      const kinds = { ok: 0, violation: 0 };
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
          const { ops, final } = tinyRegister(seed);
          agree(kinds, checkRegister(ops, { final }), checkWithApp(statusApp, ops, { finalSnapshot: final }), () => JSON.stringify({ ops, final }));
        }),
        { numRuns: 2000 },
      );
      expect(kinds.ok, 'accepted').to.be.above(200);
      expect(kinds.violation, 'rejected').to.be.above(200);
    });
  });

  describe('a 300-operation concurrent log history with a few unknown results', function () {
    this.timeout(60_000);
    const { ops, final } = build(rng(20261205), { ops: 300, clients: 8, unknown: 0.01, never: 0.5 });
    const history = recorded(ops);

    it('is accepted, with and without the final log, and rejected once two positions are swapped', () => {
      for (const finalSnapshot of [undefined, logApp.snapshot(final)]) {
        const t0 = performance.now();
        const v = checkWithApp(logApp, history, { finalSnapshot });
        console.log(`      ${finalSnapshot === undefined ? 'alone' : 'with the final log'}: ${(performance.now() - t0).toFixed(1)} ms`);
        expect(v).to.deep.equal({ ok: true, method: 'search' });
      }
      const bad = copy(ops);
      expect(swapOrdered(bad)).to.not.equal(null);
      const t0 = performance.now();
      const v = checkWithApp(logApp, recorded(bad));
      console.log(`      rejected: ${(performance.now() - t0).toFixed(1)} ms: ${(v as { reason?: string }).reason}`);
      expect(v.ok).to.equal(false);
    });
  });
});
