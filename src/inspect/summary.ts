/**
 * A role's summary for the page's cluster view, read from its root machine's snapshot with the same
 * functions that build its `status` frame, so that the page and `status` never disagree.
 */
import type { GfdContext } from '../actors/gfd.js';
import { statusFrame } from '../core/replication.js';
import type { RmContext } from '../actors/rm.js';
import { phaseOf } from '../actors/server-phase.js';
import type { ServerContext } from '../actors/server.js';
import type { Summary } from './records.js';

export function summarize(machineId: string, value: unknown, context: unknown): Summary | null {
  try {
    if (machineId === 'server') {
      const c = context as ServerContext;
      return { kind: 'server', mode: c.mode, role: c.role, phase: phaseOf({ value, context: c }), epoch: c.epoch, checkpoint: c.checkpoint, state: c.app.show(c.state) };
    }
    if (machineId === 'rm') {
      const c = context as RmContext;
      const f = statusFrame(c.membership, c.config.servers.map((s) => s.name), c.name);
      const members = f.members.map((m) => ({ server: m.server, phase: m.phase }));
      return { kind: 'rm', mode: f.mode, primary: f.primary, epoch: f.epoch, members, standby: value === 'standby', leader: c.leader };
    }
    if (machineId === 'gfd') {
      const c = context as GfdContext;
      const standby = (value as { office?: unknown }).office === 'standby';
      return { kind: 'gfd', members: c.members, standby, leader: c.config.etcd === null ? null : c.leader };
    }
  } catch {
    // A context of another shape (a newer machine): no summary rather than a crash of the role.
  }
  return null;
}
