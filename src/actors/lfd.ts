/**
 * Local fault detector: launches its server, heartbeats it, reports it to the GFD as added when it
 * first answers and as deleted when it fails, answers the GFD's heartbeats, and passes commands
 * down and `serving` up. With several GFDs it links to each and reports to all of them, so that a
 * standby GFD knows the membership when it takes over (docs/coordination.md).
 */
import { and, assertEvent, assign, enqueueActions, not, raise, sendTo, setup, stateIn } from 'xstate';
import type { ClusterConfig, ServerConfig } from '../config/types.js';
import type { Print } from '../log/events.js';
import type { Frame } from '../protocol/frames.js';
import type { TransportEvent } from '../transport/types.js';
import { answer, print, runEffects, sendOn, transportSlots, type Effect, refusedLine } from './effects.js';
import { linksOf, linkTo, peerPortOf } from './wiring.js';
import { launcherSlot, type LauncherReport } from './launcher.js';
import { heartbeatMonitor, type MonitorReport } from './monitor.js';
import { heartbeatFrom, linkUp, noContact, shownBy, type GfdContact } from './gfd-contact.js';

export interface LfdInput {
  name: string;
  config: ClusterConfig;
  /** Start the server as a child process (false: `--no-launch`, watch one started by hand). */
  launch: boolean;
  print: Print;
}

interface LfdContext {
  name: string;
  server: ServerConfig;
  config: ClusterConfig;
  launch: boolean;
  print: Print;
  pid: number | null;
  /** A server found answering at start, watched instead of started (its pid from `status`). */
  attachPid: number | null;
  /** Deaths in a row without a stable run: the restart-storm guard's count. */
  deaths: number;
  /** A `launch` came while the old process still ran: start again once it is gone. */
  relaunch: boolean;
  /** The current process was reported added (so its death is reported, and the RM orders `launch`). */
  added: boolean;
  /** The current process was reported deleted: the RM's `launch` that follows is meant for it. */
  deleted: boolean;
  /**
   * Heartbeats sent to the server since its last answer. Silent with fewer than two, it was not
   * asked (its heartbeats were held back: no GFD heard this LFD), so its silence says nothing.
   */
  unanswered: number;
  /** The last heartbeat due was held back: it goes as soon as a GFD shows it heard this LFD. */
  owed: boolean;
  /** Heartbeats sent to the current server process (their numbers). */
  beats: number;
  contact: GfdContact;
  /** Told to stop gracefully (SIGTERM): its server drains, and this LFD ends once it is gone. */
  stopping: boolean;
  /** The current process said it leaves (drained): its exit is not a failure. */
  leaving: boolean;
}

/** `lfd.renew`: the process on the server link answered `status`, so the watch starts afresh. */
type LfdEvent = TransportEvent | MonitorReport | LauncherReport | { type: 'lfd.renew' } | { type: 'lfd.stop' } | { type: 'lfd.overdue' };

/** Every region's end: the LFD's machine is done. */
const STOPPED = ['#lfd.process.stopped', '#lfd.watch.unwatched', '#lfd.gfd.unheard'];

/** How long a first connection attempt may take before the LFD concludes nothing runs there. */
const PROBE_MS = 150;
const RESTART_BASE_MS = 500;
const RESTART_CAP_MS = 30_000;

/**
 * Reconnecting to its server: the server is on this host, so a refused connect costs next to
 * nothing, and a relaunched server is linked (and heartbeaten, and reported) within 50 ms of
 * listening rather than after a backoff grown while it started.
 */
const SERVER_BACKOFF = { initialMs: 10, maxMs: 50 } as const;

/** The first relaunch is immediate; a server that keeps dying waits 0.5 s, 1 s, 2 s, … up to 30 s. */
export function restartDelay(deaths: number): number {
  return deaths <= 1 ? 0 : Math.min(RESTART_CAP_MS, RESTART_BASE_MS * 2 ** (deaths - 2));
}

