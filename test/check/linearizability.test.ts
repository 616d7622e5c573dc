import { expect } from 'chai';
import fc from 'fast-check';
import { HistoryRecorder, parseHistory } from '../../src/check/history.js';
import { checkLog, logOperations, type LogOperation as Operation } from '../../src/check/linearizability.js';
import { mulberry32 as rng } from '../../src/random.js';
import { build, copy, smallLogHistories, swapOrdered } from './histories.js';

const op = (client: string, num: number, invoke: number, complete: number | null, position: number | null, value = `${client.toLowerCase()}-${num}`): Operation => ({
  client,
  num,
  value,
  invoke,
  complete,
  position,
});

const both = (ops: Operation[], final?: string[]) => {
  const a = checkLog(ops, { final, method: 'direct' });
  const b = checkLog(ops, { final, method: 'search' });
  return { direct: a, search: b };
};

function expectRejected(ops: Operation[], final: string[] | undefined, why: RegExp): void {
  const { direct, search } = both(ops, final);
  expect(direct.ok, 'direct').to.equal(false);
  expect(search.ok, 'search').to.equal(false);
  expect((direct as { reason: string }).reason).to.match(why);
}

function expectAccepted(ops: Operation[], final?: string[]): void {
  const { direct, search } = both(ops, final);
  expect(direct, 'direct').to.deep.equal({ ok: true, method: 'direct' });
  expect(search, 'search').to.deep.equal({ ok: true, method: 'search' });
}

