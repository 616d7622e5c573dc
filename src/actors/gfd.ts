/**
 * Global fault detector: heartbeats every LFD over the LFD's own link, keeps the membership (which
 * servers each LFD reports alive), tells the RM of every change and the whole set on every
 * (re)connect, and passes the RM's commands down to the LFD of the server they name. Each LFD has
 * its own machine here (`watchedLfd`: alive, departed, expired), spawned at its first hello.
 *
 * With several GFDs (`coordinator = etcd`) they campaign in etcd, and every LFD reports to all of
 * them: a standby watches and keeps the membership as the leader does, but does not talk to the
 * RM, so that once elected it has the whole set to give (docs/coordination.md).
 */
import { and, assertEvent, assign, enqueueActions, setup, stateIn, type ActorRefFrom, type AnyActorRef } from 'xstate';
import type { ClusterConfig, NamedEndpoint } from '../config/types.js';
import type { Print } from '../log/events.js';
import type { Frame, MembershipFrame } from '../protocol/frames.js';
import { GFD_NAME } from '../protocol/links.js';
import type { TransportEvent } from '../transport/types.js';
import type { ReplyTo } from '../core/effects.js';
import { answer, print, runEffects, sendOn, transportSlots, type Effect, refusedLine } from './effects.js';
import { linkTo, listenOn, roleNames } from './wiring.js';
import { watchedLfdMachine, type WatchedLfdReport } from './watched-lfd.js';
import { noLeadership, ofElection, standbyLines, type LeadEvent } from './leadership.js';

export { GFD_NAME };

export interface GfdInput {
  config: ClusterConfig;
  print: Print;
  /** Its name in frames, hellos and printed lines: `GFD` for the one GFD, `[gfd.NAME]`'s with several (SPEC §8). */
  name?: string;
}

export interface GfdContext {
  config: ClusterConfig;
  print: Print;
  name: string;
  /**
   * The membership as last printed (and told the RM, past the grace): what the LFDs' machines
   * report or hold, sorted. A change is what differs from it: a machine's report reaches the GFD
   * right after the change it reports, before anything else can happen.
   */
  members: string[];
  /** The highest epoch passed down, for `members` after a restart of the RM. */
  epoch: number;
  /** `launch` commands for servers whose LFD had no link when they came: sent at its next hello. */
  launches: string[];
  /**
   * The RM this GFD links to: the one RM, or with `coordinator = etcd` the leader as observed in
   * etcd (null until one is), so that only the leader is fed and heard.
   */
  rm: NamedEndpoint | null;
  /** With `coordinator = etcd`: the GFD that leads the GFDs, as last observed (null: none known). */
  leader: string | null;
}

/** A reload of the configuration (SIGHUP, or etcd's members changed): only servers, with their LFDs, came or went. */
type GfdEvent = TransportEvent | WatchedLfdReport | LeadEvent | { type: 'config.reload'; config: ClusterConfig };

type WatchedLfd = ActorRefFrom<typeof watchedLfdMachine>;

const LISTENER = 'lfds';
const RM_LINK = 'rm';
/** The observer of the RMs' election (`coordinator = etcd`; a placeholder otherwise). */
const RM_WATCH = 'rmWatch';
/** This GFD's own campaign among the GFDs (`coordinator = etcd`; a placeholder otherwise). */
const CAMPAIGN = 'campaign';
const LFD_PREFIX = 'lfd:';
const lfdId = (lfd: string) => `${LFD_PREFIX}${lfd}`;

/** The machines of the LFDs that said hello and have not expired. */
function watchedLfds(self: AnyActorRef): WatchedLfd[] {
  const children = self.getSnapshot().children as Record<string, AnyActorRef>;
  return Object.keys(children).filter((id) => id.startsWith(LFD_PREFIX)).map((id) => children[id] as WatchedLfd);
}

