/**
 * The GFD's view of one LFD, spawned at its first hello (one per LFD). `alive`: heartbeated over
 * the link of its latest hello, and the servers it reports there count. `departed`: it went silent
 * or its link closed; its servers stay members until their leases have surely run out
 * (`heartbeat_timeout`, SPEC §6 Fencing), and a hello brings it back to `alive`. `expired`: the
 * leases ran out while it was away; its servers are deleted.
 *
 * It touches no link and prints nothing: it tells the GFD what to send and what changed, and the GFD,
 * which keeps the whole membership, carries it out.
 */
import { assertEvent, assign, enqueueActions, sendParent, setup } from 'xstate';
import type { ReplyTo } from '../core/effects.js';
import type { MembershipFrame } from '../protocol/frames.js';
import type { TransportEvent } from '../transport/types.js';
import { heartbeatMonitor, type MonitorReport } from './monitor.js';

export interface WatchedLfdInput {
  lfd: string;
  /** The listener connection of its latest hello. */
  link: ReplyTo;
  freqMs: number;
  timeoutMs: number;
}

export interface WatchedLfdContext extends WatchedLfdInput {
  /** The servers it reports on its current link. */
  servers: string[];
  /**
   * The servers it reported before it departed: members until the lease of its latest departure
   * runs out, even once it is back, unless it reports them again.
   */
  held: string[];
  /** The last heartbeat the LFD answered on its current link (its lease counts from that answer). */
  answered: number | null;
}

/** What the GFD passes on from the LFD's link. */
type LinkEvent = Extract<TransportEvent, { type: 'frame.hello' | 'frame.heartbeat' | 'frame.membership' | 'link.down' }>;

export type WatchedLfdEvent = LinkEvent | MonitorReport | { type: 'lease.over' };

/** What it tells the GFD. */
export type WatchedLfdReport =
  /** Heartbeat `count` is due on the LFD's link; the LFD answered heartbeat `answered` there last. */
  | { type: 'lfd.heartbeat'; lfd: string; link: ReplyTo; count: number; answered: number | null }
  /** It departed for silence: the GFD closes its link. */
  | { type: 'lfd.silent'; lfd: string; link: ReplyTo }
  /** It departed because its link closed. */
  | { type: 'lfd.lost'; lfd: string }
  /** It reported a server (its own servers are updated already). */
  | { type: 'lfd.reported'; lfd: string; server: string; change: MembershipFrame['change'] }
  /** The lease of its departure ran out after it came back: the servers it did not report again are gone. */
  | { type: 'lfd.released'; lfd: string }
  /** The lease ran out while it was away: all its servers are gone, and so is this machine. */
  | { type: 'lfd.expired'; lfd: string };

const LEASE = 'lease';

export const watchedLfdMachine = setup({
  types: {
    input: {} as WatchedLfdInput,
    context: {} as WatchedLfdContext,
    events: {} as WatchedLfdEvent,
  },
  actors: { monitor: heartbeatMonitor },
  delays: {
    leaseTime: ({ context }) => context.timeoutMs,
  },
  actions: {
    /** A new link: its heartbeats count from 1 again. */
    assignLink: assign(({ event }) => {
      assertEvent(event, 'frame.hello');
      return { link: { via: event.origin.via, link: event.origin.link }, answered: null };
    }),
    askHeartbeat: sendParent(({ context, event }): WatchedLfdReport => {
      assertEvent(event, 'monitor.beat');
      return { type: 'lfd.heartbeat', lfd: context.lfd, link: context.link, count: event.count, answered: context.answered };
    }),
    forwardAnswer: enqueueActions(({ enqueue, event }) => {
      assertEvent(event, 'frame.heartbeat');
      enqueue.assign({ answered: event.frame.count });
      enqueue.sendTo('monitor', { type: 'answer' });
    }),
    assignReport: assign(({ context, event }) => {
      assertEvent(event, 'frame.membership');
      const { server, change } = event.frame;
      return {
        servers: change === 'add' ? [...new Set([...context.servers, server])] : context.servers.filter((s) => s !== server),
        // Reported again: it counts by this report, no longer by the one before the departure.
        held: context.held.filter((s) => s !== server),
      };
    }),
    tellReported: sendParent(({ context, event }): WatchedLfdReport => {
      assertEvent(event, 'frame.membership');
      return { type: 'lfd.reported', lfd: context.lfd, server: event.frame.server, change: event.frame.change };
    }),
    tellSilent: sendParent(({ context }): WatchedLfdReport => ({ type: 'lfd.silent', lfd: context.lfd, link: context.link })),
    tellLost: sendParent(({ context }): WatchedLfdReport => ({ type: 'lfd.lost', lfd: context.lfd })),
    assignHeld: assign(({ context }) => ({ held: [...new Set([...context.held, ...context.servers])], servers: [] })),
    /** Counted from the latest departure: one that comes back and departs again is given a whole lease. */
    startLease: enqueueActions(({ enqueue }) => {
      enqueue.cancel(LEASE);
      enqueue.raise({ type: 'lease.over' }, { delay: 'leaseTime', id: LEASE });
    }),
    assignNoneHeld: assign({ held: [] }),
    tellReleased: sendParent(({ context }): WatchedLfdReport => ({ type: 'lfd.released', lfd: context.lfd })),
    tellExpired: sendParent(({ context }): WatchedLfdReport => ({ type: 'lfd.expired', lfd: context.lfd })),
  },
  guards: {
    hasHeld: ({ context }) => context.held.length > 0,
  },
}).createMachine({
  id: 'watchedLfd',
  context: ({ input }) => ({ ...input, servers: [], held: [], answered: null }),
  initial: 'alive',
  states: {
    alive: {
      invoke: {
        src: 'monitor',
        id: 'monitor',
        input: ({ context }) => ({ key: context.lfd, freqMs: context.freqMs, timeoutMs: context.timeoutMs }),
      },
      on: {
        // A new link of the same LFD (restarted before the old link was seen closed): watched
        // afresh on it, its servers kept.
        'frame.hello': { target: 'alive', reenter: true, actions: 'assignLink' },
        'monitor.beat': { actions: 'askHeartbeat' },
        'frame.heartbeat': { actions: 'forwardAnswer' },
        'frame.membership': { actions: ['assignReport', 'tellReported'] },
        'lease.over': { guard: 'hasHeld', actions: ['assignNoneHeld', 'tellReleased'] },
        'monitor.silent': { target: 'departed', actions: 'tellSilent' },
        'link.down': { target: 'departed', actions: 'tellLost' },
      },
    },
    departed: {
      entry: ['assignHeld', 'startLease'],
      on: {
        'frame.hello': { target: 'alive', actions: 'assignLink' },
        'lease.over': { target: 'expired' },
      },
    },
    expired: {
      type: 'final',
      entry: ['assignNoneHeld', 'tellExpired'],
    },
  },
});
