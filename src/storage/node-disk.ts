/**
 * A data folder on a real file system. Appends go to the page cache at once (one `write` each);
 * `sync` is an `fdatasync` that runs off the event loop, and a file created since the folder was
 * last synced gets the folder synced too, so that its name survives a crash with its content.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Disk } from './disk.js';

const TEMPORARY = '.tmp';

export class DataDirError extends Error {}

/**
 * The folder, created if missing and checked writable now: a folder that cannot be used is one
 * clear error at start, not a failure at the first request.
 */
export function openDataDir(dir: string): Disk {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.probe-${process.pid}${TEMPORARY}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (err) {
    throw new DataDirError(`${dir}: cannot be used as a data folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return new NodeDisk(dir);
}

function syncFolder(dir: string, done: (err: Error | null) => void): void {
  fs.open(dir, 'r', (err, fd) => {
    if (err) return done(err);
    fs.fsync(fd, (syncErr) => fs.close(fd, () => done(syncErr)));
  });
}

class NodeDisk implements Disk {
  private readonly fds = new Map<string, number>();
  /** Files created since the folder was last synced. */
  private readonly unnamed = new Set<string>();

  constructor(private readonly dir: string) {}

  private file(name: string): string {
    return path.join(this.dir, name);
  }

  read(name: string): Uint8Array | null {
    try {
      return fs.readFileSync(this.file(name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  append(name: string, bytes: Uint8Array): void {
    let fd = this.fds.get(name);
    if (fd === undefined) {
      if (!fs.existsSync(this.file(name))) this.unnamed.add(name);
      fd = fs.openSync(this.file(name), 'a');
      this.fds.set(name, fd);
    }
    for (let written = 0; written < bytes.length; ) written += fs.writeSync(fd, bytes, written);
  }

  truncate(name: string, length: number): void {
    fs.truncateSync(this.file(name), length);
  }

  sync(name: string, done: (err: Error | null) => void): void {
    const fd = this.fds.get(name);
    if (fd === undefined) return this.syncUnopened(name, done);
    fs.fdatasync(fd, (err) => {
      if (err || !this.unnamed.delete(name)) return done(err);
      syncFolder(this.dir, done);
    });
  }

  /**
   * A file this process did not write (one a killed process left): its pages may still be only in
   * the cache, and its name only in the folder's, so both are synced.
   */
  private syncUnopened(name: string, done: (err: Error | null) => void): void {
    fs.open(this.file(name), 'r', (err, fd) => {
      if (err) return done(err.code === 'ENOENT' ? null : err);
      fs.fdatasync(fd, (syncErr) =>
        fs.close(fd, () => (syncErr ? done(syncErr) : syncFolder(this.dir, done))),
      );
    });
  }

  replace(name: string, chunks: Iterable<Uint8Array>, done: (err: Error | null) => void): void {
    const temporary = this.file(name + TEMPORARY);
    const write = async (): Promise<void> => {
      const handle = await fs.promises.open(temporary, 'w');
      try {
        // Each chunk whole from where the last ended (writeFile goes on after a short write).
        for (const chunk of chunks) await handle.writeFile(chunk);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      this.close(name);
      await fs.promises.rename(temporary, this.file(name));
    };
    write().then(
      () => syncFolder(this.dir, done),
      (err: Error) => done(err),
    );
  }

  remove(name: string): void {
    this.close(name);
    fs.rmSync(this.file(name), { force: true });
  }

  list(): string[] {
    return fs
      .readdirSync(this.dir)
      .filter((n) => !n.endsWith(TEMPORARY))
      .sort();
  }

  private close(name: string): void {
    const fd = this.fds.get(name);
    if (fd === undefined) return;
    this.fds.delete(name);
    fs.closeSync(fd);
  }
}
