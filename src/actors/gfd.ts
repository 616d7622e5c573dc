/**
 * Global fault detector: heartbeats every LFD over the LFD's own link, keeps the membership (which
 * servers each LFD reports alive), tells the RM of every change and the whole set on every
 * (re)connect, and passes the RM's commands down to the LFD of the server they name.
 */
import { and, assertEvent, enqueueActions, setup, stateIn, type AnyActorRef } from 'xstate';
import type { ClusterConfig } from '../config/types.js';
import type { Print } from '../log/events.js';
import type { Frame, MembershipFrame } from '../protocol/frames.js';
import type { TransportEvent } from '../transport/types.js';
import { print, runEffects, sendOn, transportSlots, type Effect, refusedLine } from './effects.js';
import { linkTo, listenOn } from './wiring.js';
import { heartbeatMonitor, type MonitorReport } from './monitor.js';

export const GFD_NAME = 'GFD';

export interface GfdInput {
  config: ClusterConfig;
  print: Print;
}

interface LfdLink {
  /** The listener connection of this LFD's latest hello. */
  link: string;
  servers: string[];
}

export interface GfdContext {
  config: ClusterConfig;
  print: Print;
  lfds: Record<string, LfdLink>;
  /** The highest epoch passed down, for `members` after a restart of the RM. */
  epoch: number;
  /**
   * Servers of failed LFDs: still members until their leases have surely run out
   * (`heartbeat_timeout` later, SPEC §6 Fencing), unless their LFD comes back and reports them.
   */
  departed: Record<string, string[]>;
  /** `launch` commands for servers whose LFD had no link when they came: sent at its next hello. */
  launches: string[];
}

type GfdEvent = TransportEvent | MonitorReport | { type: 'lfd.expired'; lfd: string };

const LISTENER = 'lfds';
const RM_LINK = 'rm';
const monitorId = (lfd: string) => `monitor:${lfd}`;
const expiryId = (lfd: string) => `expire:${lfd}`;

export function members(ctx: GfdContext): string[] {
  const live = Object.values(ctx.lfds).flatMap((l) => l.servers);
  return [...new Set([...live, ...Object.values(ctx.departed).flat()])].sort();
}

/** A change for the RM, once past the grace period (state `grace.over`): before it, changes are folded into the first `members`. */
function toRm(self: AnyActorRef, server: string, change: MembershipFrame['change']): Effect[] {
  const graceOver = self.getSnapshot().matches({ grace: 'over' });
  return graceOver ? [sendOn(RM_LINK, { kind: 'membership', from: GFD_NAME, server, change })] : [];
}

function printMembers(ctx: GfdContext): Effect {
  return print({ event: 'members', name: 'GFD', members: members(ctx) });
}

/** The LFD that watches a server, by the configuration. */
function lfdOf(ctx: GfdContext, server: string): string | undefined {
  return ctx.config.lfds.find((l) => l.server === server)?.name;
}

/** Which LFD a listener connection belongs to (only its latest connection counts). */
function lfdOnLink(ctx: GfdContext, link: string): string | undefined {
  return Object.keys(ctx.lfds).find((name) => ctx.lfds[name]!.link === link);
}

/** An LFD died, went silent or its link closed: its servers depart, and are deleted later. */
function departLfd(ctx: GfdContext, lfd: string): Partial<GfdContext> {
  const gone = ctx.lfds[lfd];
  if (!gone) return {};
  const { [lfd]: _, ...lfds } = ctx.lfds;
  const departed = { ...ctx.departed, [lfd]: [...new Set([...(ctx.departed[lfd] ?? []), ...gone.servers])] };
  return { lfds, departed };
}

