/**
 * CRC-32C (Castagnoli), the checksum of states in parts, state summaries and data-folder records,
 * from the native `@node-rs/crc32`, loaded when first needed: imported as an ES module the binding
 * adds about 11 MB to every role's resident memory (required, about 3 MB), and most roles never
 * check a state in parts or keep a data folder.
 */
import { createRequire } from 'node:module';

type Crc32c = (input: Uint8Array | string, initialState?: number) => number;

let binding: Crc32c | null = null;

export function crc32c(input: Uint8Array | string, initialState = 0): number {
  binding ??= (createRequire(import.meta.url)('@node-rs/crc32') as { crc32c: Crc32c }).crc32c;
  return binding(input, initialState);
}
