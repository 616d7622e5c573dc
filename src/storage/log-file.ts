/**
 * A write-ahead log: JSON entries appended as records (records.ts) and made durable by group
 * commit. Every append made before `whenDurable(done)` is on disk when `done` runs; one sync at the
 * end of the turn covers everything appended in that turn, and while a sync runs the next waits
 * and then covers all that came meanwhile, so many clients share one sync under load.
 */
import type { Disk } from './disk.js';
import { encodeRecord, fileHeader, readRecords, type Damage } from './records.js';

export const LOG_HEADER = fileHeader('log', 1);

export interface OpenedLog<T> {
  log: LogFile<T>;
  entries: T[];
  /** What was cut off the end (and why), for a printed warning; null when the file was whole. */
  damage: Damage | null;
}

export class LogFile<T> {
  /** Callbacks waiting for the next sync, and whether one is running or scheduled. */
  private waiting: ((err: Error | null) => void)[] = [];
  private syncing = false;
  private scheduled = false;
  /**
   * The first failed append or sync. It sticks: after a failed fsync the kernel may have dropped
   * the dirty pages, so a later sync that succeeds proves nothing (the PostgreSQL fsync lesson).
   */
  private failure: Error | null = null;
  /** Syncs done so far (for the bench: syncs per request). */
  syncs = 0;

  private constructor(
    private readonly disk: Disk,
    readonly name: string,
    private readonly defer: (fn: () => void) => void,
  ) {}

  /**
   * The log's valid entries; a damaged end is cut off the file so that appending goes on after
   * the last valid record. A missing file is started with its header.
   */
  static open<T>(disk: Disk, name: string, defer: (fn: () => void) => void = setImmediate): OpenedLog<T> {
    const bytes = disk.read(name);
    const log = new LogFile<T>(disk, name, defer);
    if (bytes === null || bytes.length === 0) {
      if (bytes !== null) disk.truncate(name, 0);
      disk.append(name, LOG_HEADER);
      return { log, entries: [], damage: null };
    }
    const read = readRecords(bytes, LOG_HEADER);
    if (read.validBytes < bytes.length) disk.truncate(name, read.validBytes);
    if (read.validBytes === 0) disk.append(name, LOG_HEADER);
    const text = new TextDecoder();
    return { log, entries: read.payloads.map((p) => JSON.parse(text.decode(p)) as T), damage: read.damage };
  }

  /** Never throws: a failed write (a full disk) is reported by `whenDurable`. */
  append(entry: T): void {
    if (this.failure) return;
    try {
      this.disk.append(this.name, encodeRecord(new TextEncoder().encode(JSON.stringify(entry))));
    } catch (err) {
      this.failure = err as Error;
    }
  }

  /** `done` runs once everything appended so far is durable (or with the error that prevented it). */
  whenDurable(done: (err: Error | null) => void): void {
    this.waiting.push(done);
    if (this.syncing || this.scheduled) return;
    this.scheduled = true;
    this.defer(this.start);
  }

  private readonly start = (): void => {
    this.scheduled = false;
    const covered = this.waiting;
    this.waiting = [];
    this.syncing = true;
    this.disk.sync(this.name, (err) => {
      this.syncing = false;
      this.syncs += 1;
      this.failure ??= err;
      for (const done of covered) done(this.failure);
      if (this.waiting.length > 0 && !this.scheduled) {
        this.scheduled = true;
        this.defer(this.start);
      }
    });
  };
}
