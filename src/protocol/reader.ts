/**
 * Cuts a byte stream into `<…>` frames (SPEC §4). It works on bytes, not text, so that a chunk may
 * end inside a multi-byte character and the size limit counts what actually arrived. Every byte is
 * looked at once (inside a frame by native searches for `>` and `<`, which a large checkpoint
 * needs: byte by byte in JavaScript, 10 MB took the best part of a second), and never more than
 * `limit()` bytes are held, whatever the peer sends.
 */

export type ReaderItem = { ok: true; text: string } | { ok: false; reason: string };

const LT = 0x3c;
const GT = 0x3e;
const LF = 0x0a;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === LF || b === 0x0d || b === 0x0b || b === 0x0c;
}

import { isUtf8 } from 'node:buffer';

/** The index of the first `a` or `b` at or after `from`, or -1. */
function firstOf(bytes: Uint8Array, from: number, a: number, b: number): number {
  const x = bytes.indexOf(a, from);
  // `b` only matters before `x`: search just that far.
  const y = (x === -1 ? bytes : bytes.subarray(0, x)).indexOf(b, from);
  return y === -1 ? x : y;
}

/**
 * - `between`: skipping blanks between frames;
 * - `garbage`: inside text outside a frame, already refused, skipped up to `<` or a newline;
 * - `frame`: collecting a frame;
 * - `discard`: inside a frame already refused as too long, skipped up to `>` or `<`.
 */
type State = 'between' | 'garbage' | 'frame' | 'discard';


export class FrameReader {
  private state: State = 'between';
  /** Earlier pieces of the frame being collected (the current chunk's piece is not copied yet). */
  private parts: Uint8Array[] = [];
  private partsBytes = 0;
  private limitNow = 0;

  /** `limit` is read at the start of each frame: a hello may raise it for the frames after it. */
  constructor(private readonly limit: () => number) {}

  /** Inside a frame that has not ended yet (collecting it, or skipping one too long). */
  get midFrame(): boolean {
    return this.state === 'frame' || this.state === 'discard';
  }

  /** Bytes held for the unfinished frame; never more than the limit. */
  get buffered(): number {
    return this.partsBytes;
  }

  push(chunk: Uint8Array | string): ReaderItem[] {
    return [...this.items(chunk)];
  }

  /**
   * Items one by one, so that a caller can act on a hello (and change the limit) before the rest of
   * the same chunk is read.
   */
  *items(chunk: Uint8Array | string): Generator<ReaderItem> {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    // Where the current frame's bytes start in this chunk (when state is 'frame').
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      switch (this.state) {
        case 'between':
          if (b === LT) {
            start = this.beginFrame(i);
          } else if (!isSpace(b)) {
            this.state = 'garbage';
            yield { ok: false, reason: 'text outside a frame' };
          }
          break;
        case 'garbage':
          if (b === LT) start = this.beginFrame(i);
          else if (b === LF) this.state = 'between';
          break;
        case 'discard': {
          // Skipped with native searches: an oversize frame may be megabytes long.
          const at = firstOf(bytes, i, GT, LT);
          if (at === -1) {
            i = bytes.length;
          } else if (bytes[at] === LT) {
            i = at;
            start = this.beginFrame(i);
          } else {
            i = at;
            this.state = 'between';
          }
          break;
        }
        case 'frame': {
          // The frame's body is found with native searches, not byte by byte (a checkpoint may be
          // tens of megabytes): the next `>` or `<`, and the first byte that would not fit.
          const at = firstOf(bytes, i, GT, LT);
          const end = at === -1 ? bytes.length : at;
          // A body byte at index j fits while partsBytes + (j - start + 1) + 1 <= limit
          // (itself plus the closing `>`): the first that does not is `cut`.
          const cut = start + this.limitNow - this.partsBytes - 1;
          if (cut < end) {
            i = Math.max(cut, i);
            this.dropFrame();
            this.state = 'discard';
            yield { ok: false, reason: `frame over ${this.limitNow} bytes` };
          } else if (at === -1) {
            i = bytes.length;
          } else if (bytes[at] === GT) {
            i = at;
            this.state = 'between';
            yield this.finish(bytes.subarray(start, i + 1));
          } else {
            i = at;
            this.dropFrame();
            start = this.beginFrame(i);
            yield { ok: false, reason: 'unterminated frame' };
          }
          break;
        }
      }
    }
    if (this.state === 'frame' && start < bytes.length) {
      // Copied (natively: `Uint8Array.from` walks an iterator, slow for megabytes): the caller may
      // reuse its buffer after push returns.
      const rest = new Uint8Array(bytes.subarray(start));
      this.parts.push(rest);
      this.partsBytes += rest.length;
    }
  }

  private beginFrame(at: number): number {
    this.state = 'frame';
    this.limitNow = this.limit();
    return at;
  }

  private dropFrame(): void {
    this.parts = [];
    this.partsBytes = 0;
  }

  private finish(last: Uint8Array): ReaderItem {
    const whole = this.parts.length === 0 ? last : Buffer.concat([...this.parts, last]);
    this.dropFrame();
    // Checked, then decoded: a fatal TextDecoder does both, but several times slower on megabytes.
    if (!isUtf8(whole)) return { ok: false, reason: 'frame is not valid UTF-8' };
    return { ok: true, text: Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength).toString('utf8') };
  }
}