describe('linearizability checker (log application)', () => {
  describe('hand-made histories', () => {
    it('accepts concurrent appends in either order, and an empty history', () => {
      expectAccepted([]);
      expectAccepted([op('C1', 1, 0, 10, 2), op('C2', 1, 5, 8, 1)]);
      expectAccepted([op('C1', 1, 0, 10, 1), op('C2', 1, 5, 8, 2)], ['c1-1', 'c2-1']);
    });

    it('rejects a position told twice', () => {
      expectRejected([op('C1', 1, 0, 10, 1), op('C2', 1, 5, 20, 1)], undefined, /position 1 was told to both C1:1 \(c1-1\) and C2:1/);
    });

    it('rejects a later request placed before one that completed before it began (stale order)', () => {
      // B was invoked at 20, after A completed at 10, yet got the earlier position.
      expectRejected([op('C1', 1, 0, 10, 2), op('C2', 1, 20, 30, 1)], undefined, /C2:1 \(c2-1\) \[20, 30\] completed before|C2:1 .* stands after|completed before C1:1/);
      // The same through the final log, with no positions told at all but by the unknown results.
      expectRejected([op('C1', 1, 0, 10, 2), op('C2', 1, 20, 30, 1)], ['c2-1', 'c1-1'], /completed before/);
    });

    it('rejects a gap that no unknown operation can fill, and accepts one that can', () => {
      expectRejected([op('C1', 1, 0, 10, 1), op('C2', 1, 20, 30, 3)], undefined, /nobody was told position 2/);
      // The only unknown one was invoked after C2:1, told 3, completed: it cannot be entry 2.
      expectRejected([op('C1', 1, 0, 10, 1), op('C2', 1, 20, 30, 3), op('C3', 1, 40, null, null)], undefined, /nobody was told position 2/);
      expectAccepted([op('C1', 1, 0, 10, 1), op('C2', 1, 20, 30, 3), op('C3', 1, 15, null, null)]);
      // Two gaps, one candidate.
      expectRejected([op('C1', 1, 0, 10, 1), op('C2', 1, 20, 30, 4), op('C3', 1, 5, null, null)], undefined, /nobody was told position 3/);
    });

    it('accepts an unknown result that never took effect or took effect at the end', () => {
      expectAccepted([op('C1', 1, 0, 10, 1), op('C2', 1, 5, null, null), op('C1', 2, 20, 30, 2)]);
      expectAccepted([op('C1', 1, 0, 10, 1), op('C2', 1, 5, null, null), op('C1', 2, 20, 30, 2)], ['c1-1', 'c1-2']);
      expectAccepted([op('C1', 1, 0, 10, 1), op('C2', 1, 5, null, null), op('C1', 2, 20, 30, 2)], ['c1-1', 'c1-2', 'c2-1']);
      expectAccepted([op('C1', 1, 0, 10, 1), op('C2', 1, 5, null, null), op('C1', 2, 20, 30, 3)], ['c1-1', 'c2-1', 'c1-2']);
    });

    it('rejects a final log that lost an answered request, holds one nobody sent, or misplaces one', () => {
      const ops = [op('C1', 1, 0, 10, 1), op('C1', 2, 20, 30, 2)];
      expectRejected(ops, ['c1-1'], /C1:2 \(c1-2\) was told position 2 but is not in the final log/);
      expectRejected(ops, ['c1-1', 'c1-2', 'zz'], /entry 3 of the final log \(zz\) was appended by no operation/);
      expectRejected(ops, ['c1-2', 'c1-1'], /was told position 2 but is entry 1|was told position 1 but is entry 2/);
      // An unknown operation that took effect before one invoked after... its own invoke is fine;
      // but an unknown one invoked after C1:2 completed cannot stand before it.
      expectRejected([ops[0]!, op('C1', 2, 20, 30, 3), op('C2', 1, 40, null, null)], ['c1-1', 'c2-1', 'c1-2'], /completed before C2:1/);
    });

    it('treats equal times as concurrent', () => {
      expectAccepted([op('C1', 1, 0, 10, 2), op('C2', 1, 10, 20, 1)]);
    });

    it('refuses malformed input with one clear error', () => {
      expect(() => checkLog([op('C1', 1, 10, 5, 1)])).to.throw(/completes before it is invoked/);
      expect(() => checkLog([op('C1', 1, 0, 5, 0)])).to.throw(/bad position 0/);
      expect(() => checkLog([op('C1', 1, 0, null, 3)])).to.throw(/a position needs a completion/);
    });

    it('falls back to the search when values repeat, and still decides', () => {
      const ops = [op('C1', 1, 0, 10, 1, 'x'), op('C2', 1, 20, 30, 2, 'x')];
      expect(checkLog(ops, { final: ['x', 'x'] })).to.deep.equal({ ok: true, method: 'search' });
      expect(checkLog(ops, { final: ['x'] }).ok).to.equal(false);
    });
  });

  describe('the history recorder', () => {
    it('merges resends and a restarted client\'s same request; an unanswered one stays unknown', () => {
      const r = new HistoryRecorder();
      r.invoked('C1', 1, 'a1', 0);
      r.invoked('C1', 1, 'a1', 5); // resent after a failover
      r.completed('C1', 1, '1', 9);
      r.invoked('C1', 2, 'a2', 10);
      r.invoked('C1', 2, 'a2', 30); // a restarted client sends number 2 again
      r.completed('C1', 2, '2', 35);
      r.invoked('C1', 3, 'a3', 40);
      expect(logOperations(r.operations)).to.deep.equal([op('C1', 1, 0, 9, 1, 'a1'), op('C1', 2, 10, 35, 2, 'a2'), op('C1', 3, 40, null, null, 'a3')]);
    });

    it('keeps a second, different answer to one request as its own operation, which the checker rejects', () => {
      const r = new HistoryRecorder();
      r.invoked('C1', 1, 'a1', 0);
      r.completed('C1', 1, '1', 9);
      r.completed('C1', 1, '2', 12);
      expect(r.operations).to.have.length(2);
      expect(checkLog(logOperations(r.operations), { final: ['a1'] }).ok).to.equal(false);
    });

    it('reads history files: JSON lines, a torn last line ignored, a bad line named', () => {
      const text = '{"type":"invoke","client":"C1","num":1,"value":"a","t":1}\n{"type":"complete","client":"C1","num":1,"reply":"1","t":2}\n{"type":"inv';
      expect(parseHistory(text)).to.have.length(2);
      expect(() => parseHistory('{"type":"complete","client":"C1","num":1,"t":2}\n', 'h.jsonl')).to.throw('h.jsonl:1: complete without a reply');
      expect(() => parseHistory('nonsense\n', 'h.jsonl')).to.throw('h.jsonl:1: not JSON');
    });

    it('reads the older form, whose complete lines carry a log position, as that reply', () => {
      const text = '{"type":"invoke","client":"C1","num":1,"value":"a","t":1}\n{"type":"complete","client":"C1","num":1,"position":3,"t":2}\n';
      expect(parseHistory(text)[1]).to.deep.equal({ type: 'complete', client: 'C1', num: 1, reply: '3', t: 2 });
      expect(() => parseHistory('{"type":"complete","client":"C1","num":1,"position":0,"t":2}\n', 'h.jsonl')).to.throw('h.jsonl:1: complete without a reply');
    });
  });

  describe('properties', () => {
    const shapes = fc.record({
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      ops: fc.integer({ min: 1, max: 60 }),
      clients: fc.integer({ min: 1, max: 6 }),
      unknown: fc.constantFrom(0, 0.05, 0.2),
      never: fc.constantFrom(0, 0.5, 1),
      withFinal: fc.boolean(),
    });

    it('accepts every real execution seen through overlapping intervals (both checkers)', () => {
      fc.assert(
        fc.property(shapes, (s) => {
          const { ops, final } = build(rng(s.seed), s);
          const f = s.withFinal ? final : undefined;
          expect(checkLog(ops, { final: f, method: 'direct' }).ok).to.equal(true);
          expect(checkLog(ops, { final: f, method: 'search' }).ok).to.equal(true);
        }),
        { numRuns: 300 },
      );
    });

    it('rejects it once two positions are swapped across real time, or one is told twice', () => {
      fc.assert(
        fc.property(shapes, (s) => {
          const { ops, final } = build(rng(s.seed), { ...s, ops: Math.max(s.ops, 30), clients: Math.max(2, s.clients) });
          const swapped = copy(ops);
          const pair = swapOrdered(swapped);
          if (pair) {
            const reordered = final.map((v) => (v === pair[0].value ? pair[1].value : v === pair[1].value ? pair[0].value : v));
            for (const f of [undefined, final, reordered]) {
              expect(checkLog(swapped, { final: f, method: 'direct' }).ok, `direct ${f ? 'final' : ''}`).to.equal(false);
              expect(checkLog(swapped, { final: f, method: 'search' }).ok, `search ${f ? 'final' : ''}`).to.equal(false);
            }
          }
          const twice = copy(ops);
          const known = twice.filter((o) => o.position !== null);
          if (known.length >= 2) {
            known[1]!.position = known[0]!.position;
            expect(checkLog(twice, { method: 'direct' }).ok).to.equal(false);
            expect(checkLog(twice, { method: 'search' }).ok).to.equal(false);
          }
        }),
        { numRuns: 200 },
      );
    });

    it('the direct check and the search agree on arbitrary small histories', () => {
      fc.assert(
        fc.property(smallLogHistories, ({ ops, final }) => {
          const a = checkLog(ops, { final, method: 'direct' });
          const b = checkLog(ops, { final, method: 'search' });
          expect(a.ok, `direct: ${JSON.stringify(a)}; search: ${JSON.stringify(b)}`).to.equal(b.ok);
        }),
        { numRuns: 3000 },
      );
    });
  });

  describe('a 10,000-operation concurrent history', function () {
    this.timeout(60_000);
    const { ops, final } = build(rng(20261126), { ops: 10_000, clients: 12, unknown: 0.01, never: 0.5 });

    for (const method of ['direct', 'search'] as const) {
      for (const withFinal of [false, true]) {
        it(`is accepted quickly by the ${method} check${withFinal ? ' with the final log' : ''}`, () => {
          const t0 = performance.now();
          const v = checkLog(ops, { method, final: withFinal ? final : undefined });
          const ms = performance.now() - t0;
          console.log(`      ${method}${withFinal ? ' + final log' : ''}: ${ms.toFixed(1)} ms for ${ops.length} operations`);
          expect(v.ok).to.equal(true);
          // Generous for a loaded 2-core machine; typically far below (see the console line).
          expect(ms).to.be.below(method === 'direct' ? 500 : 5000);
        });
      }
    }

    it('and rejected, just as quickly, once two positions are swapped', () => {
      const bad = copy(ops);
      expect(swapOrdered(bad)).to.not.equal(null);
      for (const method of ['direct', 'search'] as const) {
        const t0 = performance.now();
        const v = checkLog(bad, { method });
        console.log(`      ${method}, rejected: ${(performance.now() - t0).toFixed(1)} ms: ${(v as { reason?: string }).reason}`);
        expect(v.ok).to.equal(false);
      }
    });
  });
});