/** The GFD's machine of one LFD (`gfd` the GFD's actor), if that LFD said hello and has not expired. */
export function watchedLfd(gfd: AnyActorRef, lfd: string): WatchedLfd | undefined {
  return (gfd.getSnapshot().children as Record<string, WatchedLfd | undefined>)[lfdId(lfd)];
}

/** Every server an LFD reports or still holds, as the LFDs' machines have it now. */
function currentMembers(self: AnyActorRef): string[] {
  const all = watchedLfds(self).flatMap((lfd) => {
    const { servers, held } = lfd.getSnapshot().context;
    return [...servers, ...held];
  });
  return [...new Set(all)].sort();
}

/** The link of an LFD whose machine is `alive`: where commands for its servers go. */
function aliveLink(self: AnyActorRef, lfd: string): ReplyTo | undefined {
  const snapshot = watchedLfd(self, lfd)?.getSnapshot();
  return snapshot?.matches('alive') ? snapshot.context.link : undefined;
}

/** The machine of the LFD whose latest hello came on this listener connection. */
function lfdOnLink(self: AnyActorRef, link: string): WatchedLfd | undefined {
  return watchedLfds(self).find((lfd) => lfd.getSnapshot().context.link.link === link);
}

/** A frame for the RM, if a link to one runs (with a coordinator: while this GFD leads, once an RM does). */
function toRm(self: AnyActorRef, frame: Frame): Effect[] {
  return self.getSnapshot().matches({ rm: 'linked' }) ? [sendOn(RM_LINK, frame)] : [];
}

/** A change for the RM, once past the grace period (state `grace.over`): before it, changes are folded into the first `members`. */
function changeToRm(self: AnyActorRef, ctx: GfdContext, server: string, change: MembershipFrame['change']): Effect[] {
  const graceOver = self.getSnapshot().matches({ grace: 'over' });
  return graceOver ? toRm(self, { kind: 'membership', from: ctx.name, server, change }) : [];
}

function printMembers(ctx: GfdContext, members: string[]): Effect {
  return print({ event: 'members', name: ctx.name, members });
}

/** The LFD that watches a server, by the configuration. */
function lfdOf(ctx: GfdContext, server: string): string | undefined {
  return ctx.config.lfds.find((l) => l.server === server)?.name;
}

const failed = (ctx: GfdContext, lfd: string, why: string): Effect => print({ event: 'note', name: ctx.name, level: 'warn', text: `${lfd} failed (${why})` });

