/**
 * A server's data folder as every way of starting one opens it (the `server` command, the
 * simulator, the machine tests): what the folder holds is read back now, before the server answers
 * anything, its damage said in warning lines, and the process ends when a write fails.
 */
import type { Print } from '../log/events.js';
import type { Disk } from '../storage/disk.js';
import { ReplicaStorage } from '../storage/replica-storage.js';
import type { ServerDisk } from './server.js';

export interface DataFolderOptions {
  server: string;
  print: Print;
  /** A write failed: the process must end without answering more. */
  failStop: () => void;
  /** Where the storage's completions run (default: the end of the event-loop turn). */
  defer?: (fn: () => void) => void;
}

export function openDataFolder(disk: Disk, { server, print, failStop, defer }: DataFolderOptions): ServerDisk {
  const { storage, recovered } = ReplicaStorage.open(disk, defer);
  for (const text of recovered.warnings) print({ event: 'note', name: server, level: 'warn', text });
  return { store: storage, history: recovered, failStop };
}
