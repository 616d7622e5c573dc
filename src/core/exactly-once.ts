/**
 * SPEC §6 Exactly once: every replica keeps each client's last request number and its answer (in
 * checkpoints, updates and recovery too), and judges every request against that table here, in
 * one place, whichever path brought it (a client, a forward, an update, the order).
 */
import type { ClientRecord, ClientTable } from './client-table.js';
import { plant } from './switches.js';

/** What a client is answered: a reply, or (`failed`) the message of what `apply` threw. */
export type Result = Omit<ClientRecord, 'num'>;

/** An `apply` outcome as the client table keeps it (`failed` only when it is). */
export function resultOf(outcome: { reply: string; failed: boolean }): Result {
  return outcome.failed ? { reply: outcome.reply, failed: true } : { reply: outcome.reply };
}

/**
 * `new`: never applied (apply it); `repeat`: the client's last number (answer it from the table,
 * never apply it again); `older`: below the client's last (refuse it with `C1 last N`).
 */
export type Seen = { kind: 'new' } | { kind: 'repeat'; record: ClientRecord } | { kind: 'older'; last: number };

export function seen(clients: ClientTable, client: string, num: number): Seen {
  const last = clients.get(client);
  if (!last || num > last.num || (plant.noDuplicateCheck && num === last.num)) return { kind: 'new' };
  return num === last.num ? { kind: 'repeat', record: last } : { kind: 'older', last: last.num };
}
