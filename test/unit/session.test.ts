import { expect } from 'chai';
import { encodeFrame } from '../../src/protocol/codec.js';
import type { Frame } from '../../src/protocol/frames.js';
import type { Peer, PortKind } from '../../src/protocol/links.js';
import { helloFrame, LinkSession, MAX_REFUSED_IN_A_ROW } from '../../src/protocol/session.js';

const limits = { maxFrame: 100, maxStateFrame: 10_000 };
const S1 = { name: 'S1', role: 'server' } as const;
const LFD1 = { name: 'LFD1', role: 'lfd' } as const;

const listener = (port: PortKind, self: Peer = S1) => new LinkSession({ self, side: { port }, limits });
const error = (message: string, name = 'S1'): Frame => ({ kind: 'error', name, message });

const heartbeat = '<LFD1, S1, 8, heartbeat>';
const bad = '<LFD1, S1, x, heartbeat>';
/** A checkpoint of `size` bytes on the wire. */
function checkpoint(size: number): string {
  const empty = encodeFrame({ kind: 'checkpoint', from: 'S2', to: 'S1', number: 1, state: '', clients: [], epoch: 1 });
  const text = encodeFrame({
    kind: 'checkpoint', from: 'S2', to: 'S1', number: 1, state: 'x'.repeat(size - empty.length), clients: [], epoch: 1,
  });
  expect(text.length).to.equal(size);
  return text;
}

