/**
 * What travels from a role to the inspector's hub (one JSON object a line) and from the hub to the
 * page (Server-Sent Events, an array of records each). Everything is plain data: state values,
 * summaries and short texts, never a machine's context as such (it holds functions and sockets).
 */
import type { StateTree } from './graph.js';

/** What the page's cluster view shows of a role, taken from its root machine's context. */
export type Summary =
  | { kind: 'server'; mode: string | null; role: string | null; phase: string; epoch: number; checkpoint: number; state: string }
  /** `standby`: with `coordinator = etcd`, an RM that does not lead (`leader`: who does, if known). */
  | { kind: 'rm'; mode: string; primary: string | null; epoch: number; members: { server: string; phase: string }[]; standby: boolean; leader: string | null }
  /** `standby`: with `coordinator = etcd`, a GFD that does not lead the GFDs (`leader`: who does, if known; null without a coordinator). */
  | { kind: 'gfd'; members: string[]; standby: boolean; leader: string | null };

export type InspectRecord =
  /** A process (re)appeared: everything the page knew of an earlier process of that name is dropped. */
  | { t: 'hello'; process: string; role: string; pid: number }
  /** A process's stream ended: it died or stopped. */
  | { t: 'down'; process: string; pid: number }
  /** A machine's definition, once per machine per process. */
  | { t: 'machine'; process: string; machine: string; tree: StateTree; svg: string }
  /** An actor started; `machine` is set for state machines (the ones drawn). */
  | { t: 'actor'; process: string; actor: string; name: string; parent: string | null; machine: string | null }
  | { t: 'actorGone'; process: string; actor: string }
  /** A machine actor's latest state value; the root's comes with its summary. */
  | { t: 'snapshot'; process: string; actor: string; value: unknown; status: string; summary: Summary | null }
  /** An event delivered to an actor; `beat` marks the periodic heartbeat traffic the page folds. */
  | { t: 'event'; process: string; at: number; source: string | null; target: string; type: string; detail: string; beat: boolean }
  /** Hub → page: forget everything, a full state follows. */
  | { t: 'reset' };
