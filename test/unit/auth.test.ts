/**
 * Authenticated hellos between two sessions, wired back to back as a link and a listener would be:
 * both prove the secret; a wrong secret, a missing one on either side, a proof replayed from another
 * connection, and frames sent before the proof are all refused, and nothing reaches the machine.
 */
import { expect } from 'chai';
import { encodeFrame } from '../../src/protocol/codec.js';
import { proofOf } from '../../src/protocol/auth.js';
import type { ChallengeFrame, Frame, ProveFrame } from '../../src/protocol/frames.js';
import { helloFrame, LinkSession, type SessionStep } from '../../src/protocol/session.js';

const limits = { maxFrame: 1000, maxStateFrame: 10_000 };
const S1 = { name: 'S1', role: 'server' } as const;
const LFD1 = { name: 'LFD1', role: 'lfd' } as const;

let counter = 0;
const auth = (secret: string) => ({ secret, nonce: () => (++counter).toString(16).padStart(32, '0') });

const listenerOf = (secret: string | null) => new LinkSession({ self: S1, side: { port: 'server-peer' }, limits, auth: secret === null ? null : auth(secret) });
const linkOf = (secret: string | null) => new LinkSession({ self: LFD1, side: { target: 'server' }, limits, auth: secret === null ? null : auth(secret) });

const wire = (frames: Frame[]): string => frames.map(encodeFrame).join('');

/** Runs the handshake: the link's hello, then each side's replies to the other, until quiet. */
function handshake(link: LinkSession, listener: LinkSession): { link: SessionStep[]; listener: SessionStep[] } {
  const steps = { link: [] as SessionStep[], listener: [] as SessionStep[] };
  let toListener = [helloFrame(LFD1)] as Frame[];
  for (let round = 0; round < 5 && toListener.length > 0; round++) {
    const l = listener.receive(wire(toListener));
    steps.listener.push(l);
    if (l.replies.length === 0) break;
    const k = link.receive(wire(l.replies));
    steps.link.push(k);
    toListener = k.replies;
  }
  return steps;
}

const kinds = (steps: SessionStep[]) => steps.flatMap((s) => s.replies.map((f) => f.kind));
const refused = (steps: SessionStep[]) => steps.flatMap((s) => s.refused);

