/**
 * The leadership actor (`coordinator = etcd`, docs/coordination.md): one candidate of a role in
 * etcd, or only an observer of who leads it, as events for the machine that invokes it. The machine
 * asks for an epoch with `lead.grant` before it hands the epoch out; the counter in etcd is raised
 * only while this candidate leads, so a successor always starts above every epoch granted here.
 * Machines get a do-nothing actor by default (`coordinator = none`, the simulator); the role's
 * command provides the one in `etcd-leadership.ts`, which alone loads etcd's client.
 */
import { fromCallback } from 'xstate';
import type { EtcdSettings } from '../config/types.js';
import { print, type Effect } from './effects.js';

export interface LeadershipInput {
  /** Null (`coordinator = none`): the actor does nothing. */
  etcd: EtcdSettings | null;
  /** The election: `rm` or `gfd`. */
  role: string;
  /** The candidate's name; null: only observe who leads. */
  name: string | null;
}

export type LeadEvent =
  | { type: 'lead.leader'; role: string; name: string | null }
  /** Elected; `floor` is the epoch counter as this leader found it: every epoch it uses is above. */
  | { type: 'lead.elected'; role: string; floor: number }
  | { type: 'lead.deposed'; role: string; reason: string }
  /** The counter is at least `epoch` now, raised while leading: frames of that epoch may go out. */
  | { type: 'lead.granted'; role: string; epoch: number }
  | { type: 'lead.trouble'; role: string; reason: string }
  | { type: 'lead.back'; role: string };

export type LeadCommand = { type: 'lead.grant'; epoch: number };

/** The placeholder machines carry: no election, nothing ever sent. */
export const noLeadership = fromCallback<LeadCommand, LeadershipInput>(() => undefined);

/** A guard: the event comes from the election of `role` (a machine may stand in one and observe another). */
export const ofElection = (role: string) => ({ event }: { event: object }): boolean => 'role' in event && event.role === role;

/**
 * What a standby says when its election names a leader (`RM2: standby, leader is RM1`): nothing
 * when the leader is the one it knew, or itself (its own name comes just before its election's
 * own event, and `leading` says so).
 */
export function standbyLines(self: string, known: string | null, leader: string | null): Effect[] {
  return leader === known || leader === self ? [] : [print({ event: 'leadership', name: self, state: 'standby', leader })];
}
