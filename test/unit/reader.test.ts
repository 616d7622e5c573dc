import { expect } from 'chai';
import fc from 'fast-check';
import { FrameReader, type ReaderItem } from '../../src/protocol/reader.js';
import { ReferenceReader } from './reference-reader.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const ok = (text: string): ReaderItem => ({ ok: true, text });
const no = (reason: string): ReaderItem => ({ ok: false, reason });

function readAll(input: Uint8Array | string, limit = 1000, chunkSizes: number[] = []): ReaderItem[] {
  const reader = new FrameReader(() => limit);
  const data = typeof input === 'string' ? bytes(input) : input;
  const items: ReaderItem[] = [];
  let at = 0;
  for (const size of chunkSizes) {
    items.push(...reader.push(data.subarray(at, at + size)));
    at += size;
  }
  items.push(...reader.push(data.subarray(at)));
  return items;
}

const frames = [
  '<C1, S1, 1, héllo wörld, request>',
  '<S1, 1, 😀 ok €, reply>',
  '<S2, ₿%2C日本語, error>',
  '<C1, client>',
];
const stream = ' \r\n' + frames.join('\n') + '\t\n  ';

describe('FrameReader', () => {
  it('gives the same items and holds the same bytes as the byte-by-byte reference, for any input, limit and chunking', () => {
    const interesting = fc.oneof(
      fc.constantFrom(0x3c, 0x3e, 0x0a, 0x20, 0x61, 0xc3, 0xa9),
      fc.integer({ min: 0, max: 255 }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(interesting, { maxLength: 60 }).map((a) => Uint8Array.from(a)), { maxLength: 8 }),
        fc.integer({ min: 2, max: 30 }),
        (chunks, limit) => {
          const fast = new FrameReader(() => limit);
          const slow = new ReferenceReader(() => limit);
          for (const chunk of chunks) {
            expect(fast.push(chunk)).to.deep.equal(slow.push(chunk));
            expect(fast.buffered).to.equal(slow.buffered);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads frames separated by whitespace and newlines', () => {
    expect(readAll(stream)).to.deep.equal(frames.map(ok));
  });

  it('reads frames with nothing between them', () => {
    expect(readAll(frames.join(''))).to.deep.equal(frames.map(ok));
  });

  it('takes a string chunk as UTF-8', () => {
    const reader = new FrameReader(() => 100);
    expect(reader.push('<S1, é, error>')).to.deep.equal([ok('<S1, é, error>')]);
  });

  it('gives the same frames whatever byte the input is split at', () => {
    const data = bytes(stream);
    for (let cut = 0; cut <= data.length; cut++) {
      expect(readAll(data, 1000, [cut]), `cut at ${cut}`).to.deep.equal(frames.map(ok));
    }
  });

  it('gives the same frames when fed one byte at a time', () => {
    const data = bytes(stream);
    expect(readAll(data, 1000, Array(data.length).fill(1))).to.deep.equal(frames.map(ok));
  });

  it('gives the same items for any input whatever the chunking', () => {
    const interesting = fc.oneof(
      fc.constantFrom(0x3c, 0x3e, 0x0a, 0x20, 0x2c, 0x61, 0xc3, 0xa9, 0xff),
      fc.integer({ min: 0, max: 255 }),
    );
    fc.assert(
      fc.property(
        fc.array(interesting, { maxLength: 200 }).map((a) => Uint8Array.from(a)),
        fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 30 }),
        (data, chunks) => {
          expect(readAll(data, 24, chunks)).to.deep.equal(readAll(data, 24));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('reads many frames from one chunk', () => {
    const many = Array.from({ length: 1000 }, (_, i) => `<LFD1, S1, ${i}, heartbeat>`);
    expect(readAll(many.join(''))).to.deep.equal(many.map(ok));
  });

  describe('refusals', () => {
    it('refuses one run of text outside a frame once, then reads on', () => {
      expect(readAll('hello there, <C1, client>')).to.deep.equal([no('text outside a frame'), ok('<C1, client>')]);
    });

    it('counts each line of stray text as its own run', () => {
      expect(readAll('junk\nmore junk\n<C1, client>')).to.deep.equal([
        no('text outside a frame'),
        no('text outside a frame'),
        ok('<C1, client>'),
      ]);
    });

    it('refuses a stray > between frames', () => {
      expect(readAll('<C1, client>><C2, client>')).to.deep.equal([
        ok('<C1, client>'),
        no('text outside a frame'),
        ok('<C2, client>'),
      ]);
    });

    it('refuses an unterminated frame once and starts over at the next <', () => {
      expect(readAll('<C1, S1, 1, hi\n<C1, client>')).to.deep.equal([no('unterminated frame'), ok('<C1, client>')]);
    });

    it('refuses an oversize frame once and reads the next one', () => {
      const big = `<S1, ${'x'.repeat(500)}, error>`;
      expect(readAll(`${big}<C1, client>`, 100)).to.deep.equal([no('frame over 100 bytes'), ok('<C1, client>')]);
    });

    it('refuses an oversize frame once whatever the chunking, holding no more than the limit', () => {
      const reader = new FrameReader(() => 100);
      const items: ReaderItem[] = [];
      const data = bytes(`<S1, ${'é'.repeat(5000)}, error> <C1, client>`);
      for (let at = 0; at < data.length; at += 7) {
        items.push(...reader.push(data.subarray(at, at + 7)));
        expect(reader.buffered).to.be.at.most(100);
      }
      expect(items).to.deep.equal([no('frame over 100 bytes'), ok('<C1, client>')]);
    });

    it('starts a new frame at a < after an oversize one', () => {
      expect(readAll(`<${'x'.repeat(200)} <C1, client>`, 100)).to.deep.equal([
        no('frame over 100 bytes'),
        ok('<C1, client>'),
      ]);
    });

    it('takes a frame of exactly the limit and refuses one byte more', () => {
      const exact = `<S1, ${'x'.repeat(100 - '<S1, , error>'.length)}, error>`;
      expect(bytes(exact).length).to.equal(100);
      expect(readAll(exact, 100)).to.deep.equal([ok(exact)]);
      const over = exact.replace('x', 'xx');
      expect(readAll(over, 100)).to.deep.equal([no('frame over 100 bytes')]);
    });

    it('counts bytes, not characters', () => {
      const frame = `<S1, ${'😀'.repeat(10)}, error>`; // 13 + 40 bytes, 33 UTF-16 units
      expect(readAll(frame, 52)).to.deep.equal([no('frame over 52 bytes')]);
      expect(readAll(frame, 53)).to.deep.equal([ok(frame)]);
    });

    it('reads the limit again for each frame', () => {
      let limit = 20;
      const reader = new FrameReader(() => limit);
      const frame = `<S1, ${'x'.repeat(30)}, error>`;
      expect(reader.push(frame)).to.deep.equal([no('frame over 20 bytes')]);
      limit = 100;
      expect(reader.push(frame)).to.deep.equal([ok(frame)]);
    });

    it('refuses a frame that is not valid UTF-8 and reads on', () => {
      const data = Uint8Array.from([...bytes('<S1, '), 0xff, 0xfe, ...bytes(', error><C1, client>')]);
      expect(readAll(data)).to.deep.equal([no('frame is not valid UTF-8'), ok('<C1, client>')]);
    });

    it('refuses a multi-byte character cut short inside a frame', () => {
      const data = Uint8Array.from([...bytes('<S1, '), 0xe2, 0x82, ...bytes(', error>')]);
      expect(readAll(data)).to.deep.equal([no('frame is not valid UTF-8')]);
    });
  });

  describe('robustness', () => {
    it('never throws on random bytes and never holds more than the limit', () => {
      const interesting = fc.oneof(
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom(0x3c, 0x3e, 0x0a, 0x20, 0xf0, 0x9f),
      );
      fc.assert(
        fc.property(
          fc.array(fc.array(interesting, { maxLength: 64 }).map((a) => Uint8Array.from(a)), { maxLength: 8 }),
          fc.integer({ min: 2, max: 40 }),
          (chunks, limit) => {
            const reader = new FrameReader(() => limit);
            for (const chunk of chunks) {
              for (const item of reader.push(chunk)) {
                if (item.ok) {
                  expect(item.text.startsWith('<') && item.text.endsWith('>')).to.equal(true);
                  expect(bytes(item.text).length).to.be.at.most(limit);
                }
              }
              expect(reader.buffered).to.be.at.most(limit);
            }
          },
        ),
        { numRuns: 10000 },
      );
    });

    it('never throws on uniformly random bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
          const reader = new FrameReader(() => 64);
          reader.push(data);
          expect(reader.buffered).to.be.at.most(64);
        }),
        { numRuns: 10000 },
      );
    });

    it('reads a large input in small chunks', function () {
      // Quadratic rescanning would take minutes here; linear takes well under a second.
      const frame = bytes('<C1, S1, 12345, hello_world12345, request>');
      const count = 50_000;
      const data = new Uint8Array(frame.length * count);
      for (let i = 0; i < count; i++) data.set(frame, i * frame.length);
      const reader = new FrameReader(() => 1 << 20);
      let seen = 0;
      for (let at = 0; at < data.length; at += 5) seen += reader.push(data.subarray(at, at + 5)).length;
      expect(seen).to.equal(count);
    });

    it('reads one large frame in small chunks', function () {
      const size = 4 << 20;
      const data = bytes(`<S1, ${'x'.repeat(size)}, error>`);
      const reader = new FrameReader(() => 8 << 20);
      const items: ReaderItem[] = [];
      for (let at = 0; at < data.length; at += 1024) items.push(...reader.push(data.subarray(at, at + 1024)));
      expect(items).to.have.length(1);
      const [item] = items;
      expect(item?.ok && item.text.length).to.equal(data.length);
    });

    it('keeps its own copy of a chunk the caller reuses', () => {
      const reader = new FrameReader(() => 100);
      const buffer = bytes('<C1, cli');
      expect(reader.push(buffer)).to.deep.equal([]);
      buffer.fill(0x21);
      expect(reader.push('ent>')).to.deep.equal([ok('<C1, client>')]);
    });
  });
});
