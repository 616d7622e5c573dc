/**
 * Every frame of SPEC §4 as a typed union. The wire type (the frame's last field) is not always
 * enough to tell frames apart (`status`, `ready` and `heartbeat` have several shapes), so each
 * variant has its own `kind`; the codec maps kinds to wire shapes and back.
 */
import type { StateText } from './state-text.js';


export const PROTOCOL_VERSION = 1;

export type RoleKind = 'server' | 'lfd' | 'gfd' | 'rm' | 'client';
export type Mode = 'active' | 'passive';
export type ReplicaRole = 'primary' | 'backup';
export type Phase = 'booting' | 'recovering' | 'ready' | 'suspended';
/** What the RM knows of a configured server. */
export type MemberPhase = Phase | 'down';

/**
 * One row of a client table: the client's last request number and the reply it got; `failed` when
 * the application's `apply` threw on it, `reply` then being the error's message.
 */
export interface ClientEntry {
  client: string;
  num: number;
  reply: string;
  failed?: boolean;
}

/** `<LFD1, lfd, 1, hello>`: opens every control link; the listener answers with its own. */
export interface HelloFrame {
  kind: 'hello';
  name: string;
  role: RoleKind;
  version: number;
}

/**
 * `<S1, server, 1, NONCE, challenge>`: with a secret, a listener answers a hello that claims a role
 * with this instead of its hello (docs/protocol.md, Authenticated hellos). NONCE: 32 hex digits.
 */
export interface ChallengeFrame {
  kind: 'challenge';
  name: string;
  role: RoleKind;
  version: number;
  nonce: string;
}

/** `<LFD1, NONCE, PROOF, prove>`: the connecting side's nonce and its proof of the secret (64 hex digits). */
export interface ProveFrame {
  kind: 'prove';
  name: string;
  nonce: string;
  proof: string;
}

/** `<S1, PROOF, proved>`: the listener's proof; the link is open for its role from here. */
export interface ProvedFrame {
  kind: 'proved';
  name: string;
  proof: string;
}

/** `<C1, S1, 8, hello_world8, request>` */
export interface RequestFrame {
  kind: 'request';
  client: string;
  server: string;
  num: number;
  body: string;
}

/** `<C1, S1, 8, RESULT, reply>` */
export interface ReplyFrame {
  kind: 'reply';
  client: string;
  server: string;
  num: number;
  result: string;
}

/** `<C1, S1, 8, MESSAGE, failed>`: the application's `apply` threw on request 8 (SPEC §8). */
export interface FailedFrame {
  kind: 'failed';
  client: string;
  server: string;
  num: number;
  message: string;
}

/** `<NAME, what was wrong, error>`: never answered. */
export interface ErrorFrame {
  kind: 'error';
  name: string;
  message: string;
}

/**
 * A server's refusals of a client request that a passive client sends again soon: the RM may
 * already have named this server primary (its `ready` not there yet), or assign it again shortly.
 */
export const PASSING_REFUSALS = { notPrimary: 'not primary', suspended: 'suspended: its lease ran out' } as const;

/** `<ops, S1, status>` or `<ops, RM, status>` */
export interface StatusQueryFrame {
  kind: 'statusQuery';
  from: string;
  target: string;
}

/**
 * `<S1, MODE, ROLE, PHASE, STATE, CLIENTS, CKPT, EPOCH, PID, status>`; a server with a data folder
 * adds how far its history goes (position, the epoch it was written in) and the highest epoch it
 * took, after PID (`… PID, 31, 4, 5, status>`, docs/durability.md).
 */
export interface ServerStatusFrame {
  kind: 'serverStatus';
  server: string;
  mode: Mode | null;
  role: ReplicaRole | null;
  phase: Phase;
  state: string;
  clients: ClientEntry[];
  checkpoint: number;
  epoch: number;
  pid: number;
  durable?: DurableReach;
}

/**
 * A server with a data folder: its position in the history, the epoch the history was last written
 * in, and the highest epoch whose `ready` its folder recorded.
 */
export interface DurableReach {
  position: number;
  epoch: number;
  taken: number;
}

/** `<RM, MODE, PRIMARY, EPOCH, S1:ready;S2:recovering;S3:down, status>` */
export interface RmStatusFrame {
  kind: 'rmStatus';
  /** The RM's name: `RM`, or its `[rm.NAME]` with several. */
  from: string;
  mode: Mode;
  primary: string | null;
  epoch: number;
  members: { server: string; phase: MemberPhase }[];
}

/**
 * `<RM2, leader RM1, redirect>`: a standby RM sends whoever asked it (a client, the GFD) to the
 * leader; the second field is empty while it knows none (SPEC §8, docs/coordination.md).
 */
