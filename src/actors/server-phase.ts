/**
 * A server's phase from its machine's snapshot, without loading the machine: `/readyz` and the
 * inspector's summary read it in every role.
 */
import type { Phase } from '../protocol/frames.js';

/** From the role region's value (`booting`, `recovering` or `{ ready: … }`) and the lease's say. */
export function phaseOf(snapshot: { value: unknown; context: { suspended: boolean } }): Phase {
  const role = (snapshot.value as { role?: unknown } | null)?.role;
  if (role === 'booting' || role === 'recovering') return role;
  return snapshot.context.suspended ? 'suspended' : 'ready';
}

/** Handing its role over (docs/operations.md): `draining`, or `leaving` while it serves on, until it stops. */
export function isDraining(snapshot: { value: unknown; context: { leaving?: boolean } }): boolean {
  const role = (snapshot.value as { role?: unknown } | null)?.role;
  return snapshot.context.leaving === true || (typeof role === 'object' && role !== null && 'draining' in role);
}
