/**
 * Replication manager: learns the membership from the GFD, decides roles, epochs, recovery and
 * relaunch (`replication.ts`), sends its commands down through the GFD, and keeps every client told
 * where to send.
 */
import { assertEvent, enqueueActions, setup, type AnyActorRef } from 'xstate';
import type { ClusterConfig } from '../config/types.js';
import type { Print } from '../log/events.js';
import type { ClientViewFrame, Frame, Mode, ServerStatusFrame } from '../protocol/frames.js';
import { RM_NAME } from '../protocol/links.js';
import type { Origin, TransportCommand, TransportEvent } from '../transport/types.js';
import { answer, print, runEffects, sendOn, transportSlots, type Effect, refusedLine } from './effects.js';
import { clientPortOf, linksOf, listenOn, wantServers } from './wiring.js';
import { noLeadership, ofElection, standbyLines, type LeadCommand, type LeadEvent } from './leadership.js';
import {
  carryConfirmation,
  clientServers,
  initialMembership,
  memberNames,
  awaitingReports,
  onAdd,
  onChoiceDue,
  onDelete,
  onLeave,
  onReconfigure,
  onReport,
  onMembers,
  onRereport,
  onRestart,
  onVerified,
  onServing,
  retryRecoveries,
  statusFrame,
  type Decision,
  type Membership,
} from '../core/replication.js';

export { RM_NAME };
const LISTENER = 'port';
/** The links actor: a short-lived link to the client port of each server asked for its status. */
const PROBES = 'probes';
/** The leadership actor (`coordinator = etcd`; a placeholder otherwise). */
const LEADERSHIP = 'leadership';
/** The observer of the GFDs' election (`coordinator = etcd`; a placeholder otherwise): only the leading GFD is heard. */
const GFD_WATCH = 'gfdWatch';
/** Every epoch counts as granted without a coordinator. */
const ALWAYS = Number.MAX_SAFE_INTEGER;

export interface RmInput {
  config: ClusterConfig;
  print: Print;
  /** Its name in frames, hellos and printed lines: `RM` for the one RM, `[rm.NAME]`'s with several (SPEC §8). */
  name?: string;
}

export interface RmContext {
  config: ClusterConfig;
  print: Print;
  name: string;
  membership: Membership;
  /** The listener connection of the GFD's latest hello. */
  gfdLink: string | null;
  /**
   * The client named on each open connection that asked (`<C1, client>`), told of every change. By
   * connection, not by name: a second connection under C1's name does not take C1's views away.
   */
  clients: Record<string, string>;
  /** State `restarting`: the members a restarted RM asks for their status before it decides anything. */
  restart: { servers: string[]; epoch: number; statuses: Record<string, ServerStatusFrame | null> } | null;
  /** Status questions to ask or in flight: why each server is asked. */
  probes: Record<string, Probe>;
  /** The servers being asked (`launchProbes`): a link to each is wanted and its timeout runs. */
  asking: string[];
  /** Members that did not serve at the last look at recoveries (`retryRecoveries`). */
  recovering: string[];
  /** With `coordinator = etcd`: who leads, as last observed (null: nobody known). */
  leader: string | null;
  /**
   * With `coordinator = etcd`: the GFD that leads the GFDs, as last observed; only its hello is
   * taken, so a deposed GFD (frozen past its lease, then thawed) is never heard.
   */
  gfdLeader: string | null;
  /**
   * The highest epoch etcd's counter was raised to for this leader (`ALWAYS` without a
   * coordinator): commands of a higher epoch wait in `held` until it is.
   */
  granted: number;
  /** Commands for the GFD and views for clients waiting for their epoch's grant, in order. */
  held: Effect[];
  /** Servers that left (drained) and wait for `released`: sent once a primary serves (or nobody is left). */
  leaving: string[];
  /**
   * Where clients were last told to send. A new passive primary is named only once it says it
   * serves (`clientServers`): a client sent there before its `ready` arrived would be refused.
   */
  shown: string[];
}

/**
 * Why a server is asked for its status: the RM's own restart, a re-reported add, a `members`, or
 * how far its history on disk goes (`choosing`).
 */
type Probe = 'restart' | 'rejoin' | 'verify' | 'choose';