export interface RedirectFrame {
  kind: 'redirect';
  from: string;
  leader: string | null;
}

/** `<RM2, standby, RM1, status>`: a standby RM's status; the leader empty while none is known. */
export interface RmStandbyFrame {
  kind: 'rmStandby';
  from: string;
  leader: string | null;
}

/** `<C1, directory>`: a client that knows only the RM asks where each server listens (docs/protocol.md). */
export interface DirectoryQueryFrame {
  kind: 'directoryQuery';
  client: string;
}

/** `<RM, S1:127.0.0.1:7101;S2:…, directory>`: every configured server's client port (host item-encoded). */
export interface DirectoryFrame {
  kind: 'directory';
  servers: { server: string; host: string; port: number }[];
}

/** `<C1, client>`: a client asks the RM where to send. */
export interface ClientHelloFrame {
  kind: 'clientHello';
  client: string;
}

/**
 * `<C1, active, S1;S2;S3, ready>` / `<C1, passive, S2, ready>` / `<C1, MODE, , wait>`.
 * `servers` is empty exactly when the wire type is `wait`.
 */
export interface ClientViewFrame {
  kind: 'clientView';
  client: string;
  mode: Mode;
  servers: string[];
}

/**
 * `<LFD1, S1, 8, heartbeat>`, answered `<S1, LFD1, 8, heartbeat>` (and GFD ↔ LFD alike). A GFD's
 * heartbeat to an LFD also names the last of its heartbeats the LFD answered on this link, once
 * there is one: `<GFD, LFD1, 8, 7, heartbeat>` (docs/partitions.md: the LFD's lease follows it).
 */
export interface HeartbeatFrame {
  kind: 'heartbeat';
  from: string;
  to: string;
  count: number;
  answered?: number;
}

/** `<LFD1, S1, add, membership>` (LFD → GFD) and `<GFD, S1, add, membership>` (GFD → RM). */
export interface MembershipFrame {
  kind: 'membership';
  from: string;
  server: string;
  change: 'add' | 'delete';
}

/** `<GFD, S1;S2, 9, members>`: the whole set and the highest epoch passed down. */
export interface MembersFrame {
  kind: 'members';
  from: string;
  servers: string[];
  epoch: number;
}

/**
 * `<S1, passive, primary, 4, S2;S3, ready>`: the RM's assignment, passed down by name.
 * `<S1, passive, primary, 4, S2;S3, serving, ready>` (beyond SPEC, docs/protocol.md): the RM counts
 * S1 as serving already, so only a process that serves may take it; a booting or recovering one
 * (relaunched, or its lease ran out) drops it as meant for another.
 */
export interface ReadyFrame {
  kind: 'ready';
  server: string;
  mode: Mode;
  role: ReplicaRole;
  epoch: number;
  peers: string[];
  /** Set (true) when the RM counts the server as serving already. */
  serving?: boolean;
}

/** `<S1, S2, send_checkpoint>`: S1, send your state to S2 now. */
export interface SendCheckpointFrame {
  kind: 'sendCheckpoint';
  server: string;
  to: string;
}

/** `<S1, launch>`: LFD of S1, start S1. */
export interface LaunchFrame {
  kind: 'launch';
  server: string;
}

/** `<S2, 4, serving>`: S2 serves in epoch 4. */
export interface ServingFrame {
  kind: 'serving';
  server: string;
  epoch: number;
}

/**
 * `<ops, S1, drain>` (a tool → the RM) and `<RM, S1, drain>` (RM → GFD → LFD → server): S1, hand
 * your role over and stop (docs/operations.md, "Graceful hand-over").
 */
export interface DrainFrame {
  kind: 'drain';
  from: string;
  server: string;
}

/**
 * `<S1, 4, S2;S3, leaving>` (server → LFD → GFD → RM): S1, draining in epoch 4, takes no more
 * requests; the peers named hold everything it answered (a passive primary's final checkpoint).
 */
export interface LeavingFrame {
  kind: 'leaving';
  server: string;
  epoch: number;
  handedTo: string[];
}

/** `<S1, released>` (RM → GFD → LFD → server): S1 left the membership and a primary serves: S1 may stop. */
export interface ReleasedFrame {
  kind: 'released';
  server: string;
}

/**
 * `<S1, S2, 8, STATE, CLIENTS, 31, 4, checkpoint>`: checkpoint 8 of S1's state after the 31st
 * request of the replicated history (its position, docs/protocol.md). The seed's form without the
 * position (`<S1, S2, 8, STATE, CLIENTS, 4, checkpoint>`) is still read, without `applied`.
 */
export interface CheckpointFrame {
  kind: 'checkpoint';
  from: string;
  to: string;
  number: number;
  state: StateText;
  clients: ClientEntry[];
  applied?: number;
  epoch: number;
}

