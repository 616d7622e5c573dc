/**
 * Runs with disks (`RunOptions.disks`): each server's data folder on a simulated disk that outlives
 * its processes, and whole-cluster power cuts among the faults. A process's death keeps what it
 * wrote (the page cache), a power cut keeps only what was synced; a run replays exactly; and the
 * checker's history goes on across a power cut, so a cut that lost the disks would be caught.
 */
import { expect } from 'chai';
import type { ServerDisk } from '../../src/actors/server.js';
import type { HistoryEntry } from '../../src/core/effects.js';
import { mulberry32 } from '../../src/random.js';
import { SimDisks, type DiskProcess } from '../../src/sim/disks.js';
import { runSeed } from '../../src/sim/run.js';
import { Scheduler } from '../../src/sim/scheduler.js';
import { formatRecord } from '../../src/sim/trace.js';

const entry = (position: number): HistoryEntry => ({ position, epoch: 1, client: 'C1', num: position, body: `c1-${position}` });

/** A process whose gate is open, shut (hung: what arrives waits), or gone (dead: what arrives is dropped). */
function proc(): DiskProcess & { state: 'running' | 'hung' | 'dead'; held: (() => void)[]; resume(): void } {
  const p = {
    server: 'S1',
    state: 'running' as 'running' | 'hung' | 'dead',
    held: [] as (() => void)[],
    gate(fn: () => void) {
      if (p.state === 'running') fn();
      else if (p.state === 'hung') p.held.push(fn);
    },
    exit() {
      p.state = 'dead';
    },
    resume() {
      p.state = 'running';
      for (const fn of p.held.splice(0)) fn();
    },
  };
  return p;
}

describe('simulator: disks', function () {
  this.timeout(120_000);

  const positions = (disk: ServerDisk) => disk.history.entries.map((e) => e.position);

  it('a process that dies keeps what it wrote (the page cache); a power cut keeps only what was synced', () => {
    const sched = new Scheduler(() => 0.5);
    const disks = new SimDisks(sched, mulberry32(7));
    const first = disks.open(proc(), () => {});
    first.store.append(entry(1));
    let durable = false;
    first.store.whenDurable(() => (durable = true));
    sched.runUntil(100);
    expect(durable, 'entry 1 synced').to.equal(true);
    first.store.append(entry(2));

    // kill -9: the next process reads both, the second from the page cache.
    const second = disks.open(proc(), () => {});
    expect(positions(second)).to.deep.equal([1, 2]);

    disks.crash(false);
    expect(positions(disks.open(proc(), () => {}))).to.deep.equal([1]);
  });

  it('a hung process hears that its write is durable when it runs again, a dead one never', () => {
    const sched = new Scheduler(() => 0.5);
    const disks = new SimDisks(sched, mulberry32(7));
    const hung = proc();
    const disk = disks.open(hung, () => {});
    disk.store.append(entry(1));
    let heard = 0;
    disk.store.whenDurable(() => (heard += 1));
    hung.state = 'hung';
    sched.runUntil(100);
    expect(heard, 'while hung').to.equal(0);
    hung.resume();
    sched.runUntil(200);
    expect(heard, 'once resumed').to.equal(1);

    disk.store.append(entry(2));
    disk.store.whenDurable(() => (heard += 1));
    hung.state = 'dead';
    sched.runUntil(300);
    expect(heard, 'after it died').to.equal(1);
  });

  it('a run with disks cuts the power, keeps every answer, and replays exactly', () => {
    const run = () => runSeed({ seed: 4, disks: true, keepTrace: true });
    const a = run();
    expect(a.violations).to.deep.equal([]);
    expect(a.config.disks).to.equal(true);
    expect(a.faults['power-cut'], 'power cuts').to.be.above(1);
    expect(a.clientsGaveUp, 'clients wait for the power to come back').to.equal(0);
    expect(a.replay).to.contain('--disks');
    const lines = a.trace!.records.map(formatRecord);
    expect(lines.some((l) => l.includes('process ends (power cut)'))).to.equal(true);
    expect(lines.some((l) => l.includes('has the furthest history on disk')), 'the RM chose from the disks').to.equal(true);
    const b = run();
    expect(b.schedule).to.deep.equal(a.schedule);
    expect(b.trace!.records.map(formatRecord)).to.deep.equal(lines);
  });

  it('a run without disks has no power cuts', () => {
    const res = runSeed({ seed: 4, minutes: 2 });
    expect(res.config.disks).to.equal(undefined);
    expect(res.faults['power-cut']).to.equal(0);
    expect(res.schedule.some((f) => f.includes('power-cut'))).to.equal(false);
  });

  it('the checker goes on across a power cut: one that empties the disks is caught', () => {
    const res = runSeed({ seed: 4, disks: true, diskLoss: true });
    const cut = Number(res.schedule.find((f) => f.includes('power-cut'))!.split(' ')[0]) * 1000;
    expect(res.violations.length, 'violations').to.be.above(0);
    const v = res.violations[0]!;
    expect(v.at, 'after the first power cut').to.be.above(cut);
    // The restarted RM starts the epochs over (nothing on disk), where processes before the cut already were.
    expect(['one-primary-per-epoch', 'answered-kept', 'linearizable']).to.include(v.invariant);
  });
});