export const gfdMachine = setup({
  types: {
    input: {} as GfdInput,
    context: {} as GfdContext,
    events: {} as GfdEvent,
  },
  actors: { ...transportSlots, watchedLfd: watchedLfdMachine, leadership: noLeadership },
  delays: {
    leaseTime: ({ context }) => context.config.cluster.heartbeatTimeoutMs,
  },
  actions: {
    logRefused: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'link.refused');
      runEffects(enqueue, self, context.print, [refusedLine(context.name, event)]);
    }),
    printMembers: enqueueActions(({ enqueue, self, context }) =>
      runEffects(enqueue, self, context.print, [printMembers(context, context.members)]),
    ),
    /**
     * A hello from an LFD: its machine is spawned, or told (a restarted LFD keeps its servers, a
     * departed one comes back); launches kept for its return go out on the new link.
     */
    greet: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.hello');
      const lfd = event.frame.name;
      const owed = context.launches.filter((s) => lfdOf(context, s) === lfd);
      enqueue.assign({ launches: context.launches.filter((s) => !owed.includes(s)) });
      runEffects(enqueue, self, context.print, owed.map((server) => answer(event.origin, { kind: 'launch', server })));
      const watched = watchedLfd(self, lfd);
      if (watched) return void enqueue.sendTo(watched, event);
      const { heartbeatFreqMs: freqMs, heartbeatTimeoutMs: timeoutMs } = context.config.cluster;
      const link = { via: event.origin.via, link: event.origin.link };
      enqueue.spawnChild('watchedLfd', { id: lfdId(lfd), input: { lfd, link, freqMs, timeoutMs } });
    }),
    /** Heartbeat answers, membership reports and a closed link go to the machine of the LFD on that link. */
    passToLfd: enqueueActions(({ enqueue, self, event }) => {
      assertEvent(event, ['frame.heartbeat', 'frame.membership', 'link.down']);
      const lfd = lfdOnLink(self, event.origin.link);
      if (lfd) enqueue.sendTo(lfd, event);
    }),
    /**
     * The LFDs configured now: a new one's reports are taken. A removed one that is still linked is
     * kept until the next reload: the RM drains its server through it, and hears it leave.
     */
    takeReload: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'config.reload');
      const named = new Set(event.config.lfds.map((l) => l.name));
      const linked = context.config.lfds.filter((l) => !named.has(l.name) && watchedLfd(self, l.name) !== undefined);
      const config = { ...event.config, lfds: [...event.config.lfds, ...linked] };
      enqueue.assign({ config });
      enqueue.sendTo(LISTENER, { type: 'names', names: roleNames(config) });
      const lfds = event.config.lfds.map((l) => l.name).join(', ');
      runEffects(enqueue, self, context.print, [print({ event: 'note', name: context.name, level: 'info', text: `reloads ${event.config.source}: LFDs ${lfds}` })]);
    }),
    printNotOwnServer: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.membership');
      const text = `${event.origin.peer?.name ?? 'an LFD'} reported ${event.frame.server}, which is not its server: ignored`;
      runEffects(enqueue, self, context.print, [print({ event: 'note', name: context.name, level: 'warn', text })]);
    }),
    heartbeatLfd: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'lfd.heartbeat');
      const frame: Frame = { kind: 'heartbeat', from: context.name, to: event.lfd, count: event.count, ...(event.answered !== null && { answered: event.answered }) };
      runEffects(enqueue, self, context.print, [answer(event.link, frame)]);
    }),
    /** Its link is closed too: an LFD that still runs (only slow) connects again and says hello afresh. */
    closeSilentLfd: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'lfd.silent');
      runEffects(enqueue, self, context.print, [failed(context, event.lfd, 'no heartbeat answer'), { kind: 'close', ...event.link }]);
    }),
    printLostLfd: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'lfd.lost');
      runEffects(enqueue, self, context.print, [failed(context, event.lfd, 'connection lost')]);
    }),
    changeMembership: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'lfd.reported');
      const { server, change } = event;
      const members = currentMembers(self);
      enqueue.assign({ members });
      const changed = context.members.includes(server) !== members.includes(server);
      if (changed) {
        runEffects(enqueue, self, context.print, [printMembers(context, members), ...changeToRm(self, context, server, change)]);
      } else if (change === 'add') {
        // A re-report (an LFD or its link came back): the RM checks whether it is a new process.
        runEffects(enqueue, self, context.print, changeToRm(self, context, server, change));
      }
    }),
    /** Held servers whose leases have run out: whatever was not reported again is deleted. */
    deleteReleased: enqueueActions(({ enqueue, self, context }) => {
      const members = currentMembers(self);
      const deleted = context.members.filter((s) => !members.includes(s));
      enqueue.assign({ members });
      if (deleted.length === 0) return;
      runEffects(enqueue, self, context.print, [printMembers(context, members), ...deleted.flatMap((s) => changeToRm(self, context, s, 'delete'))]);
    }),
    stopExpired: enqueueActions(({ enqueue, event }) => {
      assertEvent(event, 'lfd.expired');
      enqueue.stopChild(lfdId(event.lfd));
    }),
    passUp: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, ['frame.serving', 'frame.leaving']);
      runEffects(enqueue, self, context.print, toRm(self, event.frame));
    }),
    passDown: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, ['frame.ready', 'frame.sendCheckpoint', 'frame.launch', 'frame.drain', 'frame.released']);
      const frame = event.frame;
      if (frame.kind === 'ready' && frame.epoch > context.epoch) enqueue.assign({ epoch: frame.epoch });
      const lfd = lfdOf(context, frame.server);
      const link = lfd === undefined ? undefined : aliveLink(self, lfd);
      if (link) runEffects(enqueue, self, context.print, [answer(link, frame)]);
      // A `launch` is sent once per failure: one for an LFD that is away waits for its return.
      else if (frame.kind === 'launch' && !context.launches.includes(frame.server)) {
        enqueue.assign({ launches: [...context.launches, frame.server] });
      }
    }),
    /** Another RM leads: the link goes to it (the old one's frames are no longer heard). */
    followRm: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'lead.leader');
      const rm = context.config.rms.find((r) => r.name === event.name) ?? null;
      enqueue.assign({ rm });
      runEffects(enqueue, self, context.print, [print({ event: 'note', name: context.name, level: 'warn', text: `follows ${event.name}, the leading RM` })]);
    }),
    printLeading: enqueueActions(({ enqueue, self, context }) =>
      runEffects(enqueue, self, context.print, [print({ event: 'leadership', name: context.name, state: 'leading' })]),
    ),
    printStandby: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'lead.leader');
      enqueue.assign({ leader: event.name });
      runEffects(enqueue, self, context.print, standbyLines(context.name, context.leader, event.name));
    }),
    /** Deposed: it watches on as a standby; launches owed for the RM it fed are the new leader's to send. */
    stepDown: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'lead.deposed');
      enqueue.assign({ launches: [] });
      runEffects(enqueue, self, context.print, [print({ event: 'leadership', name: context.name, state: 'standby', leader: null, reason: event.reason })]);
    }),
    /** Said once, and again when etcd answers: detection goes on meanwhile, a leader stays one until its lease is gone. */
    noteEtcd: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, ['lead.trouble', 'lead.back']);
      const text = event.type === 'lead.trouble' ? `etcd does not answer (${event.reason}): watching on` : 'etcd answers again';
      runEffects(enqueue, self, context.print, [print({ event: 'note', name: context.name, level: 'warn', text })]);
    }),
    /** The whole set, on every (re)connect to the RM once the grace period is over (SPEC §6 Restarts). */
    sendMembers: enqueueActions(({ enqueue, self, context }) =>
      runEffects(enqueue, self, context.print, toRm(self, { kind: 'members', from: context.name, servers: context.members, epoch: context.epoch })),
    ),
  },
  guards: {
    isFromRm: ({ event }) => 'origin' in event && event.origin.via === RM_LINK,
    isFromLfds: ({ event }) => 'origin' in event && event.origin.via === LISTENER,
    /** An LFD reports only the server the configuration gives it (a wrong one would stall every sync write). */
    isOwnServer: ({ context, event }) =>
      event.type === 'frame.membership' && context.config.lfds.some((l) => l.name === event.origin.peer?.name && l.server === event.frame.server),
    isRmUp: stateIn({ rm: { linked: 'up' } }),
    knowsRm: ({ context }) => context.rm !== null,
    isNewRmLeader: ({ context, event }) =>
      event.type === 'lead.leader' && event.role === 'rm' && event.name !== null && event.name !== context.rm?.name && context.config.rms.some((r) => r.name === event.name),
    isCoordinated: ({ context }) => context.config.etcd !== null,
    isGfdElection: ofElection('gfd'),
    isLeading: stateIn({ office: 'leading' }),
    canLinkRm: and(['knowsRm', 'isLeading']),
    isGraceOver: stateIn({ grace: 'over' }),
    isFromRmAfterGrace: and(['isFromRm', 'isGraceOver']),
  },
}).createMachine({
  id: 'gfd',
  context: ({ input }) => ({
    config: input.config,
    print: input.print,
    name: input.name ?? GFD_NAME,
    members: [],
    epoch: 0,
    launches: [],
    rm: input.config.etcd === null ? input.config.rms[0]! : null,
    leader: null,
  }),
  entry: 'printMembers',
  invoke: [
    {
      src: 'listener',
      id: LISTENER,
      input: ({ context }) => listenOn(
        LISTENER,
        context.config.gfds.find((g) => g.name === context.name) ?? context.config.gfds[0]!,
        'gfd',
        { name: context.name, role: 'gfd' },
        context.config,
      ),
    },
    {
      src: 'leadership',
      id: RM_WATCH,
      input: ({ context }) => ({ etcd: context.config.etcd, role: 'rm', name: null }),
    },
    {
      src: 'leadership',
      id: CAMPAIGN,
      input: ({ context }) => ({ etcd: context.config.etcd, role: 'gfd', name: context.name }),
    },
  ],
  on: {
    'link.refused': { actions: 'logRefused' },
    'frame.hello': { guard: 'isFromLfds', actions: 'greet' },
    'frame.heartbeat': { guard: 'isFromLfds', actions: 'passToLfd' },
    'frame.membership': [
      { guard: and(['isFromLfds', 'isOwnServer']), actions: 'passToLfd' },
      { guard: 'isFromLfds', actions: 'printNotOwnServer' },
    ],
    'link.down': { guard: 'isFromLfds', actions: 'passToLfd' },
    'lfd.heartbeat': { actions: 'heartbeatLfd' },
    'lfd.silent': { actions: 'closeSilentLfd' },
    'lfd.lost': { actions: 'printLostLfd' },
    'lfd.reported': { actions: 'changeMembership' },
    'lfd.released': { actions: 'deleteReleased' },
    'lfd.expired': { actions: ['deleteReleased', 'stopExpired'] },
    'frame.serving': { guard: 'isFromLfds', actions: 'passUp' },
    'frame.leaving': { guard: 'isFromLfds', actions: 'passUp' },
    'config.reload': { actions: 'takeReload' },
    'frame.drain': { guard: 'isFromRm', actions: 'passDown' },
    'frame.released': { guard: 'isFromRm', actions: 'passDown' },
    'frame.ready': { guard: 'isFromRm', actions: 'passDown' },
    'frame.sendCheckpoint': { guard: 'isFromRm', actions: 'passDown' },
    'frame.launch': { guard: 'isFromRm', actions: 'passDown' },
    // Told by its own campaign; the RMs' observer meets the same etcd.
    'lead.trouble': { guard: 'isGfdElection', actions: 'noteEtcd' },
    'lead.back': { guard: 'isGfdElection', actions: 'noteEtcd' },
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
    /**
     * With a coordinator, whether this GFD leads the GFDs: a standby watches every LFD (they report
     * to all GFDs) but has no link to the RM. Without one, the one GFD leads.
     */
    office: {
      initial: 'deciding',
      states: {
        deciding: { always: [{ guard: 'isCoordinated', target: 'standby' }, { target: 'leading' }] },
        standby: {
          on: {
            'lead.elected': { guard: 'isGfdElection', target: 'leading', actions: 'printLeading' },
            'lead.leader': { guard: 'isGfdElection', actions: 'printStandby' },
          },
        },
        leading: {
          entry: assign({ leader: ({ context }) => context.name }),
          on: { 'lead.deposed': { guard: 'isGfdElection', target: 'standby', actions: 'stepDown' } },
        },
      },
    },
    /**
     * The link to the RM: every time it comes up, the RM learns the whole set (once the grace is
     * over). With a coordinator it waits until this GFD leads and an RM does, and goes to each new
     * RM leader; a deposed GFD drops it.
     */
    rm: {
      initial: 'choosing',
      on: {
        'lead.leader': { guard: 'isNewRmLeader', target: '.choosing', actions: 'followRm' },
        'lead.deposed': { guard: 'isGfdElection', target: '.choosing' },
      },
      states: {
        choosing: { always: { guard: 'canLinkRm', target: 'linked' } },
        linked: {
          invoke: {
            src: 'link',
            id: RM_LINK,
            input: ({ context }) => linkTo(RM_LINK, context.rm!, { name: context.name, role: 'gfd' }, 'rm', context.config.cluster, { hello: true }),
          },
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
    },
  },
});
