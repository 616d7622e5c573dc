/**
 * A replica's folder, as the write-ahead log and the snapshots use it (DESIGN.md: storage behind an
 * injected interface). `nodeDisk` is a real folder; `memoryDisk` is the simulator's, which loses
 * what was not synced when its process crashes. Writes are not durable until a `sync` (or a
 * `replace`) reports done: a replica answers nothing that depends on them before that.
 */

export interface Disk {
  /** The file's whole content, or null when there is none. */
  read(name: string): Uint8Array | null;
  /** Appends to the file (creating it); durable only once a later `sync` of it is done. */
  append(name: string, bytes: Uint8Array): void;
  /** Cuts the file to `length` bytes (a torn tail, before appending again). */
  truncate(name: string, length: number): void;
  /**
   * Makes what was appended to the file durable, by this process or, for a file it only read, by
   * one before it that may have died before syncing; `done` runs after, with an error if it failed.
   */
  sync(name: string, done: (err: Error | null) => void): void;
  /**
   * Replaces the file's content as one step: after a crash it holds either the old content or the
   * new, never a mix (a temporary file, synced, renamed over it, and the folder synced). One
   * replace of a name at a time: the next starts after `done` (they share the temporary file).
   * The content is taken a chunk at a time as it is written, so it never has to be in memory whole.
   */
  replace(name: string, chunks: Iterable<Uint8Array>, done: (err: Error | null) => void): void;
  remove(name: string): void;
  /** The files there, sorted. */
  list(): string[];
}
