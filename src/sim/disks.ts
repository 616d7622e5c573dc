/**
 * The servers' disks in a run with `data_dir` (`RunOptions.disks`): one `MemoryDisk` per server
 * name, kept across that server's processes, as a folder on its host outlives every process. A
 * process's death (kill -9, an LFD's kill, fail-stop) leaves the disk as it is: the kernel's page
 * cache keeps what the process wrote, synced or not. Only a power cut (`crash`) loses what was not
 * synced, optionally leaving a torn prefix of the first unsynced write of each file.
 */
import { openDataFolder } from '../actors/data-folder.js';
import type { ServerDisk } from '../actors/server.js';
import type { Print } from '../log/events.js';
import type { Disk } from '../storage/disk.js';
import { MemoryDisk } from '../storage/memory-disk.js';
import type { Scheduler } from './scheduler.js';

/** What a server process is to its disk: where its completions arrive, and how it ends. */
export interface DiskProcess {
  server: string;
  /** Runs `fn` now, or once the process runs again (a hung one), or never (a dead one). */
  gate(fn: () => void): void;
  /** A write failed: the process exits. */
  exit(): void;
}

export class SimDisks {
  private readonly disks = new Map<string, MemoryDisk>();
  /** Told once of the next write any server makes (an aimed power cut waits for one). */
  onWrite: (() => void) | null = null;

  /** `random`: the run's disk stream (how long each sync takes, where a torn write is cut). */
  constructor(
    private readonly sched: Scheduler,
    private readonly random: () => number,
  ) {}

  /**
   * The data folder `proc` opens as `steadfast server` does: what it holds is read back now (its
   * warnings printed), and the process goes on appending to it.
   */
  open(proc: DiskProcess, print: Print): ServerDisk {
    let disk = this.disks.get(proc.server);
    if (!disk) {
      // Timed by the scheduler so that a seed replays; a sync takes the kernel some milliseconds.
      disk = new MemoryDisk((fn) => this.sched.setTimeout(fn, this.syncMs()));
      this.disks.set(proc.server, disk);
    }
    // The end of the process's turn (production: setImmediate), and nothing once it is gone.
    const defer = (fn: () => void) => this.sched.queueMicrotask(() => proc.gate(fn));
    const wrote = () => {
      const tell = this.onWrite;
      this.onWrite = null;
      tell?.();
    };
    const failStop = () => this.sched.queueMicrotask(() => proc.exit());
    return openDataFolder(processView(disk, proc, wrote), { server: proc.server, print, failStop, defer });
  }

  /** A power cut: every disk keeps what was synced; `torn`, also a part of each file's first unsynced write. */
  crash(torn: boolean): void {
    const tear = torn ? (length: number) => Math.floor(length * this.random()) : undefined;
    for (const disk of this.disks.values()) disk.crash(tear);
  }

  /** Every disk emptied (a test of the checker: a power cut that loses everything must be caught). */
  wipe(): void {
    this.disks.clear();
  }

  /** Mostly 1–3 ms; now and then a slow one, up to 20 ms more (a busy device). */
  private syncMs(): number {
    const base = 1 + Math.floor(this.random() * 3);
    return this.random() < 0.05 ? base + Math.floor(this.random() * 20) : base;
  }
}

/**
 * The disk as one process sees it: the kernel completes a sync whatever the process does, but the
 * process hears of it only while it runs (a hung one later, a dead one never).
 */
function processView(disk: Disk, proc: DiskProcess, wrote: () => void): Disk {
  return {
    read: (name) => disk.read(name),
    append: (name, bytes) => {
      disk.append(name, bytes);
      wrote();
    },
    truncate: (name, length) => disk.truncate(name, length),
    sync: (name, done) => disk.sync(name, (err) => proc.gate(() => done(err))),
    replace: (name, chunks, done) => disk.replace(name, chunks, (err) => proc.gate(() => done(err))),
    remove: (name) => disk.remove(name),
    list: () => disk.list(),
  };
}