/**
 * `<S1, S2, 12, 3, TEXT, state_part>`: part 3 (counted from 0) of the state text of transfer 12. A
 * state too large for one frame travels as parts, then a `state_end`, then its checkpoint or
 * recovery frame with an empty STATE (docs/protocol.md, "A state in parts"). The receiving session
 * joins them; the machines see only the whole checkpoint or recovery.
 */
export interface StatePartFrame {
  kind: 'statePart';
  from: string;
  to: string;
  transfer: number;
  index: number;
  text: string;
}

/**
 * `<S1, S2, 12, 50, 209715200, 3A9F01C2, state_end>`: transfer 12 was 50 parts, 209715200 bytes of
 * UTF-8 with this CRC-32C (hex); the checkpoint or recovery frame right after it takes that text.
 */
export interface StateEndFrame {
  kind: 'stateEnd';
  from: string;
  to: string;
  transfer: number;
  parts: number;
  bytes: number;
  crc: number;
}

/** `<S1, S2, 31, C1, 8, hello_world8, 4, update>` */
export interface UpdateFrame {
  kind: 'update';
  from: string;
  to: string;
  seq: number;
  client: string;
  num: number;
  body: string;
  epoch: number;
}

/**
 * `<S2, S1, 31, 4, ack>`. Passive: update 31 applied or skipped. Active: S2 holds the order of its
 * sequencer S1 up to position 31 in epoch 4 (cumulative).
 */
export interface AckFrame {
  kind: 'ack';
  from: string;
  to: string;
  seq: number;
  epoch: number;
}

/** `<S1, S2, STATE, CLIENTS, 31, 4, recovery>`: S1's state after its 31st applied request. */
export interface RecoveryFrame {
  kind: 'recovery';
  from: string;
  to: string;
  state: StateText;
  clients: ClientEntry[];
  applied: number;
  epoch: number;
}

/** `<S1, S2, C1, 9, hello_world9, 4, forward>` */
export interface ForwardFrame {
  kind: 'forward';
  from: string;
  to: string;
  client: string;
  num: number;
  body: string;
  epoch: number;
}

/**
 * `<S1, S2, 32, C1, 9, hello_world9, 4, order>`: active mode, the sequencer S1 of epoch 4 tells S2
 * that position 32 of the total order is C1's request 9 (docs/protocol.md, docs/ordering.md).
 */
export interface OrderFrame {
  kind: 'order';
  from: string;
  to: string;
  position: number;
  client: string;
  num: number;
  body: string;
  epoch: number;
}

/**
 * `<S1, S2, 31, 4, commit>`: active mode, every replica of the sequencer's current `ready` holds
 * positions up to 31: apply them. Also the sequencer's probe: it is answered with an `ack`.
 */
export interface CommitFrame {
  kind: 'commit';
  from: string;
  to: string;
  position: number;
  epoch: number;
}

export type Frame =
  | HelloFrame
  | ChallengeFrame
  | ProveFrame
  | ProvedFrame
  | RequestFrame
  | ReplyFrame
  | FailedFrame
  | ErrorFrame
  | StatusQueryFrame
  | ServerStatusFrame
  | RmStatusFrame
  | RmStandbyFrame
  | RedirectFrame
  | ClientHelloFrame
  | ClientViewFrame
  | DirectoryQueryFrame
  | DirectoryFrame
  | HeartbeatFrame
  | MembershipFrame
  | MembersFrame
  | ReadyFrame
  | SendCheckpointFrame
  | LaunchFrame
  | ServingFrame
  | DrainFrame
  | LeavingFrame
  | ReleasedFrame
  | CheckpointFrame
  | UpdateFrame
  | AckFrame
  | RecoveryFrame
  | ForwardFrame
  | OrderFrame
  | CommitFrame
  | StatePartFrame
  | StateEndFrame;

export type FrameKind = Frame['kind'];
export type FrameOf<K extends FrameKind> = Extract<Frame, { kind: K }>;

/** Frames that carry an epoch between servers (SPEC §6 Epochs). */
export type PeerFrame = CheckpointFrame | UpdateFrame | AckFrame | RecoveryFrame | ForwardFrame | OrderFrame | CommitFrame;

const PEER_KINDS: ReadonlySet<FrameKind> = new Set(['checkpoint', 'update', 'ack', 'recovery', 'forward', 'order', 'commit']);

export const isPeerFrame = (f: Frame): f is PeerFrame => PEER_KINDS.has(f.kind);

/** The frames a state too large for one frame travels in, ahead of its checkpoint or recovery. */
export const isStatePiece = (f: Frame): f is StatePartFrame | StateEndFrame => f.kind === 'statePart' || f.kind === 'stateEnd';
