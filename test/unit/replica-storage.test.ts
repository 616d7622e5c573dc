/** A replica's durable history on the simulator's disk: snapshot and logs, through crashes at every step. */
import { expect } from 'chai';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import type { HistoryEntry } from '../../src/core/effects.js';
import { ReplicaStorage } from '../../src/storage/replica-storage.js';

function setup() {
  const queue: (() => void)[] = [];
  const defer = (fn: () => void) => void queue.push(fn);
  const run = () => {
    while (queue.length > 0) queue.shift()!();
  };
  /** Runs only what was deferred last (a sync that completes while an earlier write does not). */
  const runNewest = () => queue.pop()!();
  const disk = new MemoryDisk(defer);
  const open = () => ReplicaStorage.open(disk, defer);
  return { disk, run, runNewest, open };
}

const entry = (position: number, tag = ''): HistoryEntry => ({ position, epoch: 1, client: 'C1', num: position, body: `e${position}${tag}` });
const bodies = (entries: HistoryEntry[]) => entries.map((e) => e.body);

describe('replica storage', () => {
  it('gives back after a crash exactly the entries that were durable', () => {
    const { disk, run, open } = setup();
    const { storage } = open();
    for (let p = 1; p <= 5; p++) storage.append(entry(p));
    let durable = false;
    storage.whenDurable(() => (durable = true));
    run();
    storage.append(entry(6));
    disk.crash();
    expect(durable).to.equal(true);
    const { recovered } = open();
    expect([recovered.snapshot, bodies(recovered.entries), recovered.warnings]).to.deep.equal([null, ['e1', 'e2', 'e3', 'e4', 'e5'], []]);
  });

  it('a snapshot starts a new log; once durable, the older logs go; replay is the snapshot and what follows it', () => {
    const { disk, run, open } = setup();
    const { storage } = open();
    for (let p = 1; p <= 3; p++) storage.append(entry(p));
    storage.snapshot({ position: 3, epoch: 1, clients: [{ client: 'C1', num: 3, reply: 'r' }], state: ['state at 3'] });
    storage.append(entry(4));
    storage.append(entry(5));
    storage.whenDurable(() => {});
    run();
    expect(disk.list()).to.deep.equal(['log.000000000001', 'snapshot']);
    disk.crash();
    const { recovered } = open();
    expect(recovered.snapshot).to.deep.equal({ position: 3, epoch: 1, clients: [{ client: 'C1', num: 3, reply: 'r' }], state: ['state at 3'] });
    expect(bodies(recovered.entries)).to.deep.equal(['e4', 'e5']);
  });

  it('crashed before the snapshot was durable: the old logs still carry the history, and the new log continues it', () => {
    const { disk, run, runNewest, open } = setup();
    const { storage } = open();
    for (let p = 1; p <= 3; p++) storage.append(entry(p));
    storage.whenDurable(() => {});
    run();
    storage.snapshot({ position: 3, epoch: 1, clients: [], state: ['state at 3'] });
    storage.append(entry(4));
    // The new log's sync completes, the snapshot's replacement does not.
    disk.sync('log.000000000001', () => {});
    runNewest();
    const calls: string[] = [];
    storage.whenDurable(() => calls.push('durable'));
    disk.crash();
    run();
    expect(calls, 'nothing waiting on the snapshot was told it is durable').to.deep.equal([]);
    const { recovered } = open();
    expect([recovered.snapshot, bodies(recovered.entries), recovered.warnings]).to.deep.equal([null, ['e1', 'e2', 'e3', 'e4'], []]);
  });

  it('a backup that takes an older checkpoint than what it applied: the other history is never replayed after it', () => {
    const { disk, run, runNewest, open } = setup();
    const { storage } = open();
    for (let p = 1; p <= 6; p++) storage.append(entry(p));
    storage.whenDurable(() => {});
    run();
    // A new primary's checkpoint at 3; positions 4.. of its history differ from this replica's.
    storage.snapshot({ position: 3, epoch: 2, clients: [], state: 'theirs at 3' });
    storage.append(entry(4, "'"));
    disk.sync('log.000000000001', () => {});
    runNewest();
    disk.crash();
    run();
    const before = open().recovered;
    expect(bodies(before.entries), 'the snapshot was not durable: the own history, not a mix').to.deep.equal(['e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
    expect(before.warnings).to.deep.equal(['log.000000000001: position 4 does not follow 6: replay stops at 6']);
    // Done again to the end: the snapshot and the new history only.
    const { storage: again } = open();
    again.snapshot({ position: 3, epoch: 2, clients: [], state: 'theirs at 3' });
    again.append(entry(4, "'"));
    again.whenDurable(() => {});
    run();
    disk.crash();
    const after = open().recovered;
    expect([after.snapshot?.state, bodies(after.entries), after.warnings]).to.deep.equal([['theirs at 3'], ["e4'"], []]);
  });

  it('a torn tail costs only the record it tore; a damaged snapshot is set aside with a warning', () => {
    const { disk, run, open } = setup();
    const { storage } = open();
    for (let p = 1; p <= 4; p++) storage.append(entry(p));
    storage.whenDurable(() => {});
    run();
    storage.append(entry(5));
    disk.crash((n) => n - 1);
    const torn = open().recovered;
    expect(bodies(torn.entries)).to.deep.equal(['e1', 'e2', 'e3', 'e4']);
    expect(torn.warnings).to.have.length(1);
    expect(torn.warnings[0]).to.match(/^log\.000000000000: a torn last record cut off at byte \d+ \(a record of \d+ bytes with \d+ left\)$/);

    const second = setup();
    const s2 = second.open().storage;
    s2.append(entry(1));
    s2.snapshot({ position: 1, epoch: 1, clients: [], state: 'state' });
    s2.append(entry(2));
    s2.whenDurable(() => {});
    second.run();
    const bytes = second.disk.read('snapshot')!.slice();
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 1;
    second.disk.replace('snapshot', [bytes], () => {});
    second.run();
    const damaged = second.open().recovered;
    expect(damaged.snapshot).to.equal(null);
    expect(damaged.entries, 'entries after a snapshot it cannot read are of no use').to.deep.equal([]);
    expect(damaged.warnings).to.have.length(2);
    expect(damaged.warnings[0]).to.match(/^the snapshot is damaged/);
  });

  it('writes one snapshot at a time: one asked for during a write waits, and one overtaken before its turn is never written', () => {
    const { disk, run, open } = setup();
    const { storage } = open();
    let inFlight = 0;
    let most = 0;
    const written: number[] = [];
    const replace = disk.replace.bind(disk);
    disk.replace = (name, chunks, done) => {
      most = Math.max(most, ++inFlight);
      const bytes = [...chunks];
      replace(name, bytes, (err) => {
        inFlight--;
        written.push(bytes.length);
        done(err);
      });
    };
    const snap = (position: number, state: string) => ({ position, epoch: 1, clients: [], state });
    storage.snapshot(snap(1, 'a'));
    storage.snapshot(snap(2, 'bb'));
    storage.snapshot(snap(3, 'ccc'));
    let durable = false;
    storage.whenDurable(() => (durable = true));
    run();
    expect([most, written.length, durable]).to.deep.equal([1, 2, true]);
    disk.crash();
    expect(open().recovered.snapshot).to.deep.equal({ ...snap(3, 'ccc'), state: ['ccc'] });
  });

  it('what a killed process left unsynced and the next one read is durable before the next one promises anything', () => {
    const { disk, run, open } = setup();
    const first = open().storage;
    first.append(entry(1));
    // kill -9 before the sync: the page cache keeps the write (no crash of the disk), the next process reads it.
    const { storage, recovered } = open();
    expect(bodies(recovered.entries)).to.deep.equal(['e1']);
    let durable = false;
    storage.whenDurable(() => (durable = true));
    run();
    expect(durable).to.equal(true);
    // Then the power goes: what it built on is still there.
    disk.crash();
    expect(bodies(open().recovered.entries)).to.deep.equal(['e1']);
  });
});
