/**
 * The protocol logic of one link, without I/O: bytes in, accepted frames and answers out. The TCP
 * and in-memory transports both drive it, so they refuse, answer and close in exactly the same way.
 */
import { proofHolds, proofOf, type Auth, type Handshake } from './auth.js';
import { decodeFrameText, FrameError } from './codec.js';
import {
  PROTOCOL_VERSION,
  type ChallengeFrame,
  type ErrorFrame,
  type Frame,
  type HelloFrame,
  type ProvedFrame,
  type ProveFrame,
  type RoleKind,
  isStatePiece,
} from './frames.js';
import { frameLimit, linkAccepts, listenerAccepts, mayGreet, recipientOf, senderOf, type Limits, type Peer, type PortKind } from './links.js';
import { FrameReader } from './reader.js';
import { StateAssembly } from './transfer.js';

/** SPEC §4: a link that sends this many refused frames in a row is closed. */
export const MAX_REFUSED_IN_A_ROW = 10;

export interface SessionOptions {
  /** This side's name and role. */
  self: Peer;
  /** A listener's port, or an outbound link to a role. */
  side: { port: PortKind } | { target: RoleKind };
  limits: Limits;
  /**
   * The cluster's secret: a hello that claims a role is proven by both sides before the link takes
   * that role's frames (docs/protocol.md, Authenticated hellos). Without it, a hello is taken at its word.
   */
  auth?: Auth | null;
  /** A listener: the names each role may say hello under (the configuration's); absent, any. */
  names?: Partial<Record<RoleKind, readonly string[]>>;
  /**
   * Over mutual TLS, the names the other side's certificate vouches for: its hello (or the
   * listener's challenge) must name one of them. Null or absent: no certificate to check.
   */
  certNames?: readonly string[] | null;
}

export interface SessionStep {
  /** Accepted frames in order, for the machine (incoming hellos are reported in `hello` instead). */
  frames: Frame[];
  /** Frames to write back now, in order (the listener's hello answer, error frames). */
  replies: Frame[];
  /** One reason per refused frame, for logging. */
  refused: string[];
  /** The hello accepted in this step: the peer's on a listener, the listener's answer on a link. */
  hello: Peer | null;
  /** Close after writing `replies`. */
  close: boolean;
}

export function helloFrame(self: Peer): HelloFrame {
  return { kind: 'hello', name: self.name, role: self.role, version: PROTOCOL_VERSION };
}

export class LinkSession {
  private readonly reader: FrameReader;
  private readonly port: PortKind | null;
  private readonly target: RoleKind | null;
  private currentPeer: Peer | null = null;
  /** A listener's challenge under way: who claimed what, and the nonce sent. */
  private challenged: { peer: Peer; nonce: string } | null = null;
  /** A connecting side's proof under way: the handshake as far as it knows it. */
  private proving: Handshake | null = null;
  private refusedInARow = 0;
  private closed = false;
  private readonly assembly: StateAssembly;

  constructor(private readonly opts: SessionOptions) {
    this.port = 'port' in opts.side ? opts.side.port : null;
    this.target = 'target' in opts.side ? opts.side.target : null;
    // A getter, not a number: the limit of a peer port grows once its hello is accepted.
    this.reader = new FrameReader(() => frameLimit(this.port, this.currentPeer, opts.limits));
    this.assembly = new StateAssembly(() => opts.limits.maxStateFrame);
  }

  /** Who is at the other end, once a hello was accepted. */
  get peer(): Peer | null {
    return this.currentPeer;
  }

  /** The peer stopped inside a frame, so far (a frame that never ends holds a connection). */
  get midFrame(): boolean {
    return this.reader.midFrame;
  }

  /** Once closed (too many refusals, bad version), further input is ignored. */
  get isClosed(): boolean {
    return this.closed;
  }

