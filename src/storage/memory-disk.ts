/**
 * The simulator's disk: each file is what a sync made durable plus writes since, and a crash keeps
 * only the durable part (or, torn, a prefix of the first write after it). Completions run through
 * `defer`, the simulation's own scheduler, so that a seed replays alike.
 */
import type { Disk } from './disk.js';

interface File {
  durable: Uint8Array;
  /** Appends since the last sync, in order. */
  pending: Uint8Array[];
}

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

export class MemoryDisk implements Disk {
  private readonly files = new Map<string, File>();
  /** Bumped by every crash: completions of an earlier life do nothing. */
  private life = 0;

  constructor(private readonly defer: (fn: () => void) => void = queueMicrotask) {}

  read(name: string): Uint8Array | null {
    const f = this.files.get(name);
    return f ? concat([f.durable, ...f.pending]) : null;
  }

  append(name: string, bytes: Uint8Array): void {
    const f = this.files.get(name) ?? { durable: new Uint8Array(0), pending: [] };
    f.pending.push(bytes.slice());
    this.files.set(name, f);
  }

  truncate(name: string, length: number): void {
    const whole = this.read(name);
    if (whole === null) return;
    // A truncate is metadata a crash may lose too; kept simple: it counts as synced.
    this.files.set(name, { durable: whole.slice(0, length), pending: [] });
  }

  sync(name: string, done: (err: Error | null) => void): void {
    const life = this.life;
    const f = this.files.get(name);
    const count = f?.pending.length ?? 0;
    this.defer(() => {
      if (life !== this.life) return;
      if (f && this.files.get(name) === f) {
        f.durable = concat([f.durable, ...f.pending.slice(0, count)]);
        f.pending = f.pending.slice(count);
      }
      done(null);
    });
  }

  replace(name: string, chunks: Iterable<Uint8Array>, done: (err: Error | null) => void): void {
    const life = this.life;
    const copy = concat([...chunks]);
    this.defer(() => {
      if (life !== this.life) return;
      this.files.set(name, { durable: copy, pending: [] });
      done(null);
    });
  }

  remove(name: string): void {
    this.files.delete(name);
  }

  list(): string[] {
    return [...this.files.keys()].sort();
  }

  /**
   * The process died: what was not synced is gone. With `tear`, the first unsynced write of each
   * file survives in part (`tear(length)` says how many of its bytes), as a sector may.
   */
  crash(tear?: (length: number) => number): void {
    this.life += 1;
    for (const [name, f] of this.files) {
      const first = f.pending[0];
      const kept = tear && first ? first.subarray(0, tear(first.length)) : new Uint8Array(0);
      this.files.set(name, { durable: concat([f.durable, kept]), pending: [] });
    }
  }
}
