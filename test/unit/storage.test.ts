/** What steadfast writes to disk: records that survive tearing, group commit, the simulator's disk, a real folder. */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogFile, LOG_HEADER } from '../../src/storage/log-file.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import { DataDirError, openDataDir } from '../../src/storage/node-disk.js';
import { encodeRecord, fileHeader, FormatError, readRecords } from '../../src/storage/records.js';
import { readSnapshot, writeSnapshot } from '../../src/storage/snapshot-file.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const join3 = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
};
/** Runs what a `MemoryDisk` or `LogFile` deferred, in order, until nothing is left. */
function deferrer() {
  const queue: (() => void)[] = [];
  return { defer: (fn: () => void) => void queue.push(fn), run: () => { while (queue.length > 0) queue.shift()!(); } };
}

describe('storage', () => {
  describe('records', () => {
    const header = fileHeader('log', 1);
    const file = join3(header, ...['one', 'two', 'three'].map((s) => encodeRecord(bytes(s))));

    it('read back whole, with the header of their kind and version', () => {
      expect(text(header)).to.equal('steadfast log 1\n');
      const r = readRecords(file, header);
      expect([r.payloads.map(text), r.validBytes, r.damage]).to.deep.equal([['one', 'two', 'three'], file.length, null]);
    });

    it('cut anywhere inside the last record: the others, and a torn end', () => {
      const lastStart = file.length - encodeRecord(bytes('three')).length;
      for (let cut = lastStart + 1; cut < file.length; cut++) {
        const r = readRecords(file.subarray(0, cut), header);
        expect(r.payloads.map(text), `cut at ${cut}`).to.deep.equal(['one', 'two']);
        expect(r.validBytes).to.equal(lastStart);
        expect(r.damage?.kind).to.equal('torn');
      }
      // A last record whose bytes are all there but wrong (a sector written in part) is torn too.
      const flippedLast = file.slice();
      flip(flippedLast, file.length - 1, 0xff);
      expect(readRecords(flippedLast, header).damage).to.deep.equal({ kind: 'torn', at: lastStart, reason: 'checksum mismatch' });
    });

    it('a flipped byte in the middle: the records before it, and corruption named', () => {
      const flipped = file.slice();
      const second = header.length + encodeRecord(bytes('one')).length;
      flip(flipped, second + 9, 0x01);
      const r = readRecords(flipped, header);
      expect([r.payloads.map(text), r.validBytes, r.damage]).to.deep.equal([['one'], second, { kind: 'corrupt', at: second, reason: 'checksum mismatch' }]);
    });

    it('another kind or version is no file of ours; an empty or half-headed one has no records', () => {
      expect(() => readRecords(join3(fileHeader('log', 2), encodeRecord(bytes('x'))), header)).to.throw(FormatError, 'not "steadfast log 1" (starts "steadfast log 2")');
      expect(readRecords(new Uint8Array(0), header)).to.deep.equal({ payloads: [], validBytes: 0, damage: null });
      expect(readRecords(header.subarray(0, 5), header).damage?.kind).to.equal('torn');
    });
  });

  describe('the simulator\'s disk', () => {
    it('loses what was not synced when it crashes, or keeps part of the first unsynced write, torn', () => {
      const q = deferrer();
      const disk = new MemoryDisk(q.defer);
      disk.append('f', bytes('synced;'));
      let done = 0;
      disk.sync('f', () => done++);
      disk.append('f', bytes('after the sync call;'));
      q.run();
      expect(done).to.equal(1);
      disk.append('f', bytes('later'));
      expect(text(disk.read('f')!)).to.equal('synced;after the sync call;later');
      disk.crash();
      expect(text(disk.read('f')!)).to.equal('synced;');
      disk.append('f', bytes('abcdef'));
      disk.crash((n) => n - 2);
      expect(text(disk.read('f')!)).to.equal('synced;abcd');
    });

    it('a sync or replace that had not completed when it crashed never completes', () => {
      const q = deferrer();
      const disk = new MemoryDisk(q.defer);
      disk.append('f', bytes('x'));
      const calls: string[] = [];
      disk.sync('f', () => calls.push('sync'));
      disk.replace('g', [bytes('new')], () => calls.push('replace'));
      disk.crash();
      q.run();
      expect([calls, disk.read('f'), disk.read('g')]).to.deep.equal([[], new Uint8Array(0), null]);
    });
  });

  describe('a snapshot', () => {
    const written = (state: string | string[]) => {
      const q = deferrer();
      const disk = new MemoryDisk(q.defer);
      writeSnapshot(disk, 'snapshot', { meta: { position: 7 }, state }, () => {});
      q.run();
      return disk;
    };
    const records = (disk: MemoryDisk) => readRecords(disk.read('snapshot')!, fileHeader('snapshot', 2)).payloads;

    it('goes to disk in records of at most 2^20 characters, cut across the pieces it was given, and comes back in them', () => {
      const pieces = ['a'.repeat(700_000), 'é'.repeat(900_000), 'b'.repeat(600_000)];
      const disk = written(pieces);
      expect(records(disk).map((r) => text(r).length)).to.deep.equal(['{"meta":{"position":7},"chars":2200000}'.length, 1 << 20, 1 << 20, 2_200_000 - 2 * (1 << 20)]);
      const read = readSnapshot<{ position: number }>(disk, 'snapshot')!;
      expect(read.meta).to.deep.equal({ position: 7 });
      expect((read.state as string[]).join('')).to.equal(pieces.join(''));
    });

    it('missing its last records is damaged, not a shorter state', () => {
      const disk = written('c'.repeat(3 << 20));
      const file = disk.read('snapshot')!;
      const last = records(disk).at(-1)!;
      const q = deferrer();
      const cut = new MemoryDisk(q.defer);
      cut.replace('snapshot', [file.subarray(0, file.length - last.length - 8)], () => {});
      q.run();
      expect(() => readSnapshot(cut, 'snapshot')).to.throw(FormatError, `snapshot: ${(3 << 20) - last.length} characters of state, ${3 << 20} written`);
    });

    it('of format 1, as the version before wrote it, is still read', () => {
      const q = deferrer();
      const disk = new MemoryDisk(q.defer);
      disk.replace('snapshot', [fileHeader('snapshot', 1), encodeRecord(bytes('{"position":3}\nthe state'))], () => {});
      q.run();
      expect(readSnapshot(disk, 'snapshot')).to.deep.equal({ meta: { position: 3 }, state: 'the state' });
    });
  });

  describe('the log', () => {
    it('group commit: one sync covers every append of a turn, and the next covers what came while it ran', () => {
      const q = deferrer();
      const disk = new MemoryDisk(q.defer);
      const { log } = LogFile.open<{ n: number }>(disk, 'log', q.defer);
      const durable: number[] = [];
      for (let n = 1; n <= 100; n++) {
        log.append({ n });
        log.whenDurable(() => durable.push(n));
      }
      // The sync starts at the end of the turn; entries appended before it starts are covered too.
      q.run();
      expect([durable.length, log.syncs]).to.deep.equal([100, 1]);
      // While a sync runs, the next waits for it, then covers everything that came meanwhile.
      const slow = deferrer();
      const disk2 = new MemoryDisk(slow.defer);
      const { log: log2 } = LogFile.open<{ n: number }>(disk2, 'log', (fn) => fn());
      const done2: number[] = [];
      log2.append({ n: 1 });
      log2.whenDurable(() => done2.push(1));
      for (let n = 2; n <= 50; n++) {
        log2.append({ n });
        log2.whenDurable(() => done2.push(n));
      }
      slow.run();
      expect([done2, log2.syncs]).to.deep.equal([Array.from({ length: 50 }, (_, i) => i + 1), 2]);
    });

    it('reopened after a crash: exactly what was durable; a torn end is cut off and appending goes on after it', () => {
      const q = deferrer();
      const disk = new MemoryDisk(q.defer);
      const first = LogFile.open<{ n: number }>(disk, 'log', q.defer);
      for (let n = 1; n <= 5; n++) first.log.append({ n });
      first.log.whenDurable(() => {});
      q.run();
      first.log.append({ n: 6 });
      disk.crash((length) => length - 3);
      const again = LogFile.open<{ n: number }>(disk, 'log', q.defer);
      expect(again.entries.map((e) => e.n)).to.deep.equal([1, 2, 3, 4, 5]);
      expect(again.damage?.kind).to.equal('torn');
      again.log.append({ n: 6 });
      again.log.whenDurable(() => {});
      q.run();
      const third = LogFile.open<{ n: number }>(disk, 'log', q.defer);
      expect([third.entries.map((e) => e.n), third.damage]).to.deep.equal([[1, 2, 3, 4, 5, 6], null]);
      expect(text(disk.read('log')!.subarray(0, LOG_HEADER.length))).to.equal('steadfast log 1\n');
    });
  });

  describe('a real folder', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'steadfast-disk-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('keeps the log across a reopen, and replaces a snapshot whole, leaving no temporary file', async () => {
      const disk = openDataDir(join(dir, 'S1'));
      const { log } = LogFile.open<{ n: number }>(disk, 'log');
      for (let n = 1; n <= 3; n++) log.append({ n });
      await new Promise<void>((resolve, reject) => log.whenDurable((err) => (err ? reject(err) : resolve())));
      expect(LogFile.open<{ n: number }>(openDataDir(join(dir, 'S1')), 'log').entries).to.deep.equal([{ n: 1 }, { n: 2 }, { n: 3 }]);
      for (const state of ['first', 'second, longer than the first']) {
        await new Promise<void>((resolve, reject) => writeSnapshot(disk, 'snapshot', { meta: { position: state.length }, state }, (err) => (err ? reject(err) : resolve())));
      }
      expect(readSnapshot(disk, 'snapshot')).to.deep.equal({ meta: { position: 29 }, state: ['second, longer than the first'] });
      expect(readdirSync(join(dir, 'S1')).sort()).to.deep.equal(['log', 'snapshot']);
    });

    it('a damaged snapshot is an error naming it, not a wrong state', async () => {
      const disk = openDataDir(dir);
      await new Promise<void>((resolve) => writeSnapshot(disk, 'snapshot', { meta: { at: 1 }, state: 'x'.repeat(100) }, () => resolve()));
      const damaged = disk.read('snapshot')!.slice();
      // The header (21 bytes), the description's record (8 + 29), then the state's: one of its x's flipped.
      flip(damaged, 21 + 37 + 8 + 50, 0x20);
      writeFileSync(join(dir, 'snapshot'), damaged);
      expect(() => readSnapshot(disk, 'snapshot')).to.throw(FormatError, 'snapshot: torn at byte 58 (checksum mismatch)');
    });

    it('a folder that cannot be made or written is one clear error', () => {
      writeFileSync(join(dir, 'a-file'), '');
      expect(() => openDataDir(join(dir, 'a-file', 'S1'))).to.throw(DataDirError, /a-file\/S1: cannot be used as a data folder \(ENOTDIR\)/);
    });
  });

  describe('a full disk', () => {
    /** A MemoryDisk whose appends throw ENOSPC once `room` bytes went in. */
    function fullDisk(room: number) {
      const disk = new MemoryDisk();
      let used = 0;
      const append = disk.append.bind(disk);
      disk.append = (name, bytes) => {
        used += bytes.length;
        if (used > room) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        append(name, bytes);
      };
      return disk;
    }
    const durable = (log: LogFile<unknown>) => new Promise<Error | null>((resolve) => log.whenDurable(resolve));

    it('an append that fails does not throw; whenDurable reports it, and every later one too', async () => {
      const { log } = LogFile.open<{ n: number }>(fullDisk(LOG_HEADER.length + 40), 'log', queueMicrotask);
      log.append({ n: 1 });
      expect(await durable(log)).to.equal(null);
      log.append({ n: 2 });
      log.append({ n: 3 });
      expect((await durable(log))?.message).to.match(/ENOSPC/);
      expect((await durable(log))?.message, 'it sticks').to.match(/ENOSPC/);
    });

    it('a failed sync sticks too: a later sync that succeeds proves nothing', async () => {
      const disk = new MemoryDisk();
      let fail = true;
      const sync = disk.sync.bind(disk);
      disk.sync = (name, done) => sync(name, (err) => done(fail ? new Error('EIO: i/o error, fdatasync') : err));
      const { log } = LogFile.open<{ n: number }>(disk, 'log', queueMicrotask);
      log.append({ n: 1 });
      expect((await durable(log))?.message).to.match(/EIO/);
      fail = false;
      log.append({ n: 2 });
      expect((await durable(log))?.message).to.match(/EIO/);
    });
  });
});

/** Flips the bits of `mask` in byte `at`. */
function flip(b: Uint8Array, at: number, mask: number): void {
  b[at] = b[at]! ^ mask;
}