/**
 * How long after a GFD last heard it this LFD still renews its server's lease: three quarters of a
 * `heartbeat_timeout`. A cut-off server then stops answering at most 1.75 timeouts after that, a
 * quarter of a timeout before the RM can name another primary (the GFD fails the LFD one timeout
 * after its last answer and holds its servers for another: SPEC §6 Fencing). What a GFD heartbeat
 * shows is one GFD period old already (it names the answer to the one before), so at the default
 * three periods per timeout every beat renews; with fewer, a beat held back goes when the next GFD
 * heartbeat comes (`sendOwedHeartbeat`).
 */
function renewWindow(timeoutMs: number): number {
  return 0.75 * timeoutMs;
}

/**
 * How long after a GFD last heard it this LFD counts itself lost: `heartbeat_timeout`, plus the
 * GFD period by which what a heartbeat shows is always late.
 */
function lostAfter(settings: { heartbeatTimeoutMs: number; heartbeatFreqMs: number }): number {
  return settings.heartbeatTimeoutMs + settings.heartbeatFreqMs;
}

const SERVER_LINK = 'server';
/** The links actor: a link to each GFD, by its name. */
const GFD_LINKS = 'gfd';


function serverOf(config: ClusterConfig, lfd: string): ServerConfig {
  const entry = config.lfds.find((l) => l.name === lfd);
  const server = entry && config.servers.find((s) => s.name === entry.server);
  if (!server) throw new Error(`no LFD named ${lfd} in ${config.source}`);
  return server;
}

const failSilent = { type: 'failServer', params: { reason: 'no heartbeat answer' } } as const;
const failConnectionLost = { type: 'failServer', params: { reason: 'connection lost' } } as const;

const fromServer = ({ event }: { event: LfdEvent }) => 'origin' in event && event.origin.via === SERVER_LINK;
const fromGfd = ({ event }: { event: LfdEvent }) => 'origin' in event && event.origin.via === GFD_LINKS;
/** When a GFD heartbeat shows its GFD last heard this LFD (null: not a GFD heartbeat, or it shows nothing). */
const contactShown = (ctx: LfdContext, event: LfdEvent): number | null =>
  event.type === 'frame.heartbeat' && fromGfd({ event }) ? shownBy(ctx.contact, event.origin.link, event.frame) : null;

/** A frame for every GFD (the leader passes it on; a standby keeps what it says). */
function toGfds(ctx: LfdContext, frame: Frame): Effect[] {
  return ctx.config.gfds.map((gfd) => sendOn(GFD_LINKS, frame, gfd.name));
}

function membership(ctx: LfdContext, change: 'add' | 'delete'): Effect[] {
  return [
    print({ event: 'lfd.membership', name: ctx.name, server: ctx.server.name, change }),
    ...toGfds(ctx, { kind: 'membership', from: ctx.name, server: ctx.server.name, change }),
  ];
}

/** A warning line of this LFD. */
function warn(ctx: LfdContext, text: string): Effect {
  return print({ event: 'note', name: ctx.name, level: 'warn', text });
}

type FailReason = 'connection lost' | 'no heartbeat answer';

function failed(ctx: LfdContext, reason: FailReason): Effect {
  return print({
    event: 'lfd.failed',
    name: ctx.name,
    server: ctx.server.name,
    reason,
    timeoutS: ctx.config.cluster.heartbeatTimeoutMs / 1000,
  });
}

/** The next heartbeat to the server (a renewal of its lease), numbered and printed. */
function heartbeatServer(enqueue: Parameters<typeof runEffects>[0] & { assign(update: Partial<LfdContext>): void }, self: Parameters<typeof runEffects>[1], ctx: LfdContext): void {
  const count = ctx.beats + 1;
  enqueue.assign({ beats: count, owed: false, unanswered: ctx.unanswered + 1 });
  runEffects(enqueue, self, ctx.print, [
    print({ event: 'lfd.heartbeat', name: ctx.name, server: ctx.server.name, count }),
    sendOn(SERVER_LINK, { kind: 'heartbeat', from: ctx.name, to: ctx.server.name, count }),
  ]);
}

