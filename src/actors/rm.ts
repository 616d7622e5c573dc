/**
 * Replication manager: learns the membership from the GFD, decides roles, epochs, recovery and
 * relaunch (`replication.ts`), sends its commands down through the GFD, and keeps every client told
 * where to send.
 */
import { enqueueActions, setup } from 'xstate';
import type { ClusterConfig } from '../config/types.js';
import type { Print } from '../log/events.js';
import type { ClientViewFrame, Mode } from '../protocol/frames.js';
import type { Origin, TransportEvent } from '../transport/types.js';
import { answer, print, runEffects, transportSlots, type Effect } from './effects.js';
import {
  clientServers,
  initialMembership,
  memberNames,
  onAdd,
  onDelete,
  onMembers,
  onServing,
  statusFrame,
  type Decision,
  type Membership,
} from './replication.js';

export const RM_NAME = 'RM';
const LISTENER = 'port';

export interface RmInput {
  config: ClusterConfig;
  print: Print;
}

export interface RmContext {
  config: ClusterConfig;
  print: Print;
  membership: Membership;
  /** The listener connection of the GFD's latest hello. */
  gfdLink: string | null;
  /** Each client's open connection, told of every change. */
  clients: Record<string, string>;
}

function viewFor(client: string, m: Membership): ClientViewFrame {
  return { kind: 'clientView', client, mode: m.mode, servers: clientServers(m) };
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** What a decision means on the outside: lines, commands to the GFD, views to clients. */
function carryOut(ctx: RmContext, { next, commands, warnings }: Decision): Effect[] {
  const prev = ctx.membership;
  const effects: Effect[] = [];
  if (!sameList(memberNames(prev), memberNames(next))) {
    effects.push(print({ event: 'members', name: 'RM', members: memberNames(next) }));
  }
  for (const text of warnings) effects.push(print({ event: 'note', name: RM_NAME, level: 'warn', text }));
  if (next.primary !== null && (next.primary !== prev.primary || next.epoch !== prev.epoch)) {
    effects.push(print({ event: 'rm.primary', mode: next.mode, primary: next.primary, epoch: next.epoch }));
  }
  if (ctx.gfdLink !== null) {
    for (const frame of commands) effects.push({ kind: 'send', via: LISTENER, link: ctx.gfdLink, frame });
  }
  if (!sameList(clientServers(prev), clientServers(next))) {
    for (const [client, link] of Object.entries(ctx.clients)) {
      effects.push({ kind: 'send', via: LISTENER, link, frame: viewFor(client, next) });
    }
  }
  return effects;
}

const isGfdOrigin = (ctx: RmContext, origin: Origin) => ctx.gfdLink !== null && origin.link === ctx.gfdLink;

export const rmMachine = setup({
  types: {
    input: {} as RmInput & { mode?: Mode },
    context: {} as RmContext,
    events: {} as TransportEvent,
  },
  actors: transportSlots,
  actions: {
    printMembers: enqueueActions(({ enqueue, self, context }) =>
      runEffects(enqueue, self, context.print, [print({ event: 'members', name: 'RM', members: [] })]),
    ),
    decide: enqueueActions(({ enqueue, self, context, event }) => {
      let decision: Decision | null = null;
      const m = context.membership;
      if (event.type === 'frame.membership' && isGfdOrigin(context, event.origin)) {
        decision = event.frame.change === 'add' ? onAdd(m, event.frame.server) : onDelete(m, event.frame.server);
      } else if (event.type === 'frame.members' && isGfdOrigin(context, event.origin)) {
        decision = onMembers(m, event.frame.servers, event.frame.epoch);
      } else if (event.type === 'frame.serving' && isGfdOrigin(context, event.origin)) {
        decision = onServing(m, event.frame.server, event.frame.epoch);
      }
      if (!decision) return;
      enqueue.assign({ membership: decision.next });
      runEffects(enqueue, self, context.print, carryOut(context, decision));
    }),
    greetGfd: enqueueActions(({ enqueue, event }) => {
      if (event.type === 'frame.hello' && event.origin.peer?.role === 'gfd') enqueue.assign({ gfdLink: event.origin.link });
    }),
    forgetLink: enqueueActions(({ enqueue, context, event }) => {
      if (event.type !== 'link.down') return;
      const link = event.origin.link;
      if (link === context.gfdLink) enqueue.assign({ gfdLink: null });
      const clients = Object.fromEntries(Object.entries(context.clients).filter(([, l]) => l !== link));
      enqueue.assign({ clients });
    }),
    registerClient: enqueueActions(({ enqueue, self, context, event }) => {
      if (event.type !== 'frame.clientHello') return;
      const client = event.frame.client;
      enqueue.assign({ clients: { ...context.clients, [client]: event.origin.link } });
      runEffects(enqueue, self, context.print, [answer(event.origin, viewFor(client, context.membership))]);
    }),
    answerStatus: enqueueActions(({ enqueue, self, context, event }) => {
      if (event.type !== 'frame.statusQuery') return;
      const configured = context.config.servers.map((s) => s.name);
      runEffects(enqueue, self, context.print, [answer(event.origin, statusFrame(context.membership, configured))]);
    }),
  },
}).createMachine({
  id: 'rm',
  context: ({ input }) => ({
    config: input.config,
    print: input.print,
    membership: initialMembership(input.mode ?? input.config.cluster.mode),
    gfdLink: null,
    clients: {},
  }),
  entry: 'printMembers',
  invoke: {
    src: 'listener',
    id: LISTENER,
    input: ({ context }) => ({
      id: LISTENER,
      host: context.config.rm.host,
      port: context.config.rm.port,
      kind: 'rm',
      self: { name: RM_NAME, role: 'rm' },
      limits: { maxFrame: context.config.cluster.maxFrame, maxStateFrame: context.config.cluster.maxStateFrame },
    }),
  },
  on: {
    'frame.hello': { actions: 'greetGfd' },
    'link.down': { actions: 'forgetLink' },
    'frame.membership': { actions: 'decide' },
    'frame.members': { actions: 'decide' },
    'frame.serving': { actions: 'decide' },
    'frame.clientHello': { actions: 'registerClient' },
    'frame.statusQuery': { actions: 'answerStatus' },
  },
});