describe('LinkSession', () => {
  describe('hello', () => {
    it('a listener answers a hello with its own and then takes the role\'s frames', () => {
      const s = listener('server-peer');
      const step = s.receive('<LFD1, lfd, 1, hello>');
      expect(step).to.deep.equal({
        frames: [],
        replies: [{ kind: 'hello', name: 'S1', role: 'server', version: 1 }],
        refused: [],
        hello: LFD1,
        close: false,
      });
      expect(s.peer).to.deep.equal(LFD1);
      expect(s.receive(heartbeat).frames).to.deep.equal([{ kind: 'heartbeat', from: 'LFD1', to: 'S1', count: 8 }]);
    });

    it('takes frames sent right behind the hello in the same chunk', () => {
      const step = listener('server-peer').receive(`<LFD1, lfd, 1, hello>${heartbeat}`);
      expect(step.hello).to.deep.equal(LFD1);
      expect(step.frames.map((f) => f.kind)).to.deep.equal(['heartbeat']);
      expect(step.replies.map((f) => f.kind)).to.deep.equal(['hello']);
    });

    it('an outbound link learns the listener from its answer and does not answer it', () => {
      const s = new LinkSession({ self: LFD1, side: { target: 'server' }, limits });
      expect(s.peer).to.equal(null);
      const step = s.receive(encodeFrame(helloFrame(S1)));
      expect(step).to.deep.equal({ frames: [], replies: [], refused: [], hello: S1, close: false });
      expect(s.peer).to.deep.equal(S1);
      expect(s.receive('<S1, LFD1, 8, heartbeat>').frames).to.have.length(1);
    });

    it('an outbound link refuses a hello from another role than it connected to', () => {
      const s = new LinkSession({ self: LFD1, side: { target: 'server' }, limits });
      const step = s.receive('<GFD, gfd, 1, hello>');
      expect(step.hello).to.equal(null);
      expect(step.refused).to.have.length(1);
      expect(s.peer).to.equal(null);
    });

    it('over TLS, a hello must name a role the other side\'s certificate names, on either side', () => {
      const vouched = new LinkSession({ self: S1, side: { port: 'server-peer' }, limits, certNames: ['LFD1', 'S1'] });
      expect(vouched.receive('<LFD1, lfd, 1, hello>').hello).to.deep.equal(LFD1);
      const client = new LinkSession({ self: S1, side: { port: 'server-peer' }, limits, certNames: [] });
      expect(client.receive('<LFD1, lfd, 1, hello>')).to.deep.equal({
        frames: [],
        replies: [error('the certificate does not name LFD1 (it names no steadfast role)')],
        refused: ['the certificate does not name LFD1 (it names no steadfast role)'],
        hello: null,
        close: true,
      });
      const other = new LinkSession({ self: S1, side: { port: 'server-peer' }, limits, certNames: ['LFD2', 'S2'] });
      expect(other.receive('<LFD1, lfd, 1, hello>').refused).to.deep.equal(['the certificate does not name LFD1 (it names LFD2, S2)']);
      // The connecting side checks the listener's answer (or its challenge, with a secret) alike.
      const link = new LinkSession({ self: LFD1, side: { target: 'server' }, limits, certNames: ['S2'] });
      expect(link.receive(encodeFrame(helloFrame(S1)))).to.include({ hello: null, close: true });
      const proving = new LinkSession({ self: LFD1, side: { target: 'server' }, limits, certNames: ['S2'], auth: { secret: 's'.repeat(16), nonce: () => '0'.repeat(32) } });
      expect(proving.receive(`<S1, server, 1, ${'1'.repeat(32)}, challenge>`).refused).to.deep.equal(['the certificate does not name S1 (it names S2)']);
    });

    it('helloFrame speaks protocol version 1', () => {
      expect(helloFrame(LFD1)).to.deep.equal({ kind: 'hello', name: 'LFD1', role: 'lfd', version: 1 });
      expect(encodeFrame(helloFrame(LFD1))).to.equal('<LFD1, lfd, 1, hello>');
    });

    it('a hello of another protocol version gets an error frame and closes the link', () => {
      const s = listener('server-peer');
      const step = s.receive(`<LFD1, lfd, 2, hello>${heartbeat}`);
      expect(step.replies).to.deep.equal([error('protocol version 2 not supported')]);
      expect(step.close).to.equal(true);
      expect(step.hello).to.equal(null);
      expect(step.frames).to.deep.equal([]);
      expect(s.peer).to.equal(null);
      // Nothing more is read from a closed link.
      expect(s.receive('<LFD1, lfd, 1, hello>').hello).to.equal(null);
    });

    it('refuses a hello from a role that may not greet this port', () => {
      const s = listener('server-peer');
      const step = s.receive('<GFD, gfd, 1, hello>');
      expect(step.replies).to.deep.equal([error(`role 'gfd' may not say hello on this port`)]);
      expect(step.close).to.equal(false);
      expect(s.peer).to.equal(null);
    });

    it('refuses a hello on a client port', () => {
      const step = listener('server-client').receive('<LFD1, lfd, 1, hello>');
      expect(step.replies).to.deep.equal([error(`frame 'hello' not allowed on this link`)]);
      expect(step.hello).to.equal(null);
    });

    it('refuses a second hello on the same link', () => {
      const s = listener('gfd', { name: 'GFD', role: 'gfd' });
      s.receive('<LFD1, lfd, 1, hello>');
      const step = s.receive('<LFD2, lfd, 1, hello>');
      expect(step.replies).to.deep.equal([error('second hello on this link', 'GFD')]);
      expect(step.hello).to.equal(null);
      expect(s.peer).to.deep.equal(LFD1);
    });
  });

  describe('links', () => {
    it('answers a frame not allowed before the hello with an error frame', () => {
      const s = listener('server-peer');
      const step = s.receive(heartbeat);
      expect(step.frames).to.deep.equal([]);
      expect(step.replies).to.deep.equal([error(`frame 'heartbeat' not allowed on this link`)]);
      expect(step.refused).to.deep.equal([`frame 'heartbeat' not allowed on this link`]);
      expect(step.close).to.equal(false);
    });

    it('refuses a control frame without a hello on the server peer port', () => {
      const s = listener('server-peer');
      for (const wire of ['<S1, passive, primary, 4, , ready>', '<S1, S2, send_checkpoint>', checkpoint(80)]) {
        const step = s.receive(wire);
        expect(step.frames, wire).to.deep.equal([]);
        expect(step.replies[0]?.kind, wire).to.equal('error');
      }
    });

    it('takes requests and status on a client port without a hello', () => {
      const s = listener('server-client');
      const step = s.receive('<C1, S1, 1, hi, request><ops, S1, status>');
      expect(step.frames.map((f) => f.kind)).to.deep.equal(['request', 'statusQuery']);
      expect(step.replies).to.deep.equal([]);
    });

    it('refuses frames the role at the other end of an outbound link does not send', () => {
      const s = new LinkSession({ self: { name: 'C1', role: 'client' }, side: { target: 'rm' }, limits });
      const step = s.receive('<C1, S1, 1, hi, request><C1, active, S1, ready>');
      expect(step.refused).to.deep.equal([`frame 'request' not allowed on this link`]);
      expect(step.replies).to.deep.equal([error(`frame 'request' not allowed on this link`, 'C1')]);
      expect(step.frames.map((f) => f.kind)).to.deep.equal(['clientView']);
    });

    it('answers garbage, unparsable and unterminated frames with error frames', () => {
      const step = listener('server-client').receive('junk\n<C1, S1, 1, hi, requests><C1, S1, 1, <C1, client>');
      expect(step.refused).to.deep.equal([
        'text outside a frame',
        `unknown frame type 'requests'`,
        'unterminated frame',
        `frame 'clientHello' not allowed on this link`,
      ]);
      expect(step.replies).to.deep.equal(step.refused.map((r) => error(r)));
    });
  });

  describe('refusals in a row', () => {
    it(`closes after ${MAX_REFUSED_IN_A_ROW} refused frames in a row`, () => {
      expect(MAX_REFUSED_IN_A_ROW).to.equal(10);
      const s = listener('server-client');
      const nine = s.receive(bad.repeat(9));
      expect(nine.refused).to.have.length(9);
      expect(nine.close).to.equal(false);
      const tenth = s.receive(bad);
      expect(tenth.close).to.equal(true);
      expect(tenth.replies).to.have.length(1);
      expect(s.isClosed).to.equal(true);
    });

    it('stops reading at the tenth refusal inside one chunk', () => {
      const step = listener('server-client').receive(bad.repeat(10) + '<C1, S1, 1, hi, request>');
      expect(step.close).to.equal(true);
      expect(step.refused).to.have.length(10);
      expect(step.frames).to.deep.equal([]);
    });

    it('an accepted frame resets the count', () => {
      const s = listener('server-client');
      const step = s.receive(bad.repeat(9) + '<C1, S1, 1, hi, request>' + bad.repeat(9));
      expect(step.close).to.equal(false);
      expect(step.refused).to.have.length(18);
      expect(s.receive(bad).close).to.equal(true);
    });

    it('an accepted hello resets the count', () => {
      const s = listener('server-peer');
      expect(s.receive(heartbeat.repeat(9) + '<LFD1, lfd, 1, hello>' + bad.repeat(9)).close).to.equal(false);
    });

    it('never answers an error frame, delivers it, and does not count it', () => {
      const s = listener('server-client');
      const step = s.receive('<S2, oops, error>'.repeat(25));
      expect(step.replies).to.deep.equal([]);
      expect(step.refused).to.deep.equal([]);
      expect(step.frames).to.have.length(25);
      expect(step.frames[0]).to.deep.equal(error('oops', 'S2'));
      expect(step.close).to.equal(false);
    });

    it('an error frame does not reset the count either', () => {
      const s = listener('server-client');
      expect(s.receive(bad.repeat(5) + '<S2, oops, error>' + bad.repeat(5)).close).to.equal(true);
    });
  });

  describe('frame limit', () => {
    it('a server peer port allows max_state_frame only after a hello', () => {
      const s = listener('server-peer');
      expect(s.receive(checkpoint(150)).refused).to.deep.equal(['frame over 100 bytes']);
      const step = s.receive('<S2, server, 1, hello>' + checkpoint(5000));
      expect(step.hello).to.deep.equal({ name: 'S2', role: 'server' });
      expect(step.refused).to.deep.equal([]);
      expect(step.frames.map((f) => f.kind)).to.deep.equal(['checkpoint']);
      expect(s.receive(checkpoint(10_001)).refused).to.deep.equal(['frame over 10000 bytes']);
    });

    it('a client port keeps max_frame', () => {
      const s = listener('server-client');
      const body = 'x'.repeat(150);
      expect(s.receive(`<C1, S1, 1, ${body}, request>`).refused).to.deep.equal(['frame over 100 bytes']);
      s.receive('<S2, server, 1, hello>');
      expect(s.peer).to.equal(null);
      expect(s.receive(`<C1, S1, 1, ${body}, request>`).refused).to.deep.equal(['frame over 100 bytes']);
    });

    it('the RM port keeps max_frame even after a hello', () => {
      const s = listener('rm', { name: 'RM', role: 'rm' });
      expect(s.receive('<GFD, gfd, 1, hello>').hello).to.deep.equal({ name: 'GFD', role: 'gfd' });
      expect(s.receive(`<GFD, ${'S1;'.repeat(60)}S2, 1, members>`).refused).to.deep.equal(['frame over 100 bytes']);
    });

    it('reads bytes split anywhere, the hello included', () => {
      const wire = Buffer.from(`<LFD1, lfd, 1, hello>\n${heartbeat}\n<LFD1, S1, 9, heartbeat>`);
      for (let cut = 0; cut <= wire.length; cut++) {
        const s = listener('server-peer');
        const a = s.receive(wire.subarray(0, cut));
        const b = s.receive(wire.subarray(cut));
        expect([...a.frames, ...b.frames].map((f) => f.kind), `cut ${cut}`).to.deep.equal(['heartbeat', 'heartbeat']);
        expect([...a.refused, ...b.refused]).to.deep.equal([]);
      }
    });
  });
});