describe('authenticated hellos', () => {
  it('with the same secret, both sides prove it and each learns the other', () => {
    const link = linkOf('s3cret');
    const listener = listenerOf('s3cret');
    const steps = handshake(link, listener);
    expect(kinds(steps.listener)).to.deep.equal(['challenge', 'proved']);
    expect(kinds(steps.link)).to.deep.equal(['prove']);
    expect(listener.peer).to.deep.equal(LFD1);
    expect(link.peer).to.deep.equal(S1);
    expect(steps.listener.map((s) => s.hello)).to.deep.equal([null, LFD1]);
    expect(steps.link.map((s) => s.hello)).to.deep.equal([null, S1]);
    expect(listener.receive('<LFD1, S1, 8, heartbeat>').frames).to.have.length(1);
  });

  it('a wrong secret: the listener refuses the proof, accepts nobody and closes', () => {
    const link = linkOf('guess');
    const listener = listenerOf('s3cret');
    const steps = handshake(link, listener);
    expect(listener.peer).to.equal(null);
    expect(steps.listener.at(-1)!.close).to.equal(true);
    expect(refused(steps.listener)).to.deep.equal(["authentication failed: lfd LFD1 did not prove the cluster's secret"]);
    expect(steps.listener.every((s) => s.hello === null)).to.equal(true);
  });

  it('a listener with a wrong secret cannot pass itself off: the link refuses its proof', () => {
    const link = linkOf('s3cret');
    const impostor = listenerOf('guess');
    // The impostor cannot check the link's proof; it answers with a proof made with what it knows.
    const challenge = impostor.receive(wire([helloFrame(LFD1)])).replies[0] as ChallengeFrame;
    const prove = link.receive(wire([challenge])).replies[0] as ProveFrame;
    const h = { connector: LFD1, listener: S1, connectorNonce: prove.nonce, listenerNonce: challenge.nonce, version: 1 };
    const proofFromWrongSecret: Frame = { kind: 'proved', name: 'S1', proof: proofOf('guess', 'listener', h) };
    const step = link.receive(wire([proofFromWrongSecret]));
    expect(step.close).to.equal(true);
    expect(step.refused).to.deep.equal(["authentication failed: server S1 did not prove the cluster's secret"]);
    expect(link.peer).to.equal(null);
  });

  it('a secret on one side only: the link closes with a line that says which', () => {
    const noSecretLink = handshake(linkOf(null), listenerOf('s3cret'));
    expect(refused(noSecretLink.link)).to.deep.equal(["authentication failed: the server asks for the cluster's secret, and none is set"]);

    const link = linkOf('s3cret');
    const step = link.receive(wire(listenerOf(null).receive(wire([helloFrame(LFD1)])).replies));
    expect(step.refused).to.deep.equal(['authentication failed: the server answered without authenticating (has it no secret?)']);
    expect(step.close).to.equal(true);
    expect(link.peer).to.equal(null);
  });

  it('a proof recorded on one connection fails on the next (fresh nonces)', () => {
    const first = listenerOf('s3cret');
    const link = linkOf('s3cret');
    const challenge = first.receive(wire([helloFrame(LFD1)])).replies;
    const prove = link.receive(wire(challenge)).replies;
    const second = listenerOf('s3cret');
    second.receive(wire([helloFrame(LFD1)]));
    const step = second.receive(wire(prove));
    expect(step.close).to.equal(true);
    expect(second.peer).to.equal(null);
  });

  it('before the proof, only what anyone may send is taken: role frames are refused', () => {
    const listener = listenerOf('s3cret');
    const step = listener.receive(`${wire([helloFrame(LFD1)])}<LFD1, S1, 8, heartbeat><S1, passive, primary, 1000, , ready><ops, S1, status>`);
    expect(step.frames.map((f) => f.kind)).to.deep.equal(['statusQuery']);
    expect(step.refused).to.deep.equal(["frame 'heartbeat' not allowed on this link", "frame 'ready' not allowed on this link"]);
    expect(step.hello).to.equal(null);
  });

  it('a prove, challenge or proved out of turn is refused', () => {
    expect(listenerOf('s3cret').receive(`<LFD1, ${'0'.repeat(32)}, ${'0'.repeat(64)}, prove>`).refused).to.deep.equal(["frame 'prove' not expected on this link"]);
    expect(listenerOf(null).receive(`<S1, server, 1, ${'0'.repeat(32)}, challenge>`).refused).to.deep.equal(["frame 'challenge' not expected on this link"]);
    expect(linkOf('s3cret').receive(`<S1, ${'0'.repeat(64)}, proved>`).refused).to.deep.equal(["frame 'proved' not expected on this link"]);
  });

  it('without a secret on either side, hellos are as before', () => {
    const link = linkOf(null);
    const listener = listenerOf(null);
    const steps = handshake(link, listener);
    expect(kinds(steps.listener)).to.deep.equal(['hello']);
    expect(listener.peer).to.deep.equal(LFD1);
    expect(link.peer).to.deep.equal(S1);
  });
});

describe('identities bound to the configuration and to the link', () => {
  const names = { lfd: ['LFD1'], server: ['S1', 'S2'] };
  const peerPort = () => new LinkSession({ self: S1, side: { port: 'server-peer' }, limits, names });

  it('a hello under a name the configuration does not have for that role is refused, and the link closed', () => {
    const step = peerPort().receive('<LFD9, lfd, 1, hello>');
    expect(step.hello).to.equal(null);
    expect(step.refused).to.deep.equal(['no lfd named LFD9 in the configuration (LFD1)']);
    expect(step.close).to.equal(true);
    expect(peerPort().receive('<S2, lfd, 1, hello>').refused).to.deep.equal(['no lfd named S2 in the configuration (LFD1)']);
  });

  it("a peer's frames must name it as their sender, and this side as their recipient", () => {
    const s = peerPort();
    expect(s.receive('<S2, server, 1, hello>').hello).to.deep.equal({ name: 'S2', role: 'server' });
    const step = s.receive('<S9, S1, 1, , , 4, checkpoint><S2, S3, 5, C1, 1, x, 4, update><S2, S1, 5, C1, 1, x, 4, update>');
    expect(step.refused).to.deep.equal(["frame 'checkpoint' from S9 on S2's link", "frame 'update' for S3 reached S1"]);
    expect(step.frames.map((f) => f.kind)).to.deep.equal(['update']);
  });

  it("an LFD's commands on a server's peer port must be for that server", () => {
    const s = peerPort();
    s.receive('<LFD1, lfd, 1, hello>');
    const step = s.receive('<S2, passive, primary, 7, , ready><LFD2, S1, 1, heartbeat><S1, passive, primary, 7, , ready>');
    expect(step.refused).to.deep.equal(["frame 'ready' for S2 reached S1", "frame 'heartbeat' from LFD2 on LFD1's link"]);
    expect(step.frames.map((f) => f.kind)).to.deep.equal(['ready']);
  });
});
