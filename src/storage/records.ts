/**
 * The one framing of everything steadfast writes to disk (docs/durability.md): a file starts with
 * a header line naming its kind and format version, then records, each its payload's length and
 * CRC-32C (both 32-bit little-endian) and the payload. Reading gives the longest valid prefix and
 * says what cut it short: the end of a write that a crash tore (`torn`: the last record is short
 * or fails its check), or damage with more records after it (`corrupt`).
 */
import { crc32c } from '../protocol/crc32c.js';

/** A record's length and checksum. */
const RECORD_HEAD = 8;

/** `steadfast log 1\n`: the file's kind and format version, as its first bytes. */
export function fileHeader(kind: string, version: number): Uint8Array {
  return new TextEncoder().encode(`steadfast ${kind} ${version}\n`);
}

export function encodeRecord(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_HEAD + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length, true);
  view.setUint32(4, crc32c(Buffer.from(payload.buffer, payload.byteOffset, payload.length)), true);
  out.set(payload, RECORD_HEAD);
  return out;
}

export type Damage = { kind: 'torn' | 'corrupt'; at: number; reason: string };

export interface ReadRecords {
  payloads: Uint8Array[];
  /** Bytes of the file that hold the header and the valid records (where appending may go on). */
  validBytes: number;
  /** What ended the valid prefix before the file's end, if anything. */
  damage: Damage | null;
}

export class FormatError extends Error {}

/**
 * The records of a whole file. A file whose header is not `header` (another kind, another
 * version, or not steadfast's) is a `FormatError`: nothing in it can be trusted. An empty file, or
 * one cut inside its header, is a torn file with no records.
 */
export function readRecords(bytes: Uint8Array, header: Uint8Array): ReadRecords {
  const prefix = bytes.subarray(0, header.length);
  if (prefix.length < header.length && header.subarray(0, prefix.length).every((b, i) => b === prefix[i])) {
    return { payloads: [], validBytes: 0, damage: bytes.length === 0 ? null : { kind: 'torn', at: 0, reason: 'cut inside the header' } };
  }
  if (!prefix.every((b, i) => b === header[i])) {
    const first = new TextDecoder().decode(bytes.subarray(0, Math.min(bytes.length, 40))).split('\n')[0];
    throw new FormatError(`not ${JSON.stringify(new TextDecoder().decode(header).trim())} (starts ${JSON.stringify(first)})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const payloads: Uint8Array[] = [];
  let at = header.length;
  while (at < bytes.length) {
    const left = bytes.length - at;
    if (left < RECORD_HEAD) return { payloads, validBytes: at, damage: { kind: 'torn', at, reason: `${left} bytes, less than a record's head` } };
    const length = view.getUint32(at, true);
    const sum = view.getUint32(at + 4, true);
    const end = at + RECORD_HEAD + length;
    if (end > bytes.length) return { payloads, validBytes: at, damage: { kind: 'torn', at, reason: `a record of ${length} bytes with ${left - RECORD_HEAD} left` } };
    const payload = bytes.subarray(at + RECORD_HEAD, end);
    if (crc32c(Buffer.from(payload.buffer, payload.byteOffset, payload.length)) !== sum) {
      const kind = end === bytes.length ? 'torn' : 'corrupt';
      return { payloads, validBytes: at, damage: { kind, at, reason: 'checksum mismatch' } };
    }
    payloads.push(payload);
    at = end;
  }
  return { payloads, validBytes: at, damage: null };
}