export const gfdMachine = setup({
  types: {
    input: {} as GfdInput,
    context: {} as GfdContext,
    events: {} as GfdEvent,
  },
  actors: { ...transportSlots, monitor: heartbeatMonitor },
  delays: {
    leaseTime: ({ context }) => context.config.cluster.heartbeatTimeoutMs,
  },
  actions: {
    logRefused: enqueueActions(({ enqueue, self, context, event }) => {
      if (event.type === 'link.refused') runEffects(enqueue, self, context.print, [refusedLine(GFD_NAME, event)]);
    }),
    printMembers: enqueueActions(({ enqueue, self, context }) =>
      runEffects(enqueue, self, context.print, [printMembers(context)]),
    ),
    /** A hello from an LFD: it replaces an older link of the same LFD (a restarted LFD keeps its servers). */
    greet: enqueueActions(({ enqueue, context, event }) => {
      if (event.type !== 'frame.hello' || event.origin.via !== LISTENER || !event.origin.peer) return;
      const lfd = event.origin.peer.name;
      const servers = context.lfds[lfd]?.servers ?? [];
      const id = monitorId(lfd);
      if (context.lfds[lfd]) enqueue.stopChild(id);
      const owed = context.launches.filter((s) => lfdOf(context, s) === lfd);
      enqueue.assign({
        lfds: { ...context.lfds, [lfd]: { link: event.origin.link, servers } },
        launches: context.launches.filter((s) => !owed.includes(s)),
      });
      for (const server of owed) {
        enqueue.sendTo(LISTENER, { type: 'send', link: event.origin.link, frame: { kind: 'launch', server } });
      }
      enqueue.spawnChild('monitor', {
        id,
        input: { key: lfd, freqMs: context.config.cluster.heartbeatFreqMs, timeoutMs: context.config.cluster.heartbeatTimeoutMs },
      });
    }),
    heartbeatLfd: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'monitor.beat');
      const lfd = context.lfds[event.key];
      if (!lfd) return;
      const frame: Frame = { kind: 'heartbeat', from: GFD_NAME, to: event.key, count: event.count };
      runEffects(enqueue, self, context.print, [{ kind: 'send', via: LISTENER, link: lfd.link, frame }]);
    }),
    takeAnswer: enqueueActions(({ enqueue, context, event, self }) => {
      assertEvent(event, 'frame.heartbeat');
      const lfd = lfdOnLink(context, event.origin.link);
      const monitor = lfd && monitorId(lfd);
      if (monitor && monitor in self.getSnapshot().children) enqueue.sendTo(monitor, { type: 'answer' });
    }),
    failSilentLfd: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'monitor.silent');
      const lfd = context.lfds[event.key];
      if (!lfd) return;
      enqueue.assign(departLfd(context, event.key));
      enqueue.stopChild(monitorId(event.key));
      enqueue.cancel(expiryId(event.key));
      enqueue.raise({ type: 'lfd.expired', lfd: event.key }, { delay: 'leaseTime', id: expiryId(event.key) });
      runEffects(enqueue, self, context.print, [
        print({ event: 'note', name: GFD_NAME, level: 'warn', text: `${event.key} failed (no heartbeat answer)` }),
        { kind: 'close', via: LISTENER, link: lfd.link },
      ]);
    }),
    failClosedLfd: enqueueActions(({ enqueue, self, context, event }) => {
      if (event.type !== 'link.down' || event.origin.via !== LISTENER) return;
      const lfd = lfdOnLink(context, event.origin.link);
      if (!lfd) return;
      enqueue.assign(departLfd(context, lfd));
      enqueue.stopChild(monitorId(lfd));
      enqueue.cancel(expiryId(lfd));
      enqueue.raise({ type: 'lfd.expired', lfd }, { delay: 'leaseTime', id: expiryId(lfd) });
      runEffects(enqueue, self, context.print, [
        print({ event: 'note', name: GFD_NAME, level: 'warn', text: `${lfd} failed (connection lost)` }),
      ]);
    }),
    /** The departed servers' leases have run out: whatever was not reported again is deleted. */
    expire: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'lfd.expired');
      const gone = context.departed[event.lfd] ?? [];
      const { [event.lfd]: _, ...departed } = context.departed;
      const next = { ...context, departed };
      const deleted = gone.filter((s) => !members(next).includes(s));
      enqueue.assign({ departed });
      if (deleted.length === 0) return;
      runEffects(enqueue, self, context.print, [printMembers(next), ...deleted.flatMap((s) => toRm(self, s, 'delete'))]);
    }),
    changeMembership: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.membership');
      const lfd = lfdOnLink(context, event.origin.link);
      if (!lfd) return;
      const { server, change } = event.frame;
      const before = members(context);
      const current = context.lfds[lfd]!.servers;
      const servers = change === 'add' ? [...new Set([...current, server])] : current.filter((s) => s !== server);
      // A server its LFD reports again is no longer departed.
      const departed = Object.fromEntries(
        Object.entries(context.departed).map(([l, list]) => [l, list.filter((s) => s !== server)]),
      );
      const next = { ...context, departed, lfds: { ...context.lfds, [lfd]: { ...context.lfds[lfd]!, servers } } };
      enqueue.assign({ lfds: next.lfds, departed });
      const changed = before.includes(server) !== members(next).includes(server);
      if (changed) {
        runEffects(enqueue, self, context.print, [printMembers(next), ...toRm(self, server, change)]);
      } else if (change === 'add') {
        // A re-report (an LFD or its link came back): the RM checks whether it is a new process.
        runEffects(enqueue, self, context.print, toRm(self, server, change));
      }
    }),
    passUp: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.serving');
      runEffects(enqueue, self, context.print, [sendOn(RM_LINK, event.frame)]);
    }),
    passDown: enqueueActions(({ enqueue, self, context, event }) => {
      if (event.type !== 'frame.ready' && event.type !== 'frame.sendCheckpoint' && event.type !== 'frame.launch') return;
      const frame = event.frame;
      if (frame.kind === 'ready' && frame.epoch > context.epoch) enqueue.assign({ epoch: frame.epoch });
      const lfd = lfdOf(context, frame.server);
      const link = lfd && context.lfds[lfd]?.link;
      if (link) runEffects(enqueue, self, context.print, [{ kind: 'send', via: LISTENER, link, frame }]);
      // A `launch` is sent once per failure: one for an LFD that is away waits for its return.
      else if (frame.kind === 'launch' && !context.launches.includes(frame.server)) {
        enqueue.assign({ launches: [...context.launches, frame.server] });
      }
    }),
    /** The whole set, on every (re)connect to the RM once the grace period is over (SPEC §6 Restarts). */
    sendMembers: enqueueActions(({ enqueue, self, context }) =>
      runEffects(enqueue, self, context.print, [
        sendOn(RM_LINK, { kind: 'members', from: GFD_NAME, servers: members(context), epoch: context.epoch }),
      ]),
    ),
  },
  guards: {
    isFromRm: ({ event }) => 'origin' in event && event.origin.via === RM_LINK,
    isFromLfds: ({ event }) => 'origin' in event && event.origin.via === LISTENER,
    isRmUp: stateIn({ rm: 'up' }),
    isGraceOver: stateIn({ grace: 'over' }),
    isFromRmAfterGrace: and(['isFromRm', 'isGraceOver']),
  },
}).createMachine({
  id: 'gfd',
  context: ({ input }) => ({
    config: input.config,
    print: input.print,
    lfds: {},
    epoch: 0,
    departed: {},
    launches: [],
  }),
  entry: 'printMembers',
  invoke: [
    {
      src: 'listener',
      id: LISTENER,
      input: ({ context }) => listenOn(
        LISTENER,
        context.config.gfd,
        'gfd',
        { name: GFD_NAME, role: 'gfd' },
        context.config.cluster,
      ),
    },
    {
      src: 'link',
      id: RM_LINK,
      input: ({ context }) =>
        linkTo(
          RM_LINK,
          context.config.rm,
          { name: GFD_NAME, role: 'gfd' },
          'rm',
          context.config.cluster,
          { hello: true },
        ),
    },
  ],
  on: {
    'link.refused': { actions: 'logRefused' },
    'frame.hello': { guard: 'isFromLfds', actions: 'greet' },
    'link.down': { guard: 'isFromLfds', actions: 'failClosedLfd' },
    'lfd.expired': { actions: 'expire' },
    'monitor.beat': { actions: 'heartbeatLfd' },
    'monitor.silent': { actions: 'failSilentLfd' },
    'frame.heartbeat': { guard: 'isFromLfds', actions: 'takeAnswer' },
    'frame.membership': { guard: 'isFromLfds', actions: 'changeMembership' },
    'frame.serving': { guard: 'isFromLfds', actions: 'passUp' },
    'frame.ready': { guard: 'isFromRm', actions: 'passDown' },
    'frame.sendCheckpoint': { guard: 'isFromRm', actions: 'passDown' },
    'frame.launch': { guard: 'isFromRm', actions: 'passDown' },
  },
  type: 'parallel',
  states: {
    /**
     * After a (re)start the RM hears nothing until every live LFD has had time to come back
     * (`heartbeat_timeout`): then the whole set goes in one `members`.
     */
    grace: {
      initial: 'waiting',
      states: {
        waiting: {
          after: { leaseTime: [{ guard: 'isRmUp', target: 'over', actions: 'sendMembers' }, { target: 'over' }] },
        },
        over: {},
      },
    },
    /** The link to the RM: every time it comes up, the RM learns the whole set (once the grace is over). */
    rm: {
      initial: 'down',
      states: {
        down: {
          on: {
            'link.up': [
              { guard: 'isFromRmAfterGrace', target: 'up', actions: 'sendMembers' },
              { guard: 'isFromRm', target: 'up' },
            ],
          },
        },
        up: {
          on: { 'link.down': { guard: 'isFromRm', target: 'down' } },
        },
      },
    },
  },
});
