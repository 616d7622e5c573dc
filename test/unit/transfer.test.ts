import { expect } from 'chai';
import { decodeFrameText, encodeFrame } from '../../src/protocol/codec.js';
import type { CheckpointFrame, Frame, RecoveryFrame } from '../../src/protocol/frames.js';
import { LinkSession } from '../../src/protocol/session.js';
import { joinText } from '../../src/protocol/state-text.js';
import { frameEncoder, partChars, wholeText, type Outgoing } from '../../src/protocol/transfer.js';

const maxFrame = 1000;
const chars = partChars(maxFrame);

function checkpoint(state: string): CheckpointFrame {
  return { kind: 'checkpoint', from: 'S2', to: 'S1', number: 3, state, clients: [{ client: 'C1', num: 4, reply: '7' }], applied: 9, epoch: 2 };
}

/** The texts a sender writes for one frame. */
function texts(out: Outgoing): string[] {
  if (typeof out === 'string') return [out];
  const all: string[] = [];
  for (let next = out.next(); !next.done; next = out.next()) all.push(next.value);
  return all;
}

/** A server's peer listener that already took S2's hello. */
function receiver(maxStateFrame = 1_000_000): LinkSession {
  const s = new LinkSession({ self: { name: 'S1', role: 'server' }, side: { port: 'server-peer' }, limits: { maxFrame, maxStateFrame } });
  expect(s.receive('<S2, server, 1, hello>').hello).to.deep.equal({ name: 'S2', role: 'server' });
  return s;
}

/** A frame whose state came in pieces, with the pieces joined. */
function joined(f: Frame): Frame {
  return 'state' in f && f.kind !== 'serverStatus' ? { ...f, state: joinText(f.state) } : f;
}

/** The frames of a text that may hold several. */
function framesIn(text: string): Frame[] {
  return text.split('>').filter((t) => t !== '').map((t) => decodeFrameText(`${t}>`));
}

describe('a state in parts', () => {
  it('a state that fits one part goes as one frame', () => {
    const frame = checkpoint('x'.repeat(chars));
    expect(frameEncoder(maxFrame)(frame)).to.equal(encodeFrame(frame));
  });

  it('a larger state goes in parts, each within max_frame, and arrives whole', () => {
    // Escaped characters (three bytes each), multi-byte ones and surrogate pairs, cut anywhere.
    const state = ',%é😀;'.repeat(400) + 'x'.repeat(5 * chars);
    const frame = checkpoint(state);
    const written = texts(frameEncoder(maxFrame)(frame));
    expect(written.length).to.be.greaterThan(5);
    for (const t of written.slice(0, -1)) expect(Buffer.byteLength(t)).to.be.at.most(maxFrame);
    const kinds = written.flatMap(framesIn).map((f) => f.kind);
    expect(new Set(kinds.slice(0, -2))).to.deep.equal(new Set(['statePart']));
    expect(kinds.slice(-2)).to.deep.equal(['stateEnd', 'checkpoint']);

    const s = receiver();
    // Delivered in odd-sized chunks: parts may be cut anywhere by the stream.
    const bytes = Buffer.from(written.join(''));
    const delivered: Frame[] = [];
    for (let at = 0; at < bytes.length; at += 333) {
      const step = s.receive(bytes.subarray(at, at + 333));
      expect(step.refused).to.deep.equal([]);
      delivered.push(...step.frames);
    }
    expect(delivered.map(joined)).to.deep.equal([frame]);
  });

  it('a recovery goes in parts too; every sender numbers its transfers', () => {
    const recovery: RecoveryFrame = { kind: 'recovery', from: 'S2', to: 'S1', state: 'y'.repeat(3 * chars), clients: [], applied: 5, epoch: 2 };
    const encode = frameEncoder(maxFrame);
    const transfers = [encode(recovery), encode(recovery)].map((out) => (framesIn(texts(out)[0]!)[0] as { transfer: number }).transfer);
    expect(transfers).to.deep.equal([1, 2]);
    const s = receiver();
    expect(s.receive(wholeText(encode(recovery))).frames.map(joined)).to.deep.equal([recovery]);
  });

  describe('refuses, and delivers nothing of,', () => {
    const state = 'z'.repeat(3 * chars);
    const parts = (): string[] => texts(frameEncoder(maxFrame)(checkpoint(state)));

    function refusal(sent: string[], maxStateFrame?: number): string[] {
      const step = receiver(maxStateFrame).receive(sent.join(''));
      expect(step.frames).to.deep.equal([]);
      return step.refused;
    }

    it('a transfer with a part missing', () => {
      const sent = parts();
      expect(refusal([sent[0]!, ...sent.slice(2)])).to.deep.equal([
        'state part 2 of transfer 1 out of order',
        'checkpoint without its state: transfer 1 did not arrive whole',
      ]);
    });

    it('a transfer whose text changed on the way', () => {
      const sent = parts();
      sent[1] = sent[1]!.replace('zzz', 'zyz');
      const [refused, ...then] = refusal(sent);
      expect(then).to.deep.equal(['checkpoint without its state: transfer 1 did not arrive whole']);
      expect(refused).to.match(/^state transfer 1 does not check: 3 parts of \d+ bytes \(CRC [0-9A-F]{8}\) arrived, 3 of \d+ \(CRC [0-9A-F]{8}\) were sent$/);
    });

    it('a transfer larger than max_state_frame', () => {
      expect(refusal(parts(), 2 * chars)).to.deep.equal([
        `state transfer 1 over ${2 * chars} characters (max_state_frame)`,
        'checkpoint without its state: transfer 1 did not arrive whole',
      ]);
    });

    it('a state_end followed by another frame than its checkpoint', () => {
      const sent = parts();
      const last = sent.pop()!;
      const end = last.slice(0, last.indexOf('>') + 1);
      expect(refusal([...sent, end, '<S2, S1, 1, 2, ack>'])).to.deep.equal([`a state_end not followed by its checkpoint or recovery (got 'ack')`]);
    });
  });
});
