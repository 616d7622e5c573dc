/**
 * A client: asks the RM where to send and keeps listening for changes; sends numbered requests
 * (active: to every serving replica, keeping the first reply; passive: to the primary, resending the
 * same number after a failover); gives up only after three empty rounds with nowhere to send.
 */
import { assertEvent, assign, emit, enqueueActions, raise, setup } from 'xstate';
import type { ClientConfig, ClusterConfig } from '../config/types.js';
import type { Print } from '../log/events.js';
import { lastNumberOf } from '../protocol/codec.js';
import { PASSING_REFUSALS, type FailedFrame, type Mode, type ReplyFrame, type RequestFrame } from '../protocol/frames.js';
import type { TransportEvent } from '../transport/types.js';
import { print, runEffects, sendOn, transportSlots, type Effect, refusedLine } from './effects.js';
import { clientPortOf, configNaming, directoryServer, linksOf, wantServers } from './wiring.js';

export interface ClientInput {
  name: string;
  config: ClusterConfig;
  print: Print;
  /** Stop after this many answered requests (exit 0). */
  count?: number;
  /** Between an answer and the next request; 0: at once (the client library). */
  intervalMs?: number;
  /** Take each request's string from `line` or `request.submit` events instead of `message` + number. */
  stdin?: boolean;
  /** Give up after three empty rounds (SPEC §6 Clients); the library waits for its callers' timeouts instead. */
  giveUp?: boolean;
  /** The configuration as its file says now (null: unreadable), for servers a reload added since the start. */
  reloadConfig?: () => ClusterConfig | null;
}

/**
 * Requests fed from outside: `line` (standard input) and `request.submit` (the client library, whose
 * `id` comes back with the answer); `request.cancel` drops a submitted request not sent yet.
 */
export type ClientLineEvent =
  | { type: 'line'; text: string }
  | { type: 'eof' }
  | { type: 'request.submit'; id: number; body: string }
  | { type: 'request.cancel'; id: number };

/** Emitted (`actor.on`) when the request fed with `id` got its first answer. */
export interface AnsweredEvent {
  type: 'request.answered';
  id: number | null;
  num: number;
  server: string;
  result: string;
  /** The application's `apply` threw; `result` is its message. */
  failed: boolean;
}

interface Fed {
  id: number | null;
  body: string;
}

interface ClientContext {
  name: string;
  config: ClusterConfig;
  reloadConfig: (() => ClusterConfig | null) | null;
  print: Print;
  message: string;
  intervalMs: number;
  count: number | null;
  stdin: boolean;
  giveUp: boolean;
  mode: Mode;
  /** Where the RM says to send (serving replicas; the primary alone in passive mode). */
  servers: string[];
  /** The RMs whose link is up (links go to every RM; a standby sends the client to the leader). */
  rmsUp: string[];
  /** Servers whose link is up (links go to `servers`). */
  up: string[];
  /** The request in flight or next to send. */
  num: number;
  body: string | null;
  /** The fed request being sent (its id), and those waiting behind it. */
  current: number | null;
  /** The current request went out to a server at least once (a cancel can no longer take it back). */
  sent: boolean;
  lines: Fed[];
  inputDone: boolean;
  /** The last number answered, whose later replies are duplicates. */
  lastAnswered: number;
  answered: number;
  /** Sent the current request to these servers already. */
  sentTo: string[];
  answeredThisRound: boolean;
  emptyRounds: number;
}

type ClientEvent = TransportEvent | ClientLineEvent | { type: 'service.seen' } | { type: 'refusal.retry'; num: number };

/**
 * Passive: after a refusal that the primary of the RM's latest view is about to lift, the same
 * number goes again this much later (to the primary of the RM's view by then), not after a whole
 * `heartbeat_timeout` without a reply. The RM names a new primary only once it said it serves,
 * but a view can still cross a role change on the way (`not primary`), and a replica whose lease
 * ran out says `suspended` until the RM assigns it again or names another.
 */
