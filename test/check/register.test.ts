import { expect } from 'chai';
import fc from 'fast-check';
import { statusApp } from '../../src/app/status.js';
import type { Operation } from '../../src/check/history.js';
import { checkRegister } from '../../src/check/register.js';
import { bruteForce } from './brute.js';
import { tinyRegister, w } from './register-histories.js';

const both = (ops: Operation[], final?: string) => ({ direct: checkRegister(ops, { final, method: 'direct' }), search: checkRegister(ops, { final, method: 'search' }) });

function expectRejected(ops: Operation[], final: string | undefined, why: RegExp): void {
  const { direct, search } = both(ops, final);
  expect(direct.ok, `direct: ${JSON.stringify(direct)}`).to.equal(false);
  expect(search.ok, `search: ${JSON.stringify(search)}`).to.equal(false);
  expect((direct as { reason: string }).reason).to.match(why);
}

function expectAccepted(ops: Operation[], final?: string): void {
  const { direct, search } = both(ops, final);
  expect(direct, 'direct').to.deep.equal({ ok: true, method: 'direct' });
  expect(search, 'search').to.deep.equal({ ok: true, method: 'search' });
}

describe('linearizability checker (register: the status application)', () => {
  describe('hand-made histories', () => {
    it('accepts concurrent writes with either one last, and an empty history', () => {
      expectAccepted([]);
      expectAccepted([], '');
      const ops = [w('C1', 1, 'a', 0, 10), w('C2', 1, 'b', 5, 8)];
      expectAccepted(ops, 'a');
      expectAccepted(ops, 'b');
      expectAccepted(ops);
    });

    it('rejects a write answered with anything but what it wrote', () => {
      expectRejected([w('C1', 1, 'a', 0, 10, 'b')], undefined, /C1:1 \(a\) wrote "a" but was told the state is "b"/);
    });

    it('rejects a final state nobody wrote, or the initial one after a completed write', () => {
      expectRejected([w('C1', 1, 'a', 0, 10)], 'zz', /final state "zz" was written by no operation/);
      expectRejected([w('C1', 1, 'a', 0, 10)], '', /final state "" was written by no operation/);
    });

    it('rejects a final state that a later completed write must have overwritten (a lost write)', () => {
      // C2's write began after C1's completed and completed too: it stands after C1's, so 'a' cannot be last.
      expectRejected([w('C1', 1, 'a', 0, 10), w('C2', 1, 'b', 20, 30)], 'a', /last written by C1:1 \(a\) \[0, 10\], but C2:1 \(b\) \[20, 30\] was invoked after/);
      // A second writer of the same value that may stand last saves it.
      expectAccepted([w('C1', 1, 'a', 0, 10), w('C2', 1, 'b', 20, 30), w('C3', 1, 'a', 25, 40)], 'a');
    });

    it('accepts unknown results that took effect last, or never', () => {
      const ops = [w('C1', 1, 'a', 0, 10), w('C2', 1, 'b', 5, null), w('C1', 2, 'c', 20, 30)];
      expectAccepted(ops, 'b'); // C2's write took effect after C1:2
      expectAccepted(ops, 'c'); // it never took effect, or before C1:2
      expectAccepted([w('C2', 1, 'b', 5, null)], ''); // never took effect
      expectRejected(ops, 'a', /last written by C1:1/);
    });

    it('treats equal times as concurrent', () => {
      expectAccepted([w('C1', 1, 'a', 0, 10), w('C2', 1, 'b', 10, 20)], 'a');
    });

    it('refuses malformed input with one clear error', () => {
      expect(() => checkRegister([w('C1', 1, 'a', 10, 5)])).to.throw(/completes before it is invoked/);
      expect(() => checkRegister([w('C1', 1, 'a', 0, null, 'a')])).to.throw(/a reply needs a completion/);
    });
  });

  describe('properties', () => {
    it('both checkers agree with brute force through the status app itself on small histories', () => {
      let rejected = 0;
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
          const { ops, final } = tinyRegister(seed);
          const truth = bruteForce(statusApp, ops, final);
          const { direct, search } = both(ops, final);
          expect(direct.ok, `direct ${JSON.stringify(direct)} on ${JSON.stringify({ ops, final })}`).to.equal(truth);
          expect(search.ok, `search ${JSON.stringify(search)}`).to.equal(truth);
          if (!truth) rejected += 1;
        }),
        { numRuns: 2000 },
      );
      // The comparison means something only if both verdicts come up often.
      expect(rejected, 'histories rejected').to.be.within(200, 1800);
    });
  });
});
