/**
 * docs/protocol.md's "Every frame" against the codec: one frame of every kind (test/support/frame-samples.ts),
 * encoded, must be in the table verbatim, and must read back as itself.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { decodeFrameText, encodeFrame } from '../../src/protocol/codec.js';
import { FRAME_SAMPLES } from '../support/frame-samples.js';

const DOC = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
const EVERY_FRAME = DOC.slice(DOC.indexOf('## Every frame'), DOC.indexOf('\n## ', DOC.indexOf('## Every frame') + 1));

describe('docs/protocol.md: every frame', () => {
  it('shows one frame of every kind as the codec writes it, and each reads back as itself', () => {
    for (const [kind, samples] of Object.entries(FRAME_SAMPLES)) {
      expect(samples, kind).to.not.be.empty;
      for (const frame of samples) {
        const text = encodeFrame(frame);
        expect(EVERY_FRAME, `${kind}: ${text}`).to.include(`| \`${text}\` |`);
        expect(decodeFrameText(text), text).to.deep.equal(frame);
      }
    }
  });
});
