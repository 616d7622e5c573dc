/**
 * Which frames each link may carry (SPEC §4 Links). A listener's port decides what may arrive before
 * a hello; the role named in the hello decides what may arrive after it. An outbound link knows the
 * role it connected to and takes only what that role sends.
 */
import { isPeerFrame, isStatePiece, type Frame, type FrameKind, type RoleKind } from './frames.js';

/** The one RM's and the one GFD's names in hellos and frames (SPEC §4). */
export const RM_NAME = 'RM';
export const GFD_NAME = 'GFD';
/** Who asks for a status from outside the cluster (the tools; SPEC §4's `<ops, S1, status>`). */
export const OPS = 'ops';

/** The kinds of listening port. */
export type PortKind = 'server-client' | 'server-peer' | 'gfd' | 'rm';

/** Who is at the other end of a link, once its hello arrived. */
export interface Peer {
  name: string;
  role: RoleKind;
}

export interface Limits {
  maxFrame: number;
  maxStateFrame: number;
}

/** `error` may arrive on any link (and is never answered); it is not listed below. */
type Allowed = readonly FrameKind[];

/** Frames a listener takes from anyone, before or without a hello. */
const beforeHello: Record<PortKind, Allowed> = {
  'server-client': ['request', 'statusQuery'],
  'server-peer': ['hello', 'statusQuery'],
  gfd: ['hello'],
  // A drain from a tool: the RM takes it only from a link as trusted as the cluster's own (docs/operations.md).
  rm: ['hello', 'clientHello', 'directoryQuery', 'statusQuery', 'drain'],
};

/** Frames a listener takes after a hello from a given role (roles not listed may not say hello there). */
const afterHello: Record<PortKind, Partial<Record<RoleKind, Allowed>>> = {
  'server-client': {},
  'server-peer': {
    lfd: ['heartbeat', 'ready', 'sendCheckpoint', 'statusQuery', 'drain', 'released'],
    // A heartbeat from a primary handing over marks the end of its final checkpoint.
    server: ['statePart', 'stateEnd', 'checkpoint', 'update', 'recovery', 'forward', 'order', 'commit', 'ack', 'statusQuery', 'heartbeat'],
  },
  gfd: {
    lfd: ['heartbeat', 'membership', 'serving', 'leaving'],
  },
  rm: {
    gfd: ['membership', 'members', 'serving', 'leaving', 'statusQuery'],
  },
};

/** Frames an outbound link takes from the role it connected to. */
const fromListener: Record<RoleKind, Allowed> = {
  server: ['hello', 'reply', 'failed', 'serverStatus', 'heartbeat', 'serving', 'leaving', 'ack'],
  lfd: [],
  gfd: ['hello', 'heartbeat', 'ready', 'sendCheckpoint', 'launch', 'drain', 'released'],
  rm: ['hello', 'clientView', 'directory', 'rmStatus', 'rmStandby', 'redirect', 'ready', 'sendCheckpoint', 'launch', 'drain', 'released'],
  client: [],
};

/** Roles that may open a control link with a hello on each port. */
export function mayGreet(port: PortKind, role: RoleKind): boolean {
  return afterHello[port][role] !== undefined;
}

export function listenerAccepts(port: PortKind, peer: Peer | null, kind: FrameKind): boolean {
  if (kind === 'error') return true;
  if (peer === null) return beforeHello[port].includes(kind);
  return (afterHello[port][peer.role] ?? []).includes(kind);
}

export function linkAccepts(target: RoleKind, kind: FrameKind): boolean {
  return kind === 'error' || fromListener[target].includes(kind);
}

/**
 * The name a role's frame says it comes from, where the link's peer must be that name: a peer
 * cannot speak for another (a server's checkpoint `from` S9 on S2's link, an LFD's `membership`
 * under another LFD's name). Commands relayed down (`ready`, `launch`, …) name their target instead.
 */
export function senderOf(frame: Frame): string | null {
  if (isPeerFrame(frame) || isStatePiece(frame)) return frame.from;
  return frame.kind === 'heartbeat' || frame.kind === 'membership' || frame.kind === 'members' ? frame.from : null;
}

/**
 * The name a frame is for, where it must be this side's own: a heartbeat or a server's frame for
 * another, or (on a server's peer port, from its LFD) a command for another server, is not for
 * this link. `port`: the listener's, or null on an outbound link.
 */
export function recipientOf(frame: Frame, port: PortKind | null): string | null {
  if (isPeerFrame(frame) || isStatePiece(frame) || frame.kind === 'heartbeat') return frame.to;
  const command = frame.kind === 'ready' || frame.kind === 'sendCheckpoint' || frame.kind === 'drain' || frame.kind === 'released';
  return port === 'server-peer' && command ? frame.server : null;
}

/** A frame is decoded as one string; V8 strings stop near 2^29 characters, so stay well below. */
export const MAX_FRAME_LIMIT = 268435456;

/**
 * Client-facing ports keep `maxFrame`; peer ports allow `maxStateFrame` once the peer said hello (a
 * status carries the whole state), up to what one frame can be.
 */
export function frameLimit(port: PortKind | null, peer: Peer | null, limits: Limits): number {
  if (port !== null && (port === 'server-client' || port === 'rm' || peer === null)) return limits.maxFrame;
  return Math.min(limits.maxStateFrame, MAX_FRAME_LIMIT);
}
