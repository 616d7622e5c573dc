/**
 * A large state as a `status` answer to a role of the cluster gives it (docs/protocol.md, "The
 * state's size"): its length and a CRC-32C of its UTF-8, so that such a status never costs a copy
 * of the state nor outgrows a frame, and equal states still read alike.
 */
import { crc32c } from './crc32c.js';
import { crcText } from './codec.js';
import { cutText, textLength, type StateText } from './state-text.js';

export function summarizeState(text: StateText): string {
  let crc = 0;
  for (const piece of cutText(text, 1 << 20)) crc = crc32c(Buffer.from(piece, 'utf8'), crc);
  return `(${textLength(text)} characters, CRC-32C ${crcText(crc)})`;
}
