/**
 * `node:crypto` and `node:tls`, loaded when first used: together they cost a starting role about
 * 19 ms (a relaunch waits for it), and only clusters with a secret or TLS use them.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const crypto = (): typeof import('node:crypto') => require('node:crypto');
export const tls = (): typeof import('node:tls') => require('node:tls');
