/**
 * Modules loaded when first used, since most roles never need them and loading them costs every
 * starting role (a relaunch waits for it): `node:crypto` and `node:tls` together about 19 ms, used
 * only with a secret or TLS; the native CRC-32C binding about 11 MB of resident memory when imported
 * as an ES module (3 MB required), used only for states in parts, summaries and data folders.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const crypto = (): typeof import('node:crypto') => require('node:crypto');
export const tls = (): typeof import('node:tls') => require('node:tls');
export const crc32 = (): typeof import('@node-rs/crc32') => require('@node-rs/crc32');
