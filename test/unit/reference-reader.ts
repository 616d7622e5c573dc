/**
 * THE ORACLE for test/unit/reader.test.ts: the frame reader as it was before it searched frame bodies
 * natively, byte by byte and plainly correct; the new one must give the same items for any input.
 *
 * Cuts a byte stream into `<…>` frames (SPEC §4). It works on bytes, not text, so that a chunk may
 * end inside a multi-byte character and the size limit counts what actually arrived. Every byte is
 * looked at once, and never more than `limit()` bytes are held, whatever the peer sends.
 */

export type ReaderItem = { ok: true; text: string } | { ok: false; reason: string };

const LT = 0x3c;
const GT = 0x3e;
const LF = 0x0a;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === LF || b === 0x0d || b === 0x0b || b === 0x0c;
}

/**
 * - `between`: skipping blanks between frames;
 * - `garbage`: inside text outside a frame, already refused, skipped up to `<` or a newline;
 * - `frame`: collecting a frame;
 * - `discard`: inside a frame already refused as too long, skipped up to `>` or `<`.
 */
type State = 'between' | 'garbage' | 'frame' | 'discard';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class ReferenceReader {
  private state: State = 'between';
  /** Earlier pieces of the frame being collected (the current chunk's piece is not copied yet). */
  private parts: Uint8Array[] = [];
  private partsBytes = 0;
  private limitNow = 0;

  /** `limit` is read at the start of each frame: a hello may raise it for the frames after it. */
  constructor(private readonly limit: () => number) {}

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
        case 'discard':
          if (b === LT) start = this.beginFrame(i);
          else if (b === GT) this.state = 'between';
          break;
        case 'frame': {
          if (b === GT) {
            this.state = 'between';
            yield this.finish(bytes.subarray(start, i + 1));
          } else if (b === LT) {
            this.dropFrame();
            start = this.beginFrame(i);
            yield { ok: false, reason: 'unterminated frame' };
          } else if (this.partsBytes + (i - start + 1) + 1 > this.limitNow) {
            // This byte plus the closing `>` would not fit: the frame is over the limit.
            this.dropFrame();
            this.state = 'discard';
            yield { ok: false, reason: `frame over ${this.limitNow} bytes` };
          }
          break;
        }
      }
    }
    if (this.state === 'frame' && start < bytes.length) {
      // Copied: the caller may reuse its buffer after push returns.
      const rest = Uint8Array.from(bytes.subarray(start));
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
    try {
      return { ok: true, text: utf8.decode(whole) };
    } catch {
      return { ok: false, reason: 'frame is not valid UTF-8' };
    }
  }
}
