/**
 * A snapshot on disk (docs/durability.md, "Files"), replaced as one step (`Disk.replace`), so that
 * a crash leaves the old snapshot or the new one. Format 2: a record of JSON describing it (what
 * the caller keeps beside the state, and the state's length), then the application's snapshot
 * text in records of at most `RECORD_CHARS` characters, each made and written in turn: a large
 * state is never one string or one buffer on the way to disk, nor on the way back.
 */
import { cutText, textLength, type StateText } from '../protocol/state-text.js';
import type { Disk } from './disk.js';
import { encodeRecord, fileHeader, FormatError, readRecords, type Damage } from './records.js';

export const SNAPSHOT_HEADER = fileHeader('snapshot', 2);
/** Format 1 (one record: a JSON line, then the whole text), still read. */
const SNAPSHOT_HEADER_1 = fileHeader('snapshot', 1);

const RECORD_CHARS = 1 << 20;

export interface StoredSnapshot<M> {
  meta: M;
  state: StateText;
}

/** What the first record says. */
interface Description<M> {
  meta: M;
  /** The state's length in characters: records missing at the end cannot pass for a shorter state. */
  chars: number;
}

function* snapshotBytes<M>({ meta, state }: StoredSnapshot<M>): Generator<Uint8Array> {
  yield SNAPSHOT_HEADER;
  const description: Description<M> = { meta, chars: textLength(state) };
  yield encodeRecord(Buffer.from(JSON.stringify(description), 'utf8'));
  for (const piece of cutText(state, RECORD_CHARS)) yield encodeRecord(Buffer.from(piece, 'utf8'));
}

export function writeSnapshot<M>(disk: Disk, name: string, snapshot: StoredSnapshot<M>, done: (err: Error | null) => void): void {
  disk.replace(name, snapshotBytes(snapshot), done);
}

const utf8 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');

/**
 * The snapshot, its state in the pieces it was written in; null when there is none. A damaged
 * one is a `FormatError` (the replica recovers from a peer).
 */
export function readSnapshot<M>(disk: Disk, name: string): StoredSnapshot<M> | null {
  const bytes = disk.read(name);
  if (bytes === null) return null;
  const first = bytes.subarray(0, SNAPSHOT_HEADER_1.length);
  if (first.length === SNAPSHOT_HEADER_1.length && first.every((b, i) => b === SNAPSHOT_HEADER_1[i])) return readFormat1(bytes, name);
  const read = readRecords(bytes, SNAPSHOT_HEADER);
  if (read.damage !== null) throw damaged(name, read.damage);
  const [described, ...texts] = read.payloads;
  if (described === undefined) throw new FormatError(`${name}: no description`);
  const { meta, chars } = JSON.parse(utf8(described)) as Description<M>;
  const state = texts.map(utf8);
  const got = textLength(state);
  if (got !== chars) throw new FormatError(`${name}: ${got} characters of state, ${chars} written`);
  return { meta, state };
}

const damaged = (name: string, { kind, at, reason }: Damage): FormatError => new FormatError(`${name}: ${kind} at byte ${at} (${reason})`);

function readFormat1<M>(bytes: Uint8Array, name: string): StoredSnapshot<M> {
  const read = readRecords(bytes, SNAPSHOT_HEADER_1);
  if (read.damage !== null) throw damaged(name, read.damage);
  if (read.payloads.length !== 1) throw new FormatError(`${name}: ${read.payloads.length} records, not 1`);
  const text = utf8(read.payloads[0]!);
  const line = text.indexOf('\n');
  if (line < 0) throw new FormatError(`${name}: no description line`);
  return { meta: JSON.parse(text.slice(0, line)) as M, state: text.slice(line + 1) };
}
