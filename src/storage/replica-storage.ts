/**
 * A replica's durable history (docs/durability.md): the last snapshot and, after it, a log of the
 * requests it applied, each at its position in the replicated history. Every snapshot starts a
 * new log file (`log.N`, N counting up, never reused) and names it; the logs before it are
 * removed only once it is durable, so a crash at any moment leaves a snapshot and the logs that
 * continue it. Reading back replays from the snapshot as far as positions run on by one, within
 * a file and from one file to the next: a log of another history (a backup that took an older
 * checkpoint than what it had applied) never continues this one.
 */
import type { History, HistoryEntry, HistorySnapshot } from '../core/effects.js';
import type { StateText } from '../protocol/state-text.js';
import type { Disk } from './disk.js';
import { LogFile } from './log-file.js';
import { FormatError, type Damage } from './records.js';
import { readSnapshot, writeSnapshot } from './snapshot-file.js';

/** The snapshot and the entries after it (positions running on by one), and what was cut short or left out, for printed warnings. */
export interface Recovered extends History {
  warnings: string[];
}

const SNAPSHOT = 'snapshot';
const LOG_PREFIX = 'log.';
const logName = (n: number) => `${LOG_PREFIX}${String(n).padStart(12, '0')}`;
const numberOf = (name: string) => Number(name.slice(LOG_PREFIX.length));

/**
 * A log record: an applied position, or a mark that the replica took a `ready` of an epoch (no
 * position: replay skips it, and the highest one is the history's `taken`).
 */
type LogRecord = HistoryEntry | { epoch: number };
const isEntry = (r: LogRecord): r is HistoryEntry => 'position' in r;

/** What the snapshot file describes besides the state. */
interface StoredMeta extends Omit<HistorySnapshot, 'state'> {
  /** The number of the first log after it. */
  log: number;
}

export class ReplicaStorage {
  /** A snapshot write in flight: one at a time, so that the file ends with the latest. */
  private writing = false;
  /** The latest snapshot asked for while one was being written; those it overtook are never written. */
  private pending: (StoredMeta & { state: StateText }) | null = null;
  private readonly afterWrites: (() => void)[] = [];
  private failure: Error | null = null;
  /**
   * Syncs of what was read at start, still running: a process killed before syncing leaves writes
   * in the page cache that the next one reads, so nothing is promised before they are on disk.
   */
  private replaying = 0;

  private constructor(
    private readonly disk: Disk,
    private readonly defer: (fn: () => void) => void,
    private log: LogFile<LogRecord>,
    private logNumber: number,
  ) {}

  /** Reads what the folder holds and goes on appending in a new log after it. */
  static open(disk: Disk, defer: (fn: () => void) => void = setImmediate): { storage: ReplicaStorage; recovered: Recovered } {
    const warnings: string[] = [];
    let stored: (StoredMeta & { state: StateText }) | null = null;
    try {
      const read = readSnapshot<StoredMeta>(disk, SNAPSHOT);
      stored = read && { ...read.meta, state: read.state };
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      warnings.push(`the snapshot is damaged (${err.message}): starting without it`);
    }
    const logs = disk.list().filter((n) => n.startsWith(LOG_PREFIX)).map(numberOf);
    const first = stored?.log ?? logs[0] ?? 0;
    const entries: HistoryEntry[] = [];
    let last = stored?.position ?? 0;
    let taken = 0;
    replay: for (const n of logs.filter((x) => x >= first)) {
      const opened = LogFile.open<LogRecord>(disk, logName(n), defer);
      if (opened.damage) warnings.push(describe(logName(n), opened.damage));
      for (const e of opened.entries) {
        if (!isEntry(e)) {
          taken = Math.max(taken, e.epoch);
          continue;
        }
        if (e.position !== last + 1) {
          warnings.push(`${logName(n)}: position ${e.position} does not follow ${last}: replay stops at ${last}`);
          break replay;
        }
        entries.push(e);
        last = e.position;
      }
    }
    const snapshot: HistorySnapshot | null = stored && { position: stored.position, epoch: stored.epoch, clients: stored.clients, state: stored.state };
    // What comes next goes to a log of its own: the old ones may end in a torn or foreign tail.
    const next = Math.max(-1, ...logs) + 1;
    const storage = new ReplicaStorage(disk, defer, LogFile.open<LogRecord>(disk, logName(next), defer).log, next);
    storage.syncRead([...(stored ? [SNAPSHOT] : []), ...logs.filter((x) => x >= first).map(logName)]);
    return { storage, recovered: { snapshot, entries, taken, warnings } };
  }

  append(entry: HistoryEntry): void {
    this.log.append(entry);
  }

  epoch(epoch: number): void {
    this.log.append({ epoch });
  }

  /**
   * The state at `snapshot.position` (a checkpoint sent or taken, a recovery): later entries go to
   * a new log; the logs before it are removed once the snapshot is durable.
   */
  snapshot({ state, ...meta }: HistorySnapshot): void {
    this.logNumber += 1;
    try {
      this.log = LogFile.open<LogRecord>(this.disk, logName(this.logNumber), this.defer).log;
    } catch (err) {
      // No new log (a full disk): nothing is durable any more, and `whenDurable` says so.
      this.failure ??= err as Error;
      return;
    }
    // A snapshot that is overtaken before its write starts is not needed: the next one covers the
    // logs it would have let go, and until then the older snapshot and those logs stand.
    this.pending = { ...meta, log: this.logNumber, state };
    if (!this.writing) this.writeNext();
  }

  private syncRead(names: string[]): void {
    this.replaying = names.length;
    for (const name of names) {
      this.disk.sync(name, (err) => {
        if (err) this.failure ??= err;
        this.replaying -= 1;
        this.settled();
      });
    }
  }

  /** Everything started so far is durable (or failed): whoever waited for that goes on. */
  private settled(): void {
    if (!this.writing && this.replaying === 0) for (const done of this.afterWrites.splice(0)) done();
  }

  private writeNext(): void {
    const next = this.pending;
    this.pending = null;
    if (next === null) {
      this.writing = false;
      this.settled();
      return;
    }
    this.writing = true;
    const { state, ...meta } = next;
    writeSnapshot<StoredMeta>(this.disk, SNAPSHOT, { meta, state }, (err) => {
      if (err) this.failure ??= err;
      else for (const name of this.disk.list()) if (name.startsWith(LOG_PREFIX) && numberOf(name) < meta.log) this.disk.remove(name);
      this.writeNext();
    });
  }

  /** `done` runs once everything appended and every snapshot started so far is durable (or with the error that stopped it). */
  whenDurable(done: (err: Error | null) => void): void {
    this.log.whenDurable((err) => {
      const finish = () => done(err ?? this.failure);
      if (!this.writing && this.replaying === 0) finish();
      else this.afterWrites.push(finish);
    });
  }
}

function describe(name: string, damage: Damage): string {
  return damage.kind === 'torn'
    ? `${name}: a torn last record cut off at byte ${damage.at} (${damage.reason})`
    : `${name}: damaged at byte ${damage.at} (${damage.reason}): the records after it are dropped`;
}
