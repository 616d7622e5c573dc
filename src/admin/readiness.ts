/**
 * `/readyz` of each role, from its machine's snapshot: may an orchestrator count on it now? One
 * line says why or why not.
 */
import type { AnyMachineSnapshot } from 'xstate';
import type { GfdContext } from '../actors/gfd.js';
import type { RmContext } from '../actors/rm.js';
import { isDraining, phaseOf } from '../actors/server-phase.js';

export interface Readiness {
  ready: boolean;
  reason: string;
}

type Judge = (snapshot: AnyMachineSnapshot) => Readiness;

/** A server: serving (ready, and within its lease). */
const server: Judge = (snapshot) => {
  if (isDraining(snapshot)) return { ready: false, reason: 'draining: hands its role over, then stops' };
  const phase = phaseOf(snapshot as never);
  const { role, epoch, mode } = snapshot.context as { role: string | null; epoch: number; mode: string | null };
  return phase === 'ready' ? { ready: true, reason: `ready, ${mode} ${role}, epoch ${epoch}` } : { ready: false, reason: phase };
};

/** The RM: leading (with etcd), and a primary or sequencer named for a membership that is not empty. */
const rm: Judge = (snapshot) => {
  const c = snapshot.context as RmContext;
  if (c.config.etcd !== null && c.leader !== c.name) return { ready: false, reason: `standby, leader is ${c.leader ?? 'unknown'}` };
  const members = Object.keys(c.membership.members).length;
  if (members === 0) return { ready: false, reason: 'no members' };
  if (c.membership.primary === null) return { ready: false, reason: `${members} members, no primary` };
  return { ready: true, reason: `${c.membership.mode} primary ${c.membership.primary}, epoch ${c.membership.epoch}, ${members} members` };
};

/** An LFD: its server answers, and the GFD was told (the LFD asks its server only once a GFD heard it). */
const lfd: Judge = (snapshot) => {
  const c = snapshot.context as { server: { name: string }; added: boolean; pid: number | null };
  if (!c.added) return { ready: false, reason: `${c.server.name} not reported added (no answer, or no GFD)` };
  return { ready: true, reason: `${c.server.name} answers (pid ${c.pid ?? 'unknown'})` };
};

/** The GFD: past its grace period (it reports to the RM only then). */
const gfd: Judge = (snapshot) => {
  const c = snapshot.context as GfdContext;
  if (!snapshot.matches({ grace: 'over' })) return { ready: false, reason: 'in its grace period' };
  return { ready: true, reason: `past its grace period, ${c.name}` };
};

/** A client: running is all it needs. */
const client: Judge = () => ({ ready: true, reason: 'running' });

export const READINESS: Record<string, Judge> = { server, rm, lfd, gfd, client };