  receive(chunk: Uint8Array | string): SessionStep {
    const step: SessionStep = { frames: [], replies: [], refused: [], hello: null, close: this.closed };
    if (this.closed) return step;
    // Item by item, so that a hello changes the limit for the frames behind it in the same chunk.
    for (const item of this.reader.items(chunk)) {
      if (!item.ok) this.refuse(step, item.reason);
      else this.take(step, item.text);
      if (step.close) break;
    }
    return step;
  }

  private take(step: SessionStep, text: string): void {
    let frame: Frame;
    try {
      frame = decodeFrameText(text);
    } catch (e) {
      // decodeFrameText throws FrameError only; anything else is a bug and should surface.
      if (!(e instanceof FrameError)) throw e;
      this.refuse(step, e.message);
      return;
    }
    if (frame.kind === 'error') {
      // Never answered (two sides must not trade errors forever), and neither counts nor resets.
      step.frames.push(frame);
      return;
    }
    if (frame.kind === 'hello') {
      this.takeHello(step, frame);
      return;
    }
    if (frame.kind === 'challenge') return this.takeChallenge(step, frame);
    if (frame.kind === 'prove') return this.takeProve(step, frame);
    if (frame.kind === 'proved') return this.takeProved(step, frame);
    if (!this.accepts(frame.kind)) {
      this.refuse(step, `frame '${frame.kind}' not allowed on this link`);
      return;
    }
    const peer = this.currentPeer;
    if (peer !== null) {
      const from = senderOf(frame);
      if (from !== null && from !== peer.name) return this.refuse(step, `frame '${frame.kind}' from ${from} on ${peer.name}'s link`);
      const to = recipientOf(frame, this.port);
      if (to !== null && to !== this.opts.self.name) return this.refuse(step, `frame '${frame.kind}' for ${to} reached ${this.opts.self.name}`);
    }
    if (isStatePiece(frame)) {
      const refused = this.assembly.take(frame);
      if (refused !== null) return this.refuse(step, refused);
      this.refusedInARow = 0;
      return;
    }
    const completed = this.assembly.complete(frame);
    if ('refused' in completed) return this.refuse(step, completed.refused);
    this.refusedInARow = 0;
    step.frames.push(completed.frame);
  }

  private takeHello(step: SessionStep, hello: HelloFrame): void {
    if (this.currentPeer !== null || this.challenged !== null) return this.refuse(step, 'second hello on this link');
    if (!this.accepts('hello')) return this.refuse(step, `frame 'hello' not allowed on this link`);
    if (hello.version !== PROTOCOL_VERSION) {
      step.replies.push(this.error(`protocol version ${hello.version} not supported`));
      step.refused.push(`protocol version ${hello.version} not supported`);
      this.close(step);
      return;
    }
    if (this.port !== null && !mayGreet(this.port, hello.role)) {
      return this.refuse(step, `role '${hello.role}' may not say hello on this port`);
    }
    if (this.target !== null && hello.role !== this.target) {
      return this.refuse(step, `hello from a ${hello.role}, expected a ${this.target}`);
    }
    const names = this.opts.names?.[hello.role];
    if (this.port !== null && names !== undefined && !names.includes(hello.name)) {
      return this.fail(step, `no ${hello.role} named ${hello.name} in the configuration (${names.join(', ') || 'none'})`);
    }
    const unvouched = this.unvouched(hello.name);
    if (unvouched !== null) return this.fail(step, unvouched);
    const auth = this.opts.auth;
    if (auth && this.target !== null) {
      // A listener that does not prove itself could be anyone on its address.
      return this.fail(step, `authentication failed: the ${this.target} answered without authenticating (has it no secret?)`);
    }
    this.refusedInARow = 0;
    const peer = { name: hello.name, role: hello.role };
    if (auth) {
      const nonce = auth.nonce();
      this.challenged = { peer, nonce };
      const { name, role } = this.opts.self;
      step.replies.push({ kind: 'challenge', name, role, version: PROTOCOL_VERSION, nonce });
      return;
    }
    this.accept(step, peer);
    if (this.port !== null) step.replies.push(helloFrame(this.opts.self));
  }

  private accept(step: SessionStep, peer: Peer): void {
    this.refusedInARow = 0;
    this.currentPeer = peer;
    step.hello = peer;
  }