export const REFUSAL_RETRY_MS = 20;
const passing: readonly string[] = Object.values(PASSING_REFUSALS);
type Answer = ReplyFrame | FailedFrame;
const resultOf = (f: Answer): string => (f.kind === 'reply' ? f.result : f.message);
const isAnswer = (e: ClientEvent): e is Extract<ClientEvent, { type: 'frame.reply' | 'frame.failed' }> =>
  e.type === 'frame.reply' || e.type === 'frame.failed';

/** While sending: a `reply` or a `failed` answers the current request; an earlier number's is a duplicate. */
const takeAnswer = () => [
  { guard: 'isCurrentReply' as const, target: 'waiting' as const, actions: 'takeReply' as const },
  { guard: 'isDuplicateReply' as const, actions: 'discardDuplicate' as const },
];

export interface ClientOutput {
  exitCode: number;
}

const RM_LINK = 'rm';
/** The links actor: a link to each server the RM names. */
const SERVER_LINKS = 'servers';

/** Lost links are retried from 50 ms on, always more often than requests go out (SPEC §6 Clients). */
function retryBackoff(intervalMs: number) {
  return { initialMs: 50, maxMs: Math.max(50, Math.min(1000, intervalMs / 2)) };
}

function requestFrame(ctx: ClientContext, server: string): RequestFrame {
  return { kind: 'request', client: ctx.name, server, num: ctx.num, body: ctx.body ?? '' };
}

/** Sends the current request to every reachable target not yet sent to. */
function sendCurrent(ctx: ClientContext, resend: boolean): { sentTo: string[]; effects: Effect[] } {
  const targets = ctx.servers.filter((s) => ctx.up.includes(s) && (resend || !ctx.sentTo.includes(s)));
  const effects = targets.flatMap((server) => [
    print({ event: 'client.sent', name: ctx.name, request: { client: ctx.name, server, num: ctx.num }, body: ctx.body ?? '' }),
    sendOn(SERVER_LINKS, requestFrame(ctx, server), server),
  ]);
  return { sentTo: [...new Set([...ctx.sentTo, ...targets])], effects };
}

