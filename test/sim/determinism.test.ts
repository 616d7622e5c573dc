/**
 * A seed decides everything: the cluster, every fault, every latency and backoff, so a run replays
 * exactly. The same seed twice gives the same trace, event for event; another seed does not.
 */
import { expect } from 'chai';
import { runSeed } from '../../src/sim/run.js';
import { formatRecord } from '../../src/sim/trace.js';

describe('simulator: determinism', function () {
  this.timeout(120_000);

  const traceOf = (seed: number) => {
    const res = runSeed({ seed, events: true, keepTrace: true });
    return { res, lines: res.trace!.records.map(formatRecord) };
  };

  it('one seed run twice gives the same trace, event for event', () => {
    const a = traceOf(3);
    const b = traceOf(3);
    expect(a.lines.length, 'trace length').to.be.above(10_000);
    const firstDiff = a.lines.findIndex((line, i) => b.lines[i] !== line);
    expect(firstDiff, `first difference: ${a.lines[firstDiff]} / ${b.lines[firstDiff]}`).to.equal(-1);
    expect(b.lines.length).to.equal(a.lines.length);
    expect(b.res.schedule).to.deep.equal(a.res.schedule);
    expect(b.res.simulatedMs).to.equal(a.res.simulatedMs);
    // The trace holds every kind of record, faults included.
    for (const kind of ['FAULT', 'event', 'state', 'print']) expect(a.lines.some((l) => l.includes(` ${kind} `)), kind).to.equal(true);
    expect(a.res.schedule.length, 'faults injected').to.be.above(5);
  });

  it('another seed gives another run', () => {
    const a = runSeed({ seed: 3, minutes: 2 });
    const b = runSeed({ seed: 4, minutes: 2 });
    expect(b.schedule).to.not.deep.equal(a.schedule);
  });

  it('a kv run replays too: the same requests, generated from the seed, and the same trace', () => {
    const sent = (seed: number) => {
      const res = runSeed({ seed, app: 'kv', minutes: 2, keepTrace: true });
      const bodies = res.trace!.records.flatMap((r) => (r.kind === 'print' && r.event.event === 'client.sent' ? [`${r.event.name} ${r.event.body}`] : []));
      return { res, bodies, lines: res.trace!.records.map(formatRecord) };
    };
    const a = sent(5);
    const b = sent(5);
    expect(a.res.violations).to.deep.equal([]);
    expect(a.bodies.length, 'requests sent').to.be.above(50);
    expect(a.bodies.some((x) => x.includes('"op":"cas"')), 'a cas among them').to.equal(true);
    expect(b.bodies).to.deep.equal(a.bodies);
    expect(b.lines).to.deep.equal(a.lines);
    expect(sent(6).bodies).to.not.deep.equal(a.bodies);
  });
});
