/**
 * Replication manager: learns the membership from the GFD, decides roles, epochs, recovery and
 * relaunch (`replication.ts`), sends its commands down through the GFD, and keeps every client told
 * where to send.
 */
import { enqueueActions, setup } from 'xstate';
import type { ClusterConfig } from '../config/types.js';
import type { Print } from '../log/events.js';
import type { ClientViewFrame, Mode, ServerStatusFrame } from '../protocol/frames.js';
import type { Origin, TransportEvent } from '../transport/types.js';
import { answer, print, runEffects, transportSlots, type Effect, refusedLine } from './effects.js';
import { linkTo, listenOn } from './wiring.js';
import {
  clientServers,
  initialMembership,
  memberNames,
  onAdd,
  onDelete,
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
  /** Learned the members once (from the GFD's `members`): until then this RM knows nothing. */
  synced: boolean;
  /** A restarted RM asking every member for its status before it decides anything. */
  restart: { servers: string[]; epoch: number; statuses: Record<string, ServerStatusFrame | null> } | null;
  /** Status questions to ask or in flight: why each server is asked. */
  probes: Record<string, Probe>;
  /** Members that did not serve at the last look at recoveries (`retryRecoveries`). */
  recovering: string[];
}

/** Why a server is asked for its status: the RM's own restart, a re-reported add, a `members`. */
type Probe = 'restart' | 'rejoin' | 'verify';

