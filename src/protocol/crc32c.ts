/**
 * CRC-32C (Castagnoli), the checksum of states in parts, state summaries and data-folder records,
 * from the native `@node-rs/crc32`, loaded on the first call (`lazy-modules.ts`) and kept: a data
 * folder checks every record.
 */
import { crc32 } from '../lazy-modules.js';

let binding: typeof import('@node-rs/crc32').crc32c | null = null;

export function crc32c(input: Uint8Array | string, initialState = 0): number {
  binding ??= crc32().crc32c;
  return binding(input, initialState);
}