export const clientMachine = setup({
  types: {
    input: {} as ClientInput,
    context: {} as ClientContext,
    events: {} as ClientEvent,
    output: {} as ClientOutput,
    emitted: {} as AnsweredEvent,
  },
  actors: transportSlots,
  delays: {
    interval: ({ context }) => context.intervalMs,
    replyTimeout: ({ context }) => context.config.cluster.heartbeatTimeoutMs,
    startupTime: ({ context }) => 2 * context.config.cluster.heartbeatTimeoutMs,
  },
  guards: {
    isFromRm: ({ event }) => 'origin' in event && event.origin.via === RM_LINK,
    /** A link to a server the RM still names (a stopped link's last word is not). */
    isFromServerLink: ({ context, event }) =>
      'origin' in event && event.origin.via === SERVER_LINKS && context.servers.includes(event.origin.link),
    isCurrentReply: ({ context, event }) => isAnswer(event) && event.frame.num === context.num,
    /** A reply to a number already answered: a later copy from another replica, or a late one. */
    isDuplicateReply: ({ context, event }) => isAnswer(event) && event.frame.num <= context.lastAnswered,
    isImmediate: ({ context }) => context.intervalMs === 0,
    isCurrentUnsent: ({ context, event }) => event.type === 'request.cancel' && event.id === context.current && !context.sent,
    isDone: ({ context }) => context.count !== null && context.answered >= context.count,
    hasBody: ({ context }) => context.body !== null,
    isInputDone: ({ context }) => context.stdin && context.inputDone && context.lines.length === 0,
    isPassive: ({ context }) => context.mode === 'passive',
    isEveryServerDead: ({ context }) => context.giveUp && context.emptyRounds >= 3,
    isPassingRefusal: ({ context, event }) =>
      event.type === 'frame.error' && context.mode === 'passive' && context.servers.includes(event.frame.name) && passing.includes(event.frame.message),
    /** The retry of the number still being sent (a late one, for a number since answered, is not). */
    isRetryOfCurrent: ({ context, event }) => event.type === 'refusal.retry' && event.num === context.num,
    /** `<S1, C1 last 15, error>`: this name was used before; go on above its last number. */
    isLastNumber: ({ context, event }) => {
      assertEvent(event, 'frame.error');
      const last = lastNumberOf(event.frame.message, context.name);
      // A late refusal of an older number must not take the client back.
      return last !== null && last >= context.num;
    },
  },
  actions: {
    logRefused: enqueueActions(({ enqueue, self, context, event }) => {
      if (event.type === 'link.refused') runEffects(enqueue, self, context.print, [refusedLine(context.name, event)]);
    }),
    askRm: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'link.up');
      runEffects(enqueue, self, context.print, [sendOn(RM_LINK, { kind: 'clientHello', client: context.name }, event.origin.link)]);
    }),
    /** Every RM the configuration names: the leader answers with views, a standby with a redirect. */
    linkRms: enqueueActions(({ enqueue, context }) => {
      enqueue.sendTo(RM_LINK, { type: 'links.want', peers: context.config.rms.map(({ name, host, port }) => ({ name, host, port })) });
    }),
    /**
     * Where the RM says to send: a link to each of those servers (those linked already stay). A
     * server neither the configuration nor its file names (a reload added it since this client
     * started, or it knows only the RM) is asked of the RM's directory.
     */
    takeView: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.clientView');
      const { mode, servers } = event.frame;
      const config = configNaming(context.config, servers, context.reloadConfig);
      enqueue.sendTo(SERVER_LINKS, wantServers(config.servers, servers, clientPortOf));
      if (servers.some((name) => !config.servers.some((s) => s.name === name))) {
        runEffects(enqueue, self, context.print, [sendOn(RM_LINK, { kind: 'directoryQuery', client: context.name }, event.origin.link)]);
      }
      // Told only by an event of its own: a second region taking `frame.clientView` would pre-empt this.
      if (servers.length > 0) enqueue.raise({ type: 'service.seen' });
      enqueue.assign({ mode, servers, up: context.up.filter((s) => servers.includes(s)), config });
    }),
    /** The RM's directory: the servers it names that this client did not know, linked if the view names them. */
    takeDirectory: enqueueActions(({ enqueue, context, event }) => {
      assertEvent(event, 'frame.directory');
      const added = event.frame.servers
        .filter(({ server }) => !context.config.servers.some((s) => s.name === server))
        .map(directoryServer);
      if (added.length === 0) return;
      const config = { ...context.config, servers: [...context.config.servers, ...added] };
      enqueue.assign({ config });
      enqueue.sendTo(SERVER_LINKS, wantServers(config.servers, context.servers, clientPortOf));
    }),
    assignRmUp: assign(({ context, event }) => {
      assertEvent(event, 'link.up');
      return { rmsUp: [...context.rmsUp.filter((r) => r !== event.origin.link), event.origin.link] };
    }),
    assignRmDown: assign(({ context, event }) => {
      assertEvent(event, 'link.down');
      return { rmsUp: context.rmsUp.filter((r) => r !== event.origin.link) };
    }),
    assignServerDown: assign(({ context, event }) => {
      assertEvent(event, 'link.down');
      const s = event.origin.link;
      return { up: context.up.filter((u) => u !== s), sentTo: context.sentTo.filter((u) => u !== s) };
    }),
    assignServerUp: assign(({ context, event }) => {
      assertEvent(event, 'link.up');
      const s = event.origin.link;
      return { up: [...context.up.filter((u) => u !== s), s] };
    }),
    assignNextRequest: assign(({ context }) => {
      if (!context.stdin) return { body: `${context.message}${context.num}`, sentTo: [] };
      const [line, ...lines] = context.lines;
      return { body: line?.body ?? null, current: line?.id ?? null, lines, sentTo: [], sent: false };
    }),
    assignQueuedLine: assign(({ context, event }) => {
      if (event.type === 'request.submit') return { lines: [...context.lines, { id: event.id, body: event.body }] };
      if (event.type !== 'line' || event.text === '') return {};
      return { lines: [...context.lines, { id: null, body: event.text }] };
    }),
    assignCurrentDropped: assign({ body: null, current: null }),
    assignQueuedDropped: assign(({ context, event }) => {
      assertEvent(event, 'request.cancel');
      return { lines: context.lines.filter((l) => l.id !== event.id) };
    }),
    assignInputDone: assign({ inputDone: true }),
    send: enqueueActions(({ enqueue, self, context }) => {
      const { sentTo, effects } = sendCurrent(context, false);
      enqueue.assign({ sentTo, sent: context.sent || sentTo.length > 0 });
      runEffects(enqueue, self, context.print, effects);
    }),
    resend: enqueueActions(({ enqueue, self, context }) => {
      const { sentTo, effects } = sendCurrent(context, true);
      enqueue.assign({ sentTo, sent: context.sent || sentTo.length > 0 });
      runEffects(enqueue, self, context.print, effects);
    }),
    takeReply: enqueueActions(({ enqueue, self, context, event }) => {
      if (!isAnswer(event)) return;
      const f = event.frame;
      const failed = f.kind === 'failed';
      enqueue.assign({
        lastAnswered: f.num,
        answered: context.answered + 1,
        num: f.num + 1,
        body: null,
        current: null,
        answeredThisRound: true,
      });
      const request = { client: f.client, server: f.server, num: f.num };
      runEffects(enqueue, self, context.print, [
        print({ event: 'client.received', name: context.name, request, result: resultOf(f), ...(failed ? { failed } : {}) }),
      ]);
      enqueue(emit({ type: 'request.answered', id: context.current, num: f.num, server: f.server, result: resultOf(f), failed }));
    }),
    discardDuplicate: enqueueActions(({ enqueue, self, context, event }) => {
      if (!isAnswer(event)) return;
      enqueue.assign({ answeredThisRound: true });
      runEffects(enqueue, self, context.print, [
        print({ event: 'client.duplicate', name: context.name, num: event.frame.num, server: event.frame.server }),
      ]);
    }),
    assignAfterLast: assign(({ context, event }) => {
      assertEvent(event, 'frame.error');
      const last = lastNumberOf(event.frame.message, context.name)!;
      return { num: last + 1, body: context.stdin ? context.body : `${context.message}${last + 1}`, sentTo: [] };
    }),
    retrySoon: raise(({ context }) => ({ type: 'refusal.retry' as const, num: context.num }), { delay: REFUSAL_RETRY_MS }),
    noteError: enqueueActions(({ enqueue, self, context, event }) => {
      assertEvent(event, 'frame.error');
      runEffects(enqueue, self, context.print, [
        print({ event: 'link.error', name: context.name, peer: event.frame.name, message: event.frame.message }),
      ]);
    }),
    assignRound: assign(({ context }) => {
      const nowhere = context.rmsUp.length === 0 || context.servers.length === 0;
      const empty = !context.answeredThisRound && nowhere;
      return { emptyRounds: empty ? context.emptyRounds + 1 : 0, answeredThisRound: false };
    }),
    printAllDead: enqueueActions(({ enqueue, self, context }) =>
      runEffects(enqueue, self, context.print, [print({ event: 'client.allDead', name: context.name })]),
    ),
  },
}).createMachine({
  id: 'client',
  context: ({ input }) => {
    const own: ClientConfig | undefined = input.config.clients.find((c) => c.name === input.name);
    return {
      name: input.name,
      config: input.config,
      reloadConfig: input.reloadConfig ?? null,
      print: input.print,
      message: own?.message ?? 'hello_world',
      intervalMs: input.intervalMs ?? own?.intervalMs ?? 1000,
      count: input.count ?? null,
      stdin: input.stdin ?? false,
      giveUp: input.giveUp ?? true,
      mode: input.config.cluster.mode,
      servers: [],
      rmsUp: [],
      up: [],
      num: 1,
      body: null,
      current: null,
      sent: false,
      lines: [],
      inputDone: false,
      lastAnswered: 0,
      answered: 0,
      sentTo: [],
      answeredThisRound: false,
      emptyRounds: 0,
    };
  },
  invoke: [
    {
      src: 'links',
      id: RM_LINK,
      input: ({ context }) =>
        linksOf(RM_LINK, { name: context.name, role: 'client' }, 'rm', context.config.cluster, {
          hello: false,
          backoff: retryBackoff(context.intervalMs),
        }),
    },
    {
      src: 'links',
      id: SERVER_LINKS,
      input: ({ context }) =>
        linksOf(SERVER_LINKS, { name: context.name, role: 'client' }, 'server', context.config.cluster, {
          hello: false,
          backoff: retryBackoff(context.intervalMs),
        }),
    },
  ],
  on: {
    'link.refused': { actions: 'logRefused' },
    'link.up': [{ guard: 'isFromRm', actions: ['assignRmUp', 'askRm'] }, { guard: 'isFromServerLink', actions: 'assignServerUp' }],
    'link.down': [{ guard: 'isFromRm', actions: 'assignRmDown' }, { actions: 'assignServerDown' }],
    'frame.clientView': { guard: 'isFromRm', actions: 'takeView' },
    'frame.directory': { guard: 'isFromRm', actions: 'takeDirectory' },
    'frame.reply': { guard: 'isDuplicateReply', actions: 'discardDuplicate' },
    'frame.failed': { guard: 'isDuplicateReply', actions: 'discardDuplicate' },
    'frame.error': { actions: 'noteError' },
    line: { actions: 'assignQueuedLine' },
    'request.submit': { actions: 'assignQueuedLine' },
    'request.cancel': { actions: 'assignQueuedDropped' },
    eof: { actions: 'assignInputDone' },
  },
  output: ({ context }) => ({ exitCode: context.emptyRounds >= 3 ? 1 : 0 }),
  entry: 'linkRms',
  initial: 'running',
  states: {
    running: {
      type: 'parallel',
      states: {
        requests: {
          initial: 'waiting',
          states: {
            /** Between requests: the interval, then the next one. */
            waiting: {
              always: [{ guard: 'isDone', target: '#client.finished' }, { guard: 'isImmediate', target: 'preparing' }],
              after: { interval: 'preparing' },
            },
            preparing: {
              entry: 'assignNextRequest',
              always: [
                { guard: 'hasBody', target: 'sending' },
                { guard: 'isInputDone', target: '#client.finished' },
              ],
              on: {
                line: { target: 'preparing', reenter: true, actions: 'assignQueuedLine' },
                'request.submit': { target: 'preparing', reenter: true, actions: 'assignQueuedLine' },
                eof: { target: 'preparing', reenter: true, actions: 'assignInputDone' },
              },
            },
            sending: {
              entry: 'send',
              on: {
                'link.up': [{ guard: 'isFromRm', actions: ['assignRmUp', 'askRm'] }, { guard: 'isFromServerLink', actions: ['assignServerUp', 'send'] }],
                'frame.clientView': { guard: 'isFromRm', actions: ['takeView', 'send'] },
                'frame.reply': takeAnswer(),
                'frame.failed': takeAnswer(),
                // Taken back before it went anywhere: its number stays free for the next request.
                'request.cancel': [{ guard: 'isCurrentUnsent', target: 'waiting', actions: 'assignCurrentDropped' }, { actions: 'assignQueuedDropped' }],
                'frame.error': [
                  { guard: 'isLastNumber', target: 'sending', reenter: true, actions: ['noteError', 'assignAfterLast'] },
                  { guard: 'isPassingRefusal', actions: ['noteError', 'retrySoon'] },
                  { actions: 'noteError' },
                ],
                'refusal.retry': { guard: 'isRetryOfCurrent', target: 'sending', reenter: true, actions: 'resend' },
              },
              after: {
                // Passive: no reply in time means the primary may be gone; the same number goes again
                // to the primary of the RM's latest answer (SPEC §6 Clients).
                replyTimeout: { guard: 'isPassive', target: 'sending', reenter: true, actions: 'resend' },
              },
            },
          },
        },
        liveness: {
          initial: 'starting',
          states: {
            /**
             * A cluster started together with its clients cannot name a replica before the GFD's
             * grace period and the first assignment: rounds count once one was named, or after
             * twice `heartbeat_timeout` (then the cluster is surely down).
             */
            starting: {
              on: { 'service.seen': 'counting' },
              after: { startupTime: 'counting' },
            },
            counting: {
              always: { guard: 'isEveryServerDead', target: '#client.dead' },
              after: { interval: { target: 'counting', reenter: true, actions: 'assignRound' } },
            },
          },
        },
      },
    },
    finished: { type: 'final' },
    dead: { type: 'final', entry: 'printAllDead' },
  },
});
