/**
 * A snapshot on disk: one record holding a JSON line of what describes it (position, epoch, the
 * client table, …) and then the application's snapshot text, replaced as one step
 * (`Disk.replace`), so that a crash leaves the old snapshot or the new one.
 */
import { joinText, type StateText } from '../protocol/state-text.js';
import type { Disk } from './disk.js';
import { encodeRecord, fileHeader, FormatError, readRecords } from './records.js';

export const SNAPSHOT_HEADER = fileHeader('snapshot', 1);

/** Written from a state in pieces or not; read back as one string. */
export interface StoredSnapshot<M, T extends StateText = string> {
  meta: M;
  state: T;
}

export function writeSnapshot<M>(disk: Disk, name: string, snapshot: StoredSnapshot<M, StateText>, done: (err: Error | null) => void): void {
  const payload = new TextEncoder().encode(`${JSON.stringify(snapshot.meta)}\n${joinText(snapshot.state)}`);
  const record = encodeRecord(payload);
  const bytes = new Uint8Array(SNAPSHOT_HEADER.length + record.length);
  bytes.set(SNAPSHOT_HEADER);
  bytes.set(record, SNAPSHOT_HEADER.length);
  disk.replace(name, bytes, done);
}

/** The snapshot, null when there is none; a damaged one is a `FormatError` (the replica recovers from a peer). */
export function readSnapshot<M>(disk: Disk, name: string): StoredSnapshot<M> | null {
  const bytes = disk.read(name);
  if (bytes === null) return null;
  const read = readRecords(bytes, SNAPSHOT_HEADER);
  if (read.damage !== null || read.payloads.length !== 1) {
    throw new FormatError(`${name}: ${read.damage ? `${read.damage.kind} at byte ${read.damage.at} (${read.damage.reason})` : `${read.payloads.length} records, not 1`}`);
  }
  const text = new TextDecoder().decode(read.payloads[0]);
  const line = text.indexOf('\n');
  if (line < 0) throw new FormatError(`${name}: no description line`);
  return { meta: JSON.parse(text.slice(0, line)) as M, state: text.slice(line + 1) };
}
