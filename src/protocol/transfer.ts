/**
 * A state in parts (docs/protocol.md, "A state in parts"): a checkpoint or recovery whose state is
 * too large for one frame travels as `state_part` frames, a `state_end` with the count, the length
 * and a CRC-32C of the whole, and then the frame itself with an empty STATE. The sender produces
 * the parts one at a time as its connection drains, so a large state never exists as one frame
 * (nor blocks the event loop while it is encoded); the receiving session checks them and hands the
 * machine the frame with their texts as its state, as if it had come in one piece.
 */
import { crc32c } from './crc32c.js';
import { crcText, encodeFrame } from './codec.js';
import type { CheckpointFrame, Frame, RecoveryFrame, StateEndFrame, StatePartFrame } from './frames.js';
import { cutText, textLength } from './state-text.js';

/** What a connection is given to write: a frame's text, or the texts of a state in parts, pulled as it drains. */
export type Outgoing = string | Iterator<string>;

/** All of it as one text (a transport that need not pace its writes). */
export function wholeText(out: Outgoing): string {
  if (typeof out === 'string') return out;
  const texts: string[] = [];
  for (let next = out.next(); !next.done; next = out.next()) texts.push(next.value);
  return texts.join('');
}

type StateFrame = CheckpointFrame | RecoveryFrame;

const isStateFrame = (f: Frame): f is StateFrame => f.kind === 'checkpoint' || f.kind === 'recovery';

/** Room in a part's frame for everything but its text. */
const PART_OVERHEAD = 256;

/**
 * Characters of state per part: a character takes at most three bytes on the wire (UTF-8, or a
 * percent escape), so a part always fits `max_frame`.
 */
export function partChars(maxFrame: number): number {
  return Math.max(1, Math.floor((maxFrame - PART_OVERHEAD) / 3));
}

/**
 * How a sender writes its frames: a state larger than one part goes in parts, numbered by transfer
 * (one counter per sender, so a receiver never confuses two of its transfers).
 */
export function frameEncoder(maxFrame: number): (frame: Frame) => Outgoing {
  const chars = partChars(maxFrame);
  let transfers = 0;
  return (frame) => (isStateFrame(frame) && textLength(frame.state) > chars ? inParts(frame, ++transfers, chars) : encodeFrame(frame));
}

function* inParts(frame: StateFrame, transfer: number, chars: number): Generator<string> {
  const { from, to } = frame;
  let crc = 0;
  let bytes = 0;
  let index = 0;
  for (const text of cutText(frame.state, chars)) {
    const utf8 = Buffer.from(text, 'utf8');
    crc = crc32c(utf8, crc);
    bytes += utf8.length;
    yield encodeFrame({ kind: 'statePart', from, to, transfer, index: index++, text });
  }
  yield encodeFrame({ kind: 'stateEnd', from, to, transfer, parts: index, bytes, crc }) + encodeFrame({ ...frame, state: '' });
}

/**
 * The receiving side of one link: the parts of the transfer under way, and how the one just ended
 * came out, for the checkpoint or recovery frame that must follow it. A part out of order, a state
 * over `limit` characters or a wrong checksum fails the transfer: one refusal, the rest of its parts
 * dropped without a word, and its checkpoint or recovery refused (the sender's next checkpoint, or
 * the RM's repeated `send_checkpoint`, starts another).
 */
export class StateAssembly {
  private open: { transfer: number; pieces: string[]; chars: number; bytes: number; crc: number } | null = null;
  /** A transfer that failed: the rest of its parts are dropped. */
  private failed: number | null = null;
  /** The transfer that just ended: its pieces, or the number of one that failed. */
  private ended: { pieces: string[] } | { failed: number } | null = null;

  /** `limit`: the most characters one state may have (`max_state_frame`, as the state guard counts). */
  constructor(private readonly limit: () => number) {}

  /** Takes a part or an end; returns why it is refused, or null. */
  take(f: StatePartFrame | StateEndFrame): string | null {
    this.ended = null;
    return f.kind === 'statePart' ? this.part(f) : this.end(f);
  }

  /**
   * The frame after a `state_end` must be its checkpoint or recovery (with an empty STATE), which
   * gets the text as its pieces (never joined here: the application may take them as they are).
   * Returns the frame to deliver, or why it is refused.
   */
  complete(frame: Frame): { frame: Frame } | { refused: string } {
    const ended = this.ended;
    if (ended === null) return { frame };
    this.ended = null;
    if (!isStateFrame(frame) || frame.state !== '') return { refused: `a state_end not followed by its checkpoint or recovery (got '${frame.kind}')` };
    if ('failed' in ended) return { refused: `${frame.kind} without its state: transfer ${ended.failed} did not arrive whole` };
    return { frame: { ...frame, state: ended.pieces } };
  }

  private part(f: StatePartFrame): string | null {
    if (f.transfer === this.failed) return null;
    if (f.index === 0) {
      this.open = { transfer: f.transfer, pieces: [], chars: 0, bytes: 0, crc: 0 };
      this.failed = null;
    }
    const open = this.open;
    if (open === null || open.transfer !== f.transfer || open.pieces.length !== f.index) {
      return this.fail(f.transfer, `state part ${f.index} of transfer ${f.transfer} out of order`);
    }
    open.chars += f.text.length;
    if (open.chars > this.limit()) return this.fail(f.transfer, `state transfer ${f.transfer} over ${this.limit()} characters (max_state_frame)`);
    const utf8 = Buffer.from(f.text, 'utf8');
    open.bytes += utf8.length;
    open.crc = crc32c(utf8, open.crc);
    open.pieces.push(f.text);
    return null;
  }

  private end(f: StateEndFrame): string | null {
    const open = this.open;
    this.open = null;
    this.ended = { failed: f.transfer };
    if (f.transfer === this.failed) {
      this.failed = null;
      return null;
    }
    if (open === null || open.transfer !== f.transfer) return `state_end of transfer ${f.transfer}, which was not under way`;
    const got = { parts: open.pieces.length, bytes: open.bytes, crc: open.crc };
    if (got.parts !== f.parts || got.bytes !== f.bytes || got.crc !== f.crc) {
      return `state transfer ${f.transfer} does not check: ${got.parts} parts of ${got.bytes} bytes (CRC ${crcText(got.crc)}) arrived, ${f.parts} of ${f.bytes} (CRC ${crcText(f.crc)}) were sent`;
    }
    this.ended = { pieces: open.pieces };
    return null;
  }

  private fail(transfer: number, reason: string): string {
    this.open = null;
    this.failed = transfer;
    return reason;
  }
}