  /** The connecting side: the listener wants proof of the secret, and gives its nonce. */
  private takeChallenge(step: SessionStep, f: ChallengeFrame): void {
    const auth = this.opts.auth;
    if (this.target === null || this.currentPeer !== null || this.proving !== null) return this.refuse(step, `frame 'challenge' not expected on this link`);
    if (!auth) return this.fail(step, `authentication failed: the ${this.target} asks for the cluster's secret, and none is set`);
    if (f.version !== PROTOCOL_VERSION) return this.fail(step, `protocol version ${f.version} not supported`);
    if (f.role !== this.target) return this.fail(step, `authentication failed: challenge from a ${f.role}, expected a ${this.target}`);
    const unvouched = this.unvouched(f.name);
    if (unvouched !== null) return this.fail(step, unvouched);
    const h: Handshake = { connector: this.opts.self, listener: { name: f.name, role: f.role }, connectorNonce: auth.nonce(), listenerNonce: f.nonce, version: f.version };
    this.proving = h;
    this.refusedInARow = 0;
    step.replies.push({ kind: 'prove', name: this.opts.self.name, nonce: h.connectorNonce, proof: proofOf(auth.secret, 'connector', h) });
  }

  /** The listener: the connecting side's proof; if it holds, the hello is accepted and proven back. */
  private takeProve(step: SessionStep, f: ProveFrame): void {
    const auth = this.opts.auth;
    const c = this.challenged;
    if (!auth || c === null || this.currentPeer !== null || f.name !== c.peer.name) return this.refuse(step, `frame 'prove' not expected on this link`);
    const h: Handshake = { connector: c.peer, listener: this.opts.self, connectorNonce: f.nonce, listenerNonce: c.nonce, version: PROTOCOL_VERSION };
    if (!proofHolds(auth.secret, 'connector', h, f.proof)) return this.fail(step, `authentication failed: ${c.peer.role} ${c.peer.name} did not prove the cluster's secret`);
    this.accept(step, c.peer);
    step.replies.push({ kind: 'proved', name: this.opts.self.name, proof: proofOf(auth.secret, 'listener', h) });
  }

  /** The connecting side: the listener's proof; if it holds, the link is up for its role. */
  private takeProved(step: SessionStep, f: ProvedFrame): void {
    const h = this.proving;
    if (h === null || this.currentPeer !== null || f.name !== h.listener.name) return this.refuse(step, `frame 'proved' not expected on this link`);
    if (!proofHolds(this.opts.auth!.secret, 'listener', h, f.proof)) return this.fail(step, `authentication failed: ${h.listener.role} ${h.listener.name} did not prove the cluster's secret`);
    this.accept(step, h.listener);
  }

  /** Why the other side's certificate does not let it be `name`, or null when it does (or there is none). */
  private unvouched(name: string): string | null {
    const vouched = this.opts.certNames;
    if (vouched === null || vouched === undefined || vouched.includes(name)) return null;
    return `the certificate does not name ${name} (it names ${vouched.length > 0 ? vouched.join(', ') : 'no steadfast role'})`;
  }

  /** A hello or an authentication that cannot go on: one error frame, and the link closes. */
  private fail(step: SessionStep, reason: string): void {
    step.replies.push(this.error(reason));
    step.refused.push(reason);
    this.close(step);
  }

  private accepts(kind: Frame['kind']): boolean {
    if (this.port !== null) return listenerAccepts(this.port, this.currentPeer, kind);
    return linkAccepts(this.target!, kind);
  }

  private refuse(step: SessionStep, reason: string): void {
    step.replies.push(this.error(reason));
    step.refused.push(reason);
    this.refusedInARow++;
    if (this.refusedInARow >= MAX_REFUSED_IN_A_ROW) this.close(step);
  }

  private close(step: SessionStep): void {
    this.closed = true;
    step.close = true;
  }

  private error(message: string): ErrorFrame {
    return { kind: 'error', name: this.opts.self.name, message };
  }
}