export const lfdMachine = setup({
  types: {
    input: {} as LfdInput,
    context: {} as LfdContext,
    events: {} as LfdEvent,
  },
  actors: { ...transportSlots, launcher: launcherSlot, monitor: heartbeatMonitor },
  delays: {
    probeTime: PROBE_MS,
    leaseTime: ({ context }) => context.config.cluster.heartbeatTimeoutMs,
    restartDelay: ({ context }) => restartDelay(context.deaths),
    stableTime: ({ context }) => 2 * context.config.cluster.heartbeatTimeoutMs,
    /** A draining server stops within 3 timeouts (its own bound); past 4 this LFD kills it. */
    stopWait: ({ context }) => 4 * context.config.cluster.heartbeatTimeoutMs,
    heartbeatFreq: ({ context }) => context.config.cluster.heartbeatFreqMs,
    untilLost: ({ context }) => {
      const timeout = context.config.cluster.heartbeatTimeoutMs;
      return context.contact.at === null ? timeout : Math.max(0, context.contact.at + lostAfter(context.config.cluster) - Date.now());
    },
  },
  guards: {
    isFromServer: fromServer,
    isStopping: ({ context }) => context.stopping,
    isLeaving: ({ context }) => context.leaving,
    isRelaunchPending: ({ context }) => context.relaunch,
    isLaunchForDeleted: and(['isFromGfd', ({ context }) => context.deleted]),
    /** On `launch`, an LFD whose server answers does nothing (the RM will hear `add`). */
    isServerSilent: and(['isFromGfd', not(stateIn('#serverAlive'))]),
    isFromGfd: fromGfd,
    isLaunching: ({ context }) => context.launch,
    /** The LFD's link to the server's peer port is up: some process holds the server's ports. */
    isPortHeld: stateIn('#lfdConnected'),
    /** A process runs under this LFD (started or attached by pid), so a SIGKILL can reach it. */
    isKillable: and(['isLaunching', stateIn('#lfdRunning')]),
    /** The process lost is the one reported added, and this LFD can kill it. */
    isReportedKillable: and(['isKillable', ({ context }) => context.added]),
    /** Its lease ran out: it boots again, or (it served) is suspended until the RM assigns it anew. */
    isLapsedStatus: and(['isFromServer', ({ event }) => event.type === 'frame.serverStatus' && (event.frame.phase === 'booting' || event.frame.phase === 'suspended')]),
    isStartedByHand: not('isLaunching'),
    /**
     * A heartbeat to the server renews its lease: it goes only within `renewWindow` of the latest
     * time a GFD is shown to have heard this LFD (docs/partitions.md).
     */
    mayRenew: ({ context }) => context.contact.at !== null && Date.now() < context.contact.at + renewWindow(context.config.cluster.heartbeatTimeoutMs),
    showsLaterContact: ({ context, event }) => {
      const shown = contactShown(context, event);
      return shown !== null && (context.contact.at === null || shown > context.contact.at);
    },
    showsRecentContact: ({ context, event }) => {
      const shown = contactShown(context, event);
      return shown !== null && Date.now() < shown + lostAfter(context.config.cluster);
    },
    wasNotAsked: ({ context }) => context.unanswered < 2,
    /** A heartbeat due to a watched server was held back. */
    isOwed: and([({ context }) => context.owed, stateIn('#lfdConnected')]),
    isSuspendedStatus: and(['isFromServer', ({ event }) => event.type === 'frame.serverStatus' && event.frame.phase === 'suspended']),
    isLostByHand: and(['isFromServer', not('isLaunching')]),
  },
  actions: {
    logRefused: enqueueActions(({ enqueue, self, context, event }) => {
      if (event.type === 'link.refused') runEffects(enqueue, self, context.print, [refusedLine(context.name, event)]);
    }),
    apply: enqueueActions(({ enqueue, self, context }, effects: Effect[]) =>
      runEffects(enqueue, self, context.print, effects),
    ),
    reportAdd: enqueueActions(({ enqueue, self, context }) => {
      enqueue.assign({ added: true });
      runEffects(enqueue, self, context.print, membership(context, 'add'));
    }),
    linkGfds: enqueueActions(({ enqueue, context }) => {
      enqueue.sendTo(GFD_LINKS, { type: 'links.want', peers: context.config.gfds.map(({ name, host, port }) => ({ name, host, port })) });
    }),
    /** A link to a GFD that comes (back) up learns again what this LFD knows. */
    reportAddAgain: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'link.up');
      runEffects(enqueue, self, context.print, [
        answer(event.origin, { kind: 'membership', from: context.name, server: context.server.name, change: 'add' }),
      ]);
    }),
    /** A drained server stopped: reported deleted (the RM orders its relaunch), with no kill and no failure. */
    reportLeft: enqueueActions(({ enqueue, self, context }) => {
      enqueue.assign({ deleted: true });
      runEffects(enqueue, self, context.print, [
        print({ event: 'note', name: context.name, level: 'info', text: `${context.server.name} left after its drain` }),
        ...membership(context, 'delete'),
      ]);
    }),
    /** The server failed: say why, and report it deleted. */
    failServer: enqueueActions(({ enqueue, self, context }, params: { reason: FailReason }) => {
      enqueue.assign({ deleted: true });
      runEffects(enqueue, self, context.print, [failed(context, params.reason), ...membership(context, 'delete')]);
    }),
    sendHeartbeat: enqueueActions(({ enqueue, self, context }) => heartbeatServer(enqueue, self, context)),
    /** A heartbeat held back goes once a GFD heartbeat shows recent contact (so renewals keep pace with the GFD's). */
    sendOwedHeartbeat: enqueueActions(({ enqueue, self, context, check }) => {
      if (check('isOwed') && check('mayRenew')) heartbeatServer(enqueue, self, context);
    }),
    /** A GFD heartbeat: answered on its link, and what it shows of the GFD's contact taken. */
    takeGfdHeartbeat: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.heartbeat');
      const frame: Frame = { kind: 'heartbeat', from: context.name, to: event.frame.from, count: event.frame.count };
      enqueue.assign({ contact: heartbeatFrom(context.contact, event.origin.link, event.frame, Date.now()) });
      runEffects(enqueue, self, context.print, [answer(event.origin, frame)]);
    }),
    assignGfdLinkUp: assign(({ context, event }) => {
      assertEvent(event, 'link.up');
      return { contact: linkUp(context.contact, event.origin.link, Date.now()) };
    }),
    passDown: enqueueActions(({ enqueue, self, context, event }) => {
      if (!('frame' in event)) return;
      runEffects(enqueue, self, context.print, [sendOn(SERVER_LINK, event.frame)]);
    }),
    passUp: enqueueActions(({ enqueue, self, context, event }) => {
      if (!('frame' in event)) return;
      runEffects(enqueue, self, context.print, toGfds(context, event.frame));
    }),
    forwardAnswer: enqueueActions(({ enqueue, context }) => {
      if (context.unanswered > 0) enqueue.assign({ unanswered: 0 });
      enqueue.sendTo('monitor', { type: 'answer' });
    }),
    assignOwed: assign({ owed: true }),
    /** Silent, but not asked: the watch starts again from now. */
    rearmWatch: sendTo('monitor', { type: 'answer' }),
    printGfdLost: enqueueActions(({ enqueue, self, context }) =>
      runEffects(enqueue, self, context.print, [
        warn(context, `hears no GFD for ${context.config.cluster.heartbeatTimeoutMs / 1000} s: ${context.server.name}'s lease is not renewed`),
      ]),
    ),
    printGfdBack: enqueueActions(({ enqueue, self, context }) =>
      runEffects(enqueue, self, context.print, [warn(context, `hears a GFD again: ${context.server.name}'s lease is renewed`)]),
    ),
    /** Its server's lease ran out and is renewed again: reported again, the RM assigns it anew. */
    reportSuspended: enqueueActions(({ enqueue, self, context }) =>
      runEffects(enqueue, self, context.print, toGfds(context, { kind: 'membership', from: context.name, server: context.server.name, change: 'add' })),
    ),
    killProcess: enqueueActions(({ enqueue, self }) => {
      if ('process' in self.getSnapshot().children) enqueue.sendTo('process', { type: 'kill' });
    }),
    /** SIGTERM to its server, which drains; this LFD waits for it to exit (at most `stopWait`). */
    drainProcess: enqueueActions(({ enqueue, self, context }) => {
      enqueue.assign({ stopping: true });
      enqueue.sendTo('process', { type: 'term' });
      enqueue.raise({ type: 'lfd.overdue' }, { delay: 'stopWait' });
      runEffects(enqueue, self, context.print, [warn(context, `stops: drains ${context.server.name} first`)]);
    }),
    askStatus: enqueueActions(({ enqueue, self, context }) =>
      runEffects(enqueue, self, context.print, [
        sendOn(SERVER_LINK, { kind: 'statusQuery', from: context.name, target: context.server.name }),
      ]),
    ),
    assignAttachPid: assign(({ event }) => {
      assertEvent(event, 'frame.serverStatus');
      return { attachPid: event.frame.pid };
    }),
    assignPid: assign(({ event }) => {
      assertEvent(event, 'process.started');
      return { pid: event.pid };
    }),
    assignRelaunch: assign({ relaunch: true }),
    printFenced: enqueueActions(({ enqueue, self, context }) =>
      runEffects(enqueue, self, context.print, [
        warn(context, `${context.server.name} was reported deleted and this LFD cannot kill it: no heartbeats until its lease has run out`),
      ]),
    ),
    renewWatch: raise({ type: 'lfd.renew' }),
    /**
     * Another process to watch: not reported deleted; a fresh one has not answered yet, an attached
     * one may have (while this LFD probed, on the same link).
     */
    assignNotAddedIfNew: assign(({ context }) => (context.attachPid === null ? { added: false, deleted: false, leaving: false } : { deleted: false, leaving: false })),
    printHeld: enqueueActions(({ enqueue, self, context }) =>
      runEffects(enqueue, self, context.print, [
        warn(context, `${context.server.name}'s ports are held by a process that does not answer; waiting for it (a new one could not bind)`),
      ]),
    ),
    printSilent: enqueueActions(({ enqueue, self, context }) =>
      runEffects(enqueue, self, context.print, [failed(context, 'no heartbeat answer')]),
    ),
    /**
     * The process is gone. One that never served was never reported, so no `launch` will come for
     * it: this LFD starts it again itself (through the restart-storm guard).
     */
    assignDeath: assign(({ context }) => ({
      deaths: context.deaths + 1,
      attachPid: null,
      pid: null,
      relaunch: context.relaunch || !context.added,
      added: false,
    })),
    assignNoDeaths: assign({ deaths: 0 }),
    printRestartDelay: enqueueActions(({ enqueue, self, context }) => {
      enqueue.assign({ relaunch: false });
      const delay = restartDelay(context.deaths);
      if (delay === 0) return;
      runEffects(enqueue, self, context.print, [warn(context, `${context.server.name} died ${context.deaths} times in a row; next start in ${delay / 1000} s`)]);
    }),
    printLaunching: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'process.started');
      const line: Effect =
        context.attachPid === null
          ? print({ event: 'lfd.launching', name: context.name, server: context.server.name, pid: event.pid })
          : warn(context, `attached to ${context.server.name} (pid ${event.pid}), already running`);
      runEffects(enqueue, self, context.print, [line]);
    }),
    printExited: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'process.exited');
      runEffects(enqueue, self, context.print, [
        print({ event: 'lfd.exited', name: context.name, server: context.server.name, pid: event.pid, how: event.how }),
      ]);
    }),
  },
}).createMachine({
  id: 'lfd',
  context: ({ input }) => ({
    name: input.name,
    server: serverOf(input.config, input.name),
    config: input.config,
    launch: input.launch,
    print: input.print,
    pid: null,
    attachPid: null,
    deaths: 0,
    relaunch: false,
    added: false,
    deleted: false,
    unanswered: 0,
    owed: false,
    beats: 0,
    contact: noContact,
    stopping: false,
    leaving: false,
  }),
  invoke: [
    {
      src: 'link',
      id: SERVER_LINK,
      input: ({ context }) =>
        linkTo(
          SERVER_LINK,
          peerPortOf(context.server),
          { name: context.name, role: 'lfd' },
          'server',
          context.config.cluster,
          { hello: true, backoff: SERVER_BACKOFF },
        ),
    },
    {
      src: 'links',
      id: GFD_LINKS,
      input: ({ context }) => linksOf(GFD_LINKS, { name: context.name, role: 'lfd' }, 'gfd', context.config.cluster, { hello: true }),
    },
  ],
  entry: 'linkGfds',
  type: 'parallel',
  on: {
    'link.refused': { actions: 'logRefused' },
    'frame.ready': { guard: 'isFromGfd', actions: 'passDown' },
    'frame.sendCheckpoint': { guard: 'isFromGfd', actions: 'passDown' },
    'frame.serving': { guard: 'isFromServer', actions: 'passUp' },
    'frame.leaving': { guard: 'isFromServer', actions: ['passUp', assign({ leaving: true })] },
    'frame.drain': { guard: 'isFromGfd', actions: 'passDown' },
    'frame.released': { guard: 'isFromGfd', actions: 'passDown' },
    // SIGTERM: a server it runs drains first; otherwise it just stops. Again: at once.
    'lfd.stop': [{ guard: and(['isKillable', not('isStopping')]), actions: 'drainProcess' }, { target: STOPPED }],
    'lfd.overdue': { actions: 'killProcess' },
  },
  states: {
    process: {
      initial: 'deciding',
      states: {
        deciding: { always: [{ guard: 'isLaunching', target: 'probing' }, { target: 'external' }] },
        /** A server may already run (this LFD restarted): if it answers our hello, attach to it. */
        probing: {
          on: { 'frame.hello': { guard: 'isFromServer', target: 'attaching' } },
          after: {
            // Something holds the ports but says nothing yet (a frozen process): never launch over it.
            probeTime: [{ guard: 'isPortHeld', target: 'attaching' }, { target: 'running' }],
          },
        },
        /**
         * A process holds the server's ports: learn its pid from its `status` and watch it. A
         * process started now could not bind, so this LFD waits as long as the ports stay held.
         */
        attaching: {
          entry: 'askStatus',
          on: {
            'frame.serverStatus': { guard: 'isFromServer', target: 'running', actions: ['assignAttachPid', 'renewWatch'] },
            // A new connection to the holder (it closed the last one as its lease ran out): ask again.
            'frame.hello': { guard: 'isFromServer', target: 'attaching', reenter: true },
            // Gone, or only its link: give it a moment to be reached again.
            'link.down': { guard: 'isFromServer', target: 'probing' },
          },
          after: { leaseTime: [{ guard: 'isPortHeld', target: 'held', actions: 'printHeld' }, { target: 'running' }] },
        },
        /** The holder answered nothing in `heartbeat_timeout` (frozen): wait for it, asking again now and then. */
        held: {
          on: {
            'frame.serverStatus': { guard: 'isFromServer', target: 'running', actions: ['assignAttachPid', 'renewWatch'] },
            'frame.hello': { guard: 'isFromServer', target: 'attaching' },
            'link.down': { guard: 'isFromServer', target: 'probing' },
          },
          after: { leaseTime: { target: 'held', reenter: true, actions: 'askStatus' } },
        },
        running: {
          id: 'lfdRunning',
          entry: 'assignNotAddedIfNew',
          invoke: {
            src: 'launcher',
            id: 'process',
            input: ({ context }) => ({ server: context.server.name, attachPid: context.attachPid }),
          },
          on: {
            'process.started': { actions: ['assignPid', 'printLaunching'] },
            'process.exited': [{ guard: 'isStopping', target: STOPPED, actions: 'printExited' }, { target: 'dead', actions: ['printExited', 'assignDeath'] }],
            // The `launch` for a process this LFD reported deleted, come before its exit did (an
            // attached one's exit is seen at the next poll): start again once it is gone.
            'frame.launch': { guard: 'isLaunchForDeleted', actions: ['killProcess', 'assignRelaunch'] },
          },
          initial: 'starting',
          states: {
            /** A new process needs time to answer: a `launch` now would only kill it. */
            starting: { after: { leaseTime: 'settled' } },
            settled: {
              on: {
                // The RM heard of a failure; if our server does not answer, replace it.
                'frame.launch': { guard: 'isServerSilent', actions: ['killProcess', 'assignRelaunch'] },
              },
            },
          },
        },
        dead: {
          always: { guard: 'isRelaunchPending', target: 'restarting' },
          on: {
            'frame.launch': { guard: 'isFromGfd', target: 'restarting' },
            // Back on the GFD after its link was lost: the `launch` may have been lost with it.
            'link.up': { guard: 'isFromGfd', target: 'restarting' },
          },
        },
        /** The restart-storm guard: a server that keeps dying is started again ever more slowly. */
        restarting: {
          entry: 'printRestartDelay',
          after: { restartDelay: 'launching' },
        },
        /**
         * Before a launch: while some process holds the server's ports (an orphan, a frozen one, or
         * the last one, its link not down yet), wait a moment and then attach to it instead.
         */
        launching: {
          always: { guard: not('isPortHeld'), target: 'running' },
          on: { 'frame.hello': { guard: 'isFromServer', target: 'attaching' } },
          after: { probeTime: 'attaching' },
        },
        /** `--no-launch`: the server was started by hand; this LFD cannot start or kill it. */
        external: {},
        stopped: { type: 'final' },
      },
    },
    watch: {
      initial: 'disconnected',
      states: {
        unwatched: { type: 'final' },
        disconnected: {
          on: { 'link.up': { guard: 'isFromServer', target: 'connected' } },
        },
        /**
         * The server was reported deleted while it may still run with its role and state (this LFD
         * could not kill it). Heartbeats would renew its lease, and reported added again it would
         * confirm its old `ready` and count as serving without the requests it missed meanwhile. So
         * it gets none until its status says its lease ran out (`booting`, or `suspended`: it then
         * recovers on its next `ready`): then it is a member like a new process.
         */
        fencing: {
          entry: 'printFenced',
          on: { 'frame.serverStatus': { guard: 'isLapsedStatus', target: 'connected' } },
          initial: 'asking',
          states: {
            /** Its status, every `heartbeat_freq`, until it says its lease ran out. */
            asking: {
              entry: 'askStatus',
              after: { heartbeatFreq: { target: 'asking', reenter: true } },
              on: { 'link.down': { guard: 'isFromServer', target: 'unreachable' } },
            },
            /** The link to it is down (it still runs, or a new process will answer): ask again once it is back. */
            unreachable: {
              on: { 'link.up': { guard: 'isFromServer', target: 'asking' } },
            },
          },
        },
        connected: {
          id: 'lfdConnected',
          // A new watch: heartbeats held back from an earlier process say nothing of this one.
          entry: assign({ unanswered: 0, owed: false, beats: 0 }),
          invoke: {
            src: 'monitor',
            id: 'monitor',
            input: ({ context }) => ({
              key: context.server.name,
              freqMs: context.config.cluster.heartbeatFreqMs,
              timeoutMs: context.config.cluster.heartbeatTimeoutMs,
            }),
          },
          on: {
            'monitor.beat': [{ guard: 'mayRenew', actions: 'sendHeartbeat' }, { actions: 'assignOwed' }],
          },
          initial: 'unconfirmed',
          states: {
            /** Linked, no answer yet: not a member until it answers. */
            unconfirmed: {
              on: {
                'frame.heartbeat': { guard: 'isFromServer', target: 'alive', actions: ['forwardAnswer', 'reportAdd'] },
                'monitor.silent': [
                  { guard: 'wasNotAsked', actions: 'rearmWatch' },
                  { guard: 'isKillable', target: 'hung', actions: ['killProcess', 'printSilent'] },
                  { target: 'silent', actions: 'printSilent' },
                ],
                'link.down': { guard: 'isFromServer', target: '#lfd.watch.disconnected' },
              },
            },
            alive: {
              id: 'serverAlive',
              after: { stableTime: { actions: 'assignNoDeaths' } },
              on: {
                'frame.heartbeat': { guard: 'isFromServer', actions: 'forwardAnswer' },
                // SIGKILL before `delete`: a hung server must never answer again once replaced.
                'monitor.silent': [
                  { guard: 'wasNotAsked', actions: 'rearmWatch' },
                  { guard: 'isKillable', target: 'hung', actions: ['killProcess', failSilent] },
                  { guard: 'isStartedByHand', target: '#lfd.watch.fencing', actions: failSilent },
                  { target: 'silent', actions: failSilent },
                ],
                // SIGKILL before `delete` here too: a deleted server must come back as a new process
                // that recovers, never as the old one still holding its state (SPEC §6 Deletion).
                // One started by hand cannot be killed: it is fenced instead (`fencing`). A launching
                // LFD's process is gone or being replaced, and what it starts next boots afresh.
                'link.down': [
                  { guard: and(['isFromServer', 'isLeaving']), target: '#lfd.watch.disconnected', actions: 'reportLeft' },
                  { guard: and(['isFromServer', 'isReportedKillable']), target: '#lfd.watch.disconnected', actions: ['killProcess', failConnectionLost] },
                  { guard: 'isLostByHand', target: '#lfd.watch.fencing.unreachable', actions: failConnectionLost },
                  { guard: 'isFromServer', target: '#lfd.watch.disconnected', actions: failConnectionLost },
                ],
                'link.up': { guard: 'isFromGfd', actions: 'reportAddAgain' },
                'frame.serverStatus': { guard: 'isSuspendedStatus', actions: 'reportSuspended' },
              },
            },
            /** Killed for silence: its last words, still on their way, are ignored. */
            hung: {
              on: {
                'link.down': { guard: 'isFromServer', target: '#lfd.watch.disconnected' },
                // The process on this link answered `status`: not the one killed, so watch it afresh.
                'lfd.renew': { target: '#lfdConnected', reenter: true },
              },
            },
            /**
             * Silent, and not killed (a server this LFD cannot kill: started by hand, or one it has
             * not attached to yet): an answer (a server thawed) makes it a member again.
             */
            silent: {
              on: {
                'frame.heartbeat': { guard: 'isFromServer', target: 'alive', actions: ['forwardAnswer', 'reportAdd'] },
                'link.down': { guard: 'isFromServer', target: '#lfd.watch.disconnected' },
              },
            },
          },
        },
      },
    },
    /**
     * Whether a GFD hears this LFD (any of them: each heartbeats every LFD), which the server's
     * lease follows (`mayRenew`, docs/partitions.md). Each GFD heartbeat is answered on its own link
     * and shows when that GFD last heard this LFD (`gfd-contact.ts`).
     */
    gfd: {
      initial: 'hearing',
      on: { 'link.up': { guard: 'isFromGfd', actions: 'assignGfdLinkUp' } },
      states: {
        unheard: { type: 'final' },
        /** Some GFD heard this LFD within `heartbeat_timeout` (or it started less than that ago). */
        hearing: {
          on: {
            'frame.heartbeat': [
              { guard: and(['isFromGfd', 'showsLaterContact']), target: 'hearing', reenter: true, actions: ['takeGfdHeartbeat', 'sendOwedHeartbeat'] },
              { guard: 'isFromGfd', actions: 'takeGfdHeartbeat' },
            ],
          },
          after: { untilLost: 'lost' },
        },
        /** No GFD has heard it for `heartbeat_timeout`: they have given it up, or soon will. */
        lost: {
          entry: 'printGfdLost',
          on: {
            'frame.heartbeat': [
              { guard: and(['isFromGfd', 'showsRecentContact']), target: 'hearing', actions: ['takeGfdHeartbeat', 'printGfdBack', 'sendOwedHeartbeat'] },
              { guard: 'isFromGfd', actions: 'takeGfdHeartbeat' },
            ],
          },
        },
      },
    },
  },
});