/**
 * A reload of the configuration (SIGHUP, or etcd's members changed), checked first by the role's
 * command (`src/cli/reload.ts`): only servers, with their LFDs, came or went.
 */
export type ReloadEvent = { type: 'config.reload'; config: ClusterConfig; added: string[]; removed: string[] };

type RmEvent = TransportEvent | LeadEvent | ReloadEvent | { type: 'probe.timeout'; server: string } | { type: 'choice.due' };

/** The id of a probe's timeout. */
const probeTimer = (server: string) => `probe:${server}`;

function viewFor(client: string, mode: Mode, servers: string[]): ClientViewFrame {
  return { kind: 'clientView', client, mode, servers };
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The lines a decision prints. */
function announce(ctx: RmContext, { next, warnings }: Decision): Effect[] {
  const prev = ctx.membership;
  const effects: Effect[] = [];
  if (!sameList(memberNames(prev), memberNames(next))) {
    effects.push(print({ event: 'members', name: ctx.name, members: memberNames(next) }));
  }
  for (const text of warnings) effects.push(print({ event: 'note', name: ctx.name, level: 'warn', text }));
  if (next.primary !== null && (next.primary !== prev.primary || next.epoch !== prev.epoch)) {
    effects.push(print({ event: 'rm.primary', name: ctx.name, mode: next.mode, primary: next.primary, epoch: next.epoch }));
  }
  return effects;
}

/** A new view for every client that asked, when the servers to send to changed. */
function tellClients(enqueue: DecideEnqueue, ctx: RmContext, next: Membership): Effect[] {
  const servers = clientServers(next) ?? ctx.shown;
  if (sameList(ctx.shown, servers)) return [];
  enqueue.assign(() => ({ shown: servers }));
  return Object.entries(ctx.clients).map(([link, client]) => ({ kind: 'send', via: LISTENER, link, frame: viewFor(client, next.mode, servers) }));
}

/** The id of the wait for configured servers before the RM chooses from disk. */
const CHOICE_TIMER = 'choice';
const choosingWithMembers = (m: Membership) => m.choosing !== null && memberNames(m).length > 0;

type DispatchEnqueue = Parameters<typeof runEffects>[0] & {
  assign(update: (args: { context: RmContext }) => Partial<RmContext>): void;
  sendTo(to: string, event: LeadCommand): void;
};

type DecideEnqueue = DispatchEnqueue & {
  raise(event: RmEvent, options: { delay: 'choiceWait'; id: string }): void;
  cancel(id: string): void;
};

/** Commands for the GFD, on its link (none without one: the GFD's next `members` brings them back). */
const toGfd = (ctx: RmContext, frames: Frame[]): Effect[] =>
  ctx.gfdLink === null ? [] : frames.map((frame) => ({ kind: 'send', via: LISTENER, link: ctx.gfdLink!, frame }));

/**
 * Sends of `epoch` (commands, views): out at once when etcd's counter was raised that far for this
 * leader (always, without a coordinator); otherwise held, behind any held already, and the grant
 * asked for, so that nothing of an epoch a successor could reuse ever leaves (docs/coordination.md).
 */
function dispatch(enqueue: DispatchEnqueue, self: AnyActorRef, ctx: RmContext, sends: Effect[], epoch: number): void {
  if (sends.length === 0) return;
  if (epoch <= ctx.granted && ctx.held.length === 0) return void runEffects(enqueue, self, ctx.print, sends);
  enqueue.assign(({ context }) => ({ held: [...context.held, ...sends] }));
  if (epoch > ctx.granted) enqueue.sendTo(LEADERSHIP, { type: 'lead.grant', epoch });
}

/**
 * Takes a decision: the new membership, its lines, its commands, the clients' views, and, while the RM
 * chooses from disk, a status question to each member that has not said how far its history goes
 * and the wait for the configured servers that have not joined, from the first member on.
 */
function decide(enqueue: DecideEnqueue, self: AnyActorRef, context: RmContext, decision: Decision): void {
  const prev = context.membership;
  const next = carryConfirmation(prev, decision.next);
  enqueue.assign(() => ({ membership: next }));
  runEffects(enqueue, self, context.print, announce(context, decision));
  dispatch(enqueue, self, context, [...toGfd(context, decision.commands), ...tellClients(enqueue, context, next)], next.epoch);
  releaseLeft(enqueue, self, context, next);
  const ask = awaitingReports(next);
  if (ask.length > 0) {
    enqueue.assign(({ context: now }) => ({
      probes: { ...Object.fromEntries(ask.map((s) => [s, 'choose' as const])), ...now.probes },
    }));
  }
  if (choosingWithMembers(next) && !choosingWithMembers(prev)) {
    enqueue.cancel(CHOICE_TIMER);
    enqueue.raise({ type: 'choice.due' }, { delay: 'choiceWait', id: CHOICE_TIMER });
  } else if (prev.choosing && !next.choosing) {
    enqueue.cancel(CHOICE_TIMER);
  }
}

/**
 * The servers that left may stop once clients have somewhere to send (a primary serves, or, active,
 * a replica does) or nobody is left to hand over to. `released` carries no epoch and changes no
 * state, so it goes out at once, behind whatever this decision sent.
 */
function releaseLeft(enqueue: DecideEnqueue, self: AnyActorRef, context: RmContext, next: Membership): void {
  if (context.leaving.length === 0) return;
  if (!clientServers(next)?.length && memberNames(next).length > 0) return;
  enqueue.assign(() => ({ leaving: [] }));
  const frames: Frame[] = context.leaving.map((server) => ({ kind: 'released', server }));
  runEffects(enqueue, self, context.print, toGfd(context, frames));
}

/**
 * Whether the RM takes a tool's `drain` on this connection: only on a link as trusted as the
 * cluster's own. With a `secret` but no TLS, a tool's connection is not authenticated (tools send
 * no hello), and a drain is a stop: the operator sends SIGTERM on the server's host instead.
 */
function drainRefusal(ctx: RmContext, server: string, running: boolean): string | null {
  if (ctx.config.cluster.secret !== null && ctx.config.cluster.tls === null) {
    return `no drain over an unauthenticated link (a secret is set, TLS is not): send SIGTERM to ${server} or its LFD on its host`;
  }
  if (ctx.config.etcd !== null && ctx.leader !== ctx.name) return `standby: ask the leader (${ctx.leader ?? 'none known'})`;
  if (!running) return 'still learning the membership: try again in a moment';
  if (!ctx.membership.members[server]) return `${server} is not a member`;
  if (ctx.gfdLink === null) return 'no GFD link to pass the drain down';
  return null;
}

/** What a (re)started RM knows: nothing but its configuration. */
const freshMembership = (config: ClusterConfig, mode: Mode) =>
  initialMembership(mode, config.servers.map((s) => s.name), config.servers.some((s) => s.dataDir !== undefined));

const isGfdOrigin = (ctx: RmContext, origin: Origin) => ctx.gfdLink !== null && origin.link === ctx.gfdLink;

/** Links to the servers being asked, and only to them. */
const wantProbes = (ctx: RmContext, asking: string[]) => wantServers(ctx.config.servers, asking, clientPortOf);

/** A probe answered or timed out: its link, its timer and its entry go. */
function closeProbe(
  enqueue: { assign(a: Partial<RmContext>): void; cancel(id: string): void; sendTo(to: string, event: TransportCommand): void },
  ctx: RmContext,
  server: string,
): void {
  const { [server]: _, ...probes } = ctx.probes;
  const asking = ctx.asking.filter((s) => s !== server);
  enqueue.assign({ probes, asking });
  enqueue.cancel(probeTimer(server));
  if (asking.length < ctx.asking.length) enqueue.sendTo(PROBES, wantProbes(ctx, asking));
}

/** The server a status answer (or its timeout) is about, with why it was asked; null if not asked. */
function probeAnswer(ctx: RmContext, event: RmEvent): { server: string; status: ServerStatusFrame | null; why: Probe } | null {
  let server: string | null = null;
  let status: ServerStatusFrame | null = null;
  if (event.type === 'frame.serverStatus') {
    server = event.origin.via === PROBES ? event.origin.link : null;
    status = event.frame;
  } else if (event.type === 'probe.timeout') {
    server = event.server;
  }
  const why = server === null ? undefined : ctx.probes[server];
  return server === null || why === undefined ? null : { server, status, why };
}

export const rmMachine = setup({
  types: {
    input: {} as RmInput & { mode?: Mode },
    context: {} as RmContext,
    events: {} as RmEvent,
  },
  delays: {
    probeTimeout: ({ context }) => context.config.cluster.heartbeatTimeoutMs,
    recoveryRetry: ({ context }) => context.config.cluster.heartbeatTimeoutMs,
    choiceWait: ({ context }) => context.config.cluster.heartbeatTimeoutMs,
  },
  actors: { ...transportSlots, leadership: noLeadership },
  guards: {
    isCoordinated: ({ context }) => context.config.etcd !== null,
    isRmElection: ofElection('rm'),
    isGfdElection: ofElection('gfd'),
    isFromGfd: ({ context, event }) => 'origin' in event && isGfdOrigin(context, event.origin),
    isFromProbe: ({ context, event }) => 'origin' in event && event.origin.via === PROBES && context.asking.includes(event.origin.link),
    isFromGfdWithMembers: ({ context, event }) =>
      event.type === 'frame.members' && isGfdOrigin(context, event.origin) && event.frame.servers.length > 0,
    /** The status (or its timeout) that completes a restart's question: every member then answered. */
    isRestartsLastAnswer: ({ context, event }) => {
      const answered = probeAnswer(context, event);
      if (answered === null || answered.why !== 'restart' || !context.restart) return false;
      const statuses = { ...context.restart.statuses, [answered.server]: answered.status };
      return context.restart.servers.every((s) => s in statuses);
    },
  },
  actions: {
    logRefused: enqueueActions(({ enqueue, self, context, event }) => {
      if (event.type === 'link.refused') runEffects(enqueue, self, context.print, [refusedLine(context.name, event)]);
    }),
    printMembers: enqueueActions(({ enqueue, self, context }) =>
      runEffects(enqueue, self, context.print, [print({ event: 'members', name: context.name, members: [] })]),
    ),
    /** A membership change from the GFD (`syncing`, `running`). */
    takeMembership: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.membership');
      const { server, change } = event.frame;
      if (change === 'add' && context.membership.members[server]) {
        // A re-report, unless a new process runs under the old name: ask it.
        if (!context.probes[server]) enqueue.assign({ probes: { ...context.probes, [server]: 'rejoin' } });
        return;
      }
      decide(enqueue, self, context, change === 'add' ? onAdd(context.membership, server) : onDelete(context.membership, server));
    }),
    /** Still asking the members of a restart: a change joins the question instead. */
    joinRestart: enqueueActions(({ enqueue, context, event }) => {
      assertEvent(event, 'frame.membership');
      if (!context.restart) return;
      const { server, change } = event.frame;
      const servers = context.restart.servers.filter((s) => s !== server);
      const { [server]: _, ...statuses } = context.restart.statuses;
      if (change === 'add') servers.push(server);
      const probes = change === 'add' ? { ...context.probes, [server]: 'restart' as const } : context.probes;
      enqueue.assign({ restart: { ...context.restart, servers, statuses }, probes });
    }),
    /** The GFD's first `members` names members: this RM restarted, and their status says what they were. */
    startRestart: enqueueActions(({ enqueue, context, event }) => {
      assertEvent(event, 'frame.members');
      const { servers, epoch } = event.frame;
      const probes = Object.fromEntries(servers.map((server) => [server, 'restart' as const]));
      enqueue.assign({ restart: { servers, epoch, statuses: {} }, probes: { ...context.probes, ...probes } });
    }),
    takeMembers: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.members');
      const decision = onMembers(context.membership, event.frame.servers, event.frame.epoch, context.config.servers.map((s) => s.name));
      const verify = Object.fromEntries(decision.next.unverified.map((s) => [s, 'verify' as const]));
      enqueue.assign({ probes: { ...context.probes, ...verify } });
      decide(enqueue, self, context, decision);
    }),
    /**
     * A tool's `<ops, S1, drain>`: passed down to S1 (through the GFD and its LFD), and answered with
     * this RM's status; the tool then watches S1 leave. Refused with an error frame otherwise.
     */
    takeDrain: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.drain');
      const server = event.frame.server;
      const refusal = drainRefusal(context, server, self.getSnapshot().matches('running'));
      if (refusal !== null) return void runEffects(enqueue, self, context.print, [answer(event.origin, { kind: 'error', name: context.name, message: refusal })]);
      const configured = context.config.servers.map((s) => s.name);
      runEffects(enqueue, self, context.print, [
        print({ event: 'note', name: context.name, level: 'info', text: `drains ${server}, as ${event.frame.from} asked` }),
        ...toGfd(context, [{ kind: 'drain', from: context.name, server }]),
        answer(event.origin, statusFrame(context.membership, configured, context.name)),
      ]);
    }),
    /** A draining server left: it goes from the membership (no `launch`), and is released once a primary serves. */
    takeLeaving: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.leaving');
      const { server, handedTo } = event.frame;
      const leaving = [...new Set([...context.leaving, server])];
      enqueue.assign({ leaving });
      decide(enqueue, self, { ...context, leaving }, onLeave(context.membership, server, handedTo));
    }),
    /**
     * The servers configured now: a new one is taken as a member once its LFD reports it (as any);
     * a member no longer configured is drained (it hands its role over and stops) and never launched again.
     */
    takeReload: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'config.reload');
      const { config, added, removed } = event;
      const membership = onReconfigure(context.membership, config.servers.map((s) => s.name));
      enqueue.assign({ config, membership });
      const draining = removed.filter((s) => context.membership.members[s] !== undefined);
      const said = [added.length > 0 && `${added.join(', ')} added`, removed.length > 0 && `${removed.join(', ')} removed${draining.length > 0 ? ` (drains ${draining.join(', ')})` : ''}`];
      runEffects(enqueue, self, context.print, [
        print({ event: 'note', name: context.name, level: 'info', text: `reloads ${config.source}: ${said.filter(Boolean).join('; ') || 'no server added or removed'}` }),
        ...toGfd(context, draining.map((server) => ({ kind: 'drain', from: context.name, server }) as Frame)),
      ]);
    }),
    takeServing: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.serving');
      decide(enqueue, self, context, onServing(context.membership, event.frame.server, event.frame.epoch));
    }),
    /**
     * Asks each server to probe for its `status`, over a short-lived link to its client port; a
     * probe's time runs from its launch. A server the configuration does not know is not asked.
     */
    launchProbes: enqueueActions(({ enqueue, context }) => {
      const fresh = Object.keys(context.probes).filter(
        (server) => !context.asking.includes(server) && context.config.servers.some((s) => s.name === server),
      );
      if (fresh.length === 0) return;
      const asking = [...context.asking, ...fresh];
      enqueue.assign({ asking });
      enqueue.sendTo(PROBES, wantProbes(context, asking));
      for (const server of fresh) enqueue.raise({ type: 'probe.timeout', server }, { delay: 'probeTimeout', id: probeTimer(server) });
    }),
    askStatus: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'link.up');
      const server = event.origin.link;
      runEffects(enqueue, self, context.print, [sendOn(PROBES, { kind: 'statusQuery', from: context.name, target: server }, server)]);
    }),
    /** A status answer, or none in time (null): what the probe was for decides what it means. */
    takeStatus: enqueueActions(({ enqueue, self, context, event }) => {
      const answered = probeAnswer(context, event);
      if (answered === null) return;
      const { server, status, why } = answered;
      closeProbe(enqueue, context, server);
      let decision: Decision | null = null;
      if (why === 'rejoin') decision = onRereport(context.membership, server, status);
      else if (why === 'verify') decision = onVerified(context.membership, server, status);
      else if (why === 'choose') decision = onReport(context.membership, server, status);
      else if (context.restart) enqueue.assign({ restart: { ...context.restart, statuses: { ...context.restart.statuses, [server]: status } } });
      if (decision) decide(enqueue, self, context, decision);
    }),
    /** The last status a restart waited for: the RM decides from all of them (`onRestart`). */
    finishRestart: enqueueActions(({ enqueue, self, context, event }) => {
      const answered = probeAnswer(context, event);
      if (answered === null || !context.restart) return;
      closeProbe(enqueue, context, answered.server);
      const statuses = { ...context.restart.statuses, [answered.server]: answered.status };
      const decision = onRestart(context.membership, context.restart.servers, context.restart.epoch, statuses, context.config.servers.map((s) => s.name));
      enqueue.assign({ restart: null });
      decide(enqueue, self, context, decision);
    }),
    /** The wait for configured servers is over: the RM chooses among the members that joined. */
    chooseNow: enqueueActions(({ enqueue, self, context }) => decide(enqueue, self, context, onChoiceDue(context.membership))),
    /** A member still recovering since the last look is sent its `send_checkpoint` again. */
    retryRecoveries: enqueueActions(({ enqueue, self, context }) => {
      if (context.gfdLink === null) {
        if (context.recovering.length > 0) enqueue.assign({ recovering: [] });
        return;
      }
      const { waiting, commands } = retryRecoveries(context.membership, context.recovering);
      enqueue.assign({ recovering: waiting });
      dispatch(enqueue, self, context, toGfd(context, commands), context.membership.epoch);
    }),
    /** The GFD's hello: its link is where members come from, if it is the leading GFD (always without a coordinator). */
    greetGfd: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.hello');
      if (event.origin.peer?.role !== 'gfd') return;
      if (context.config.etcd === null || event.frame.name === context.gfdLeader) return void enqueue.assign({ gfdLink: event.origin.link });
      const text = `${event.frame.name} does not lead the GFDs (${context.gfdLeader ?? 'none known'} does): link closed`;
      runEffects(enqueue, self, context.print, [
        print({ event: 'note', name: context.name, level: 'warn', text }),
        { kind: 'close', via: event.origin.via, link: event.origin.link },
      ]);
    }),
    /**
     * Another GFD leads: the old one's link is closed; the new one's hello brings its members. No
     * leader seen (a lost observation of etcd, the moment between two leaders) changes nothing: the
     * GFD heard last goes on being heard until another one leads.
     */
    followGfd: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'lead.leader');
      if (event.name === null || event.name === context.gfdLeader) return;
      enqueue.assign({ gfdLeader: event.name, gfdLink: null });
      const effects: Effect[] = context.gfdLink === null ? [] : [{ kind: 'close', via: LISTENER, link: context.gfdLink }];
      effects.push(print({ event: 'note', name: context.name, level: 'warn', text: `hears ${event.name}, the leading GFD` }));
      runEffects(enqueue, self, context.print, effects);
    }),
    forgetLink: enqueueActions(({ enqueue, context, event }) => {
      assertEvent(event, 'link.down');
      const link = event.origin.link;
      if (link === context.gfdLink) enqueue.assign({ gfdLink: null });
      const { [link]: _gone, ...clients } = context.clients;
      enqueue.assign({ clients });
    }),
    registerClient: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.clientHello');
      const client = event.frame.client;
      enqueue.assign({ clients: { ...context.clients, [event.origin.link]: client } });
      runEffects(enqueue, self, context.print, [answer(event.origin, viewFor(client, context.membership.mode, context.shown))]);
    }),
    answerDirectory: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.directoryQuery');
      const servers = context.config.servers.map((s) => ({ server: s.name, host: s.host, port: s.port }));
      runEffects(enqueue, self, context.print, [answer(event.origin, { kind: 'directory', servers })]);
    }),
    /** Elected: the restart path follows, every epoch above the counter as this leader found it. */
    takeOffice: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'lead.elected');
      const membership = { ...context.membership, epoch: Math.max(context.membership.epoch, event.floor) };
      enqueue.assign({ membership, granted: event.floor, leader: context.name });
      runEffects(enqueue, self, context.print, [print({ event: 'leadership', name: context.name, state: 'leading', floor: event.floor })]);
    }),
    /**
     * Deposed (its lease gone): whatever it knew goes, with the commands still waiting for a grant
     * (said, so a log shows what a deposed leader did not do), and the GFD's link is closed.
     */
    stepDown: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'lead.deposed');
      const effects: Effect[] = [];
      if (context.held.length > 0) {
        const text = `${context.held.length} frames of epoch ${context.membership.epoch} not sent: etcd did not grant the epoch`;
        effects.push(print({ event: 'note', name: context.name, level: 'warn', text }));
      }
      if (context.gfdLink !== null) effects.push({ kind: 'close', via: LISTENER, link: context.gfdLink });
      const leader = context.leader === context.name ? null : context.leader;
      effects.push(print({ event: 'leadership', name: context.name, state: 'standby', leader, reason: event.reason }));
      runEffects(enqueue, self, context.print, effects);
      enqueue.cancel(CHOICE_TIMER);
      enqueue.sendTo(PROBES, wantProbes(context, []));
      enqueue.assign({
        membership: freshMembership(context.config, context.membership.mode),
        gfdLink: null, restart: null, probes: {}, asking: [], recovering: [], held: [], granted: 0, leader, leaving: [], shown: [],
      });
    }),
    takeLeader: enqueueActions(({ enqueue, event }) => {
      assertEvent(event, 'lead.leader');
      enqueue.assign({ leader: event.name });
    }),
    printStandby: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'lead.leader');
      runEffects(enqueue, self, context.print, standbyLines(context.name, context.leader, event.name));
    }),
    /** etcd raised the counter: the commands held for epochs up to it go out, in order. */
    takeGrant: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'lead.granted');
      const granted = Math.max(context.granted, event.epoch);
      const ready = granted >= context.membership.epoch;
      enqueue.assign({ granted, held: ready ? [] : context.held });
      if (ready) runEffects(enqueue, self, context.print, context.held);
    }),
    noteEtcd: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, ['lead.trouble', 'lead.back']);
      const text = event.type === 'lead.trouble'
        ? `etcd does not answer (${event.reason}): the cluster serves on as it is; a new epoch waits for etcd`
        : 'etcd answers again';
      runEffects(enqueue, self, context.print, [print({ event: 'note', name: context.name, level: 'warn', text })]);
    }),
    /** A standby remembers the client (it is told views once this RM leads) and sends it to the leader. */
    redirectClient: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.clientHello');
      enqueue.assign({ clients: { ...context.clients, [event.origin.link]: event.frame.client } });
      runEffects(enqueue, self, context.print, [answer(event.origin, { kind: 'redirect', from: context.name, leader: context.leader })]);
    }),
    answerStandby: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.statusQuery');
      runEffects(enqueue, self, context.print, [answer(event.origin, { kind: 'rmStandby', from: context.name, leader: context.leader })]);
    }),
    /** The GFD feeds only the leader: a standby sends it there and closes the link. */
    refuseGfd: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.hello');
      if (event.origin.peer?.role !== 'gfd') return;
      runEffects(enqueue, self, context.print, [
        answer(event.origin, { kind: 'redirect', from: context.name, leader: context.leader }),
        { kind: 'close', via: event.origin.via, link: event.origin.link },
      ]);
    }),
    answerStatus: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.statusQuery');
      const configured = context.config.servers.map((s) => s.name);
      runEffects(enqueue, self, context.print, [answer(event.origin, statusFrame(context.membership, configured, context.name))]);
    }),
  },
}).createMachine({
  id: 'rm',
  context: ({ input }) => ({
    config: input.config,
    print: input.print,
    name: input.name ?? RM_NAME,
    membership: freshMembership(input.config, input.mode ?? input.config.cluster.mode),
    gfdLink: null,
    clients: {},
    restart: null,
    probes: {},
    asking: [],
    recovering: [],
    leader: null,
    gfdLeader: null,
    granted: input.config.etcd === null ? ALWAYS : 0,
    held: [],
    leaving: [],
    shown: [],
  }),
  entry: 'printMembers',
  initial: 'starting',
  states: {
    starting: { always: [{ guard: 'isCoordinated', target: 'standby' }, { target: 'syncing' }] },
    /**
     * `coordinator = etcd`, not leading: clients and the GFD are sent to the leader, a status says
     * standby; elected, it starts as a restarted RM does (docs/coordination.md).
     */
    standby: {
      on: {
        'lead.elected': { target: 'syncing', actions: 'takeOffice' },
        'lead.leader': [
          { guard: 'isRmElection', actions: ['printStandby', 'takeLeader'] },
          { guard: 'isGfdElection', actions: 'followGfd' },
        ],
        'lead.deposed': {},
        'frame.clientHello': { actions: 'redirectClient' },
        'frame.statusQuery': { actions: 'answerStandby' },
        'frame.hello': { actions: 'refuseGfd' },
      },
    },
    /** Until the GFD's first `members` this RM knows nothing of the members. */
    syncing: {
      on: {
        'frame.members': [
          { guard: 'isFromGfdWithMembers', target: 'restarting', actions: ['startRestart', 'launchProbes'] },
          { guard: 'isFromGfd', target: 'running', actions: ['takeMembers', 'launchProbes'] },
        ],
        'frame.membership': { guard: 'isFromGfd', actions: ['takeMembership', 'launchProbes'] },
      },
    },
    /** Members existed already (this RM restarted): it asks each for its status before deciding. */
    restarting: {
      on: {
        'frame.members': { guard: 'isFromGfd', actions: ['takeMembers', 'launchProbes'] },
        'frame.membership': { guard: 'isFromGfd', actions: ['joinRestart', 'launchProbes'] },
        'frame.serverStatus': [
          { guard: 'isRestartsLastAnswer', target: 'running', actions: ['finishRestart', 'launchProbes'] },
          { actions: ['takeStatus', 'launchProbes'] },
        ],
        'probe.timeout': [
          { guard: 'isRestartsLastAnswer', target: 'running', actions: ['finishRestart', 'launchProbes'] },
          { actions: ['takeStatus', 'launchProbes'] },
        ],
      },
    },
    running: {
      on: {
        'frame.members': { guard: 'isFromGfd', actions: ['takeMembers', 'launchProbes'] },
        'frame.membership': { guard: 'isFromGfd', actions: ['takeMembership', 'launchProbes'] },
        // Elsewhere a leaving server stops when its wait for `released` runs out, as after a crash.
        'frame.leaving': { guard: 'isFromGfd', actions: 'takeLeaving' },
      },
      after: { recoveryRetry: { target: 'running', reenter: true, actions: 'retryRecoveries' } },
    },
  },
  invoke: [
    {
      src: 'listener',
      id: LISTENER,
      input: ({ context }) => listenOn(
        LISTENER,
        context.config.rms.find((r) => r.name === context.name) ?? context.config.rms[0]!,
        'rm',
        { name: context.name, role: 'rm' },
        context.config,
      ),
    },
    {
      src: 'links',
      id: PROBES,
      input: ({ context }) => linksOf(PROBES, { name: context.name, role: 'rm' }, 'server', context.config.cluster, { hello: false }),
    },
    {
      src: 'leadership',
      id: LEADERSHIP,
      input: ({ context }) => ({ etcd: context.config.etcd, role: 'rm', name: context.name }),
    },
    {
      src: 'leadership',
      id: GFD_WATCH,
      input: ({ context }) => ({ etcd: context.config.etcd, role: 'gfd', name: null }),
    },
  ],
  on: {
    'lead.leader': [
      { guard: 'isRmElection', actions: 'takeLeader' },
      { guard: 'isGfdElection', actions: 'followGfd' },
    ],
    'lead.deposed': { target: '.standby', actions: 'stepDown' },
    'lead.granted': { actions: 'takeGrant' },
    // Told by its own campaign; the GFDs' observer meets the same etcd.
    'lead.trouble': { guard: 'isRmElection', actions: 'noteEtcd' },
    'lead.back': { guard: 'isRmElection', actions: 'noteEtcd' },
    'link.refused': { actions: 'logRefused' },
    'frame.hello': { actions: 'greetGfd' },
    'link.down': { actions: 'forgetLink' },
    'link.up': { guard: 'isFromProbe', actions: 'askStatus' },
    // An answer may lead to another question (a rejoin while the RM chooses from disk).
    'frame.serverStatus': { actions: ['takeStatus', 'launchProbes'] },
    'probe.timeout': { actions: ['takeStatus', 'launchProbes'] },
    'choice.due': { actions: 'chooseNow' },
    'frame.serving': { guard: 'isFromGfd', actions: 'takeServing' },
    'frame.clientHello': { actions: 'registerClient' },
    'frame.directoryQuery': { actions: 'answerDirectory' },
    'frame.statusQuery': { actions: 'answerStatus' },
    'frame.drain': { actions: 'takeDrain' },
    'config.reload': { actions: 'takeReload' },
  },
});