type RmEvent = TransportEvent | { type: 'probe.timeout'; server: string };
const probeLink = (server: string) => `status:${server}`;
const serverOfProbe = (via: string) => (via.startsWith('status:') ? via.slice(7) : null);

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
    events: {} as RmEvent,
  },
  delays: {
    probeTimeout: ({ context }) => context.config.cluster.heartbeatTimeoutMs,
    recoveryRetry: ({ context }) => context.config.cluster.heartbeatTimeoutMs,
  },
  actors: transportSlots,
  actions: {
    logRefused: enqueueActions(({ enqueue, self, context, event }) => {
      if (event.type === 'link.refused') runEffects(enqueue, self, context.print, [refusedLine(RM_NAME, event)]);
    }),
    printMembers: enqueueActions(({ enqueue, self, context }) =>
      runEffects(enqueue, self, context.print, [print({ event: 'members', name: 'RM', members: [] })]),
    ),
    decide: enqueueActions(({ enqueue, self, context, event }) => {
      let decision: Decision | null = null;
      const m = context.membership;
      if (event.type === 'frame.membership' && isGfdOrigin(context, event.origin) && context.restart) {
        // Still asking the members of a restart: changes join the question instead.
        const { server, change } = event.frame;
        const servers = context.restart.servers.filter((s) => s !== server);
        const { [server]: _, ...statuses } = context.restart.statuses;
        if (change === 'add') servers.push(server);
        const probes = change === 'add' ? { ...context.probes, [server]: 'restart' as const } : context.probes;
        enqueue.assign({ restart: { ...context.restart, servers, statuses }, probes });
        return;
      }
      if (event.type === 'frame.membership' && isGfdOrigin(context, event.origin)) {
        const { server, change } = event.frame;
        if (change === 'add' && m.members[server]) {
          // A re-report, unless a new process runs under the old name: ask it.
          if (!context.probes[server]) enqueue.assign({ probes: { ...context.probes, [server]: 'rejoin' } });
          return;
        }
        decision = change === 'add' ? onAdd(m, server) : onDelete(m, server);
      } else if (event.type === 'frame.members' && isGfdOrigin(context, event.origin)) {
        const { servers, epoch } = event.frame;
        if (!context.synced) {
          enqueue.assign({ synced: true });
          if (servers.length > 0) {
            // Members exist already: this RM restarted. Their status says what they were.
            const probes = Object.fromEntries(servers.map((server) => [server, 'restart' as const]));
            enqueue.assign({ restart: { servers, epoch, statuses: {} }, probes: { ...context.probes, ...probes } });
            return;
          }
        }
        decision = onMembers(m, servers, epoch, context.config.servers.map((s) => s.name));
        const verify = Object.fromEntries(decision.next.unverified.map((s) => [s, 'verify' as const]));
        enqueue.assign({ probes: { ...context.probes, ...verify } });
      } else if (event.type === 'frame.serving' && isGfdOrigin(context, event.origin)) {
        decision = onServing(m, event.frame.server, event.frame.epoch);
      }
      if (!decision) return;
      enqueue.assign({ membership: decision.next });
      runEffects(enqueue, self, context.print, carryOut(context, decision));
    }),
    /** Asks each server to probe for its `status`, over a short-lived link to its client port. */
    launchProbes: enqueueActions(({ enqueue, self, context }) => {
      const children = self.getSnapshot()?.children ?? {};
      for (const server of Object.keys(context.probes)) {
        const target = context.config.servers.find((s) => s.name === server);
        if (!target || probeLink(server) in children) continue;
        enqueue.spawnChild('link', {
          id: probeLink(server),
          input: linkTo(
            probeLink(server),
            target,
            { name: RM_NAME, role: 'rm' },
            'server',
            context.config.cluster,
            { hello: false },
          ),
        });
        enqueue.raise({ type: 'probe.timeout', server }, { delay: 'probeTimeout', id: probeLink(server) });
      }
    }),
    askStatus: enqueueActions(({ enqueue, self, context, event }) => {
      const server = event.type === 'link.up' ? serverOfProbe(event.origin.via) : null;
      if (!server) return;
      runEffects(enqueue, self, context.print, [
        { kind: 'send', via: probeLink(server), frame: { kind: 'statusQuery', from: RM_NAME, target: server } },
      ]);
    }),
    /** A status answer, or none in time (null): what the probe was for decides what it means. */
    takeStatus: enqueueActions(({ enqueue, self, context, event }) => {
      let server: string | null = null;
      let status: ServerStatusFrame | null = null;
      if (event.type === 'frame.serverStatus') {
        server = serverOfProbe(event.origin.via);
        status = event.frame;
      } else if (event.type === 'probe.timeout') {
        server = event.server;
      }
      if (server === null || !context.probes[server]) return;
      const why = context.probes[server];
      const { [server]: _, ...probes } = context.probes;
      enqueue.assign({ probes });
      enqueue.cancel(probeLink(server));
      if (probeLink(server) in (self.getSnapshot()?.children ?? {})) enqueue.stopChild(probeLink(server));
      let decision: Decision | null = null;
      if (why === 'rejoin') {
        decision = onRereport(context.membership, server, status);
      } else if (why === 'verify') {
        decision = onVerified(context.membership, server, status);
      } else if (context.restart) {
        const statuses = { ...context.restart.statuses, [server]: status };
        const restart = { ...context.restart, statuses };
        enqueue.assign({ restart });
        if (restart.servers.every((s) => s in statuses)) {
          enqueue.assign({ restart: null });
          const configured = context.config.servers.map((s) => s.name);
          decision = onRestart(context.membership, restart.servers, restart.epoch, statuses, configured);
        }
      }
      if (!decision) return;
      enqueue.assign({ membership: decision.next });
      runEffects(enqueue, self, context.print, carryOut(context, decision));
    }),
    /** A member still recovering since the last look is sent its `send_checkpoint` again. */
    retryRecoveries: enqueueActions(({ enqueue, self, context }) => {
      if (!context.synced || context.restart || context.gfdLink === null) {
        if (context.recovering.length > 0) enqueue.assign({ recovering: [] });
        return;
      }
      const { waiting, commands } = retryRecoveries(context.membership, context.recovering);
      enqueue.assign({ recovering: waiting });
      runEffects(enqueue, self, context.print, commands.map((frame) => ({ kind: 'send', via: LISTENER, link: context.gfdLink!, frame })));
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
    answerDirectory: enqueueActions(({ enqueue, self, context, event }) => {
      if (event.type !== 'frame.directoryQuery') return;
      const servers = context.config.servers.map((s) => ({ server: s.name, host: s.host, port: s.port }));
      runEffects(enqueue, self, context.print, [answer(event.origin, { kind: 'directory', servers })]);
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
    synced: false,
    restart: null,
    probes: {},
    recovering: [],
  }),
  entry: 'printMembers',
  initial: 'running',
  states: {
    running: {
      after: { recoveryRetry: { target: 'running', reenter: true, actions: 'retryRecoveries' } },
    },
  },
  invoke: {
    src: 'listener',
    id: LISTENER,
    input: ({ context }) => listenOn(
      LISTENER,
      context.config.rm,
      'rm',
      { name: RM_NAME, role: 'rm' },
      context.config.cluster,
    ),
  },
  on: {
    'link.refused': { actions: 'logRefused' },
    'frame.hello': { actions: 'greetGfd' },
    'link.down': { actions: 'forgetLink' },
    'frame.membership': { actions: ['decide', 'launchProbes'] },
    'frame.members': { actions: ['decide', 'launchProbes'] },
    'link.up': { actions: 'askStatus' },
    'frame.serverStatus': { actions: 'takeStatus' },
    'probe.timeout': { actions: 'takeStatus' },
    'frame.serving': { actions: 'decide' },
    'frame.clientHello': { actions: 'registerClient' },
    'frame.directoryQuery': { actions: 'answerDirectory' },
    'frame.statusQuery': { actions: 'answerStatus' },
  },
});
