/** The leadership actor over etcd (`leadership.ts` says what it does for its machine). */
import { Etcd3 } from 'etcd3';
import { fromCallback } from 'xstate';
import { Leadership, raiseEpoch, type LeadershipEvent } from '../coordination/leadership.js';
import type { LeadCommand, LeadEvent, LeadershipInput } from './leadership.js';

/** The key of a role's epoch counter, under the prefix. */
const epochKey = (role: string) => `${role}/epoch`;

/** Between attempts while etcd does not answer. */
const RETRY_MS = 200;

export const etcdLeadership = fromCallback<LeadCommand, LeadershipInput>(({ input, sendBack, receive }) => {
  const { etcd, role, name } = input;
  if (etcd === null) return;
  const client = new Etcd3({ hosts: etcd.endpoints });
  let stopped = false;
  const send = (e: LeadEvent) => {
    if (!stopped) sendBack(e);
  };
  // Failed calls and failed keep-alives both say etcd is in trouble: said once, until it answers.
  let troubled = false;
  const trouble = (reason: string) => {
    if (!troubled) send({ type: 'lead.trouble', role, reason });
    troubled = true;
  };
  const back = () => {
    if (troubled) send({ type: 'lead.back', role });
    troubled = false;
  };
  /** Retries `attempt` while etcd fails (not when it answers "not leading"). */
  async function persist<T>(attempt: () => Promise<T>): Promise<T | null> {
    while (!stopped) {
      try {
        const result = await attempt();
        back();
        return result;
      } catch (err) {
        trouble((err as Error).message);
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
    return null;
  }

  const onEvent = (e: LeadershipEvent) => {
    if (e.type === 'leader') send({ type: 'lead.leader', role, name: e.name });
    else if (e.type === 'deposed') send({ type: 'lead.deposed', role, reason: e.reason });
    else if (e.type === 'trouble') trouble(e.reason);
    else if (e.type === 'back') back();
    else if (e.type === 'elected') {
      void persist(() => leadership.read(epochKey(role))).then((seen) => {
        if (seen !== null && leadership.leading) send({ type: 'lead.elected', role, floor: Number(seen.value ?? 0) });
      });
    }
  };
  const leadership = new Leadership(client, etcd.prefix, role, name ?? '', etcd.leaseTtlS, onEvent);
  if (name === null) void persist(() => leadership.observeOnly());
  else void persist(() => leadership.start());

  // Grants one at a time, in order: each asks for the highest epoch wanted so far.
  let wanted = 0;
  let granting = false;
  async function grant(): Promise<void> {
    granting = true;
    while (!stopped && wanted > 0) {
      const epoch = wanted;
      const value = await persist(() => raiseEpoch(leadership, epochKey(role), epoch));
      if (value === null) break; // not leading: `deposed` follows from the leadership itself
      send({ type: 'lead.granted', role, epoch: value });
      if (wanted === epoch) wanted = 0;
    }
    granting = false;
  }
  receive((command) => {
    wanted = Math.max(wanted, command.epoch);
    if (!granting) void grant();
  });

  return () => {
    stopped = true;
    void leadership.stop().finally(() => client.close());
  };
});
