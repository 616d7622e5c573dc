/**
 * Carrying out effects (`src/core/effects.ts`): through the machine's transport actors (a peer by
 * name goes through the server's peer links) and the injected printer, so the decision logic never
 * touches I/O.
 */
import { fromCallback, type AnyActorRef } from 'xstate';
import { print, type Effect, type HistoryEntry, type HistorySnapshot } from '../core/effects.js';
import type { Frame } from '../protocol/frames.js';
import type { LogEvent, Print } from '../log/events.js';
import type { LinkInput, LinksInput, ListenerInput, Origin, TransportCommand } from '../transport/types.js';

export { answer, print, sendOn, type Effect } from '../core/effects.js';

/** The id of a server's links actor, its outbound links to its peers (named by server). */
export const PEER_LINKS = 'peerLinks';

/** Of the cumulative frames written to one connection in one turn, only the last of a key goes out. */
function cumulativeKey(frame: Frame): string {
  return 'to' in frame && 'epoch' in frame ? `${frame.kind} ${frame.to} ${frame.epoch}` : frame.kind;
}

/**
 * A server's data folder as its machine uses it (`src/storage/replica-storage.ts` behind it,
 * docs/durability.md). Null without a `data_dir`.
 */
export interface DurableStore {
  append(entry: HistoryEntry): void;
  snapshot(snapshot: HistorySnapshot): void;
  /** Records that this replica took a `ready` of `epoch`. */
  epoch(epoch: number): void;
  /** `done` runs once everything appended and every snapshot started so far is durable. */
  whenDurable(done: (err: Error | null) => void): void;
}

/** What the server machine is sent once the answers of a step are durable. */
export type DurableEvent = { type: 'storage.durable'; effects: Effect[]; error: string | null };

/**
 * Answers and acknowledgements promise what was applied, `serving` the epoch served in: with a data
 * folder, they wait until it is on disk.
 */
function waitsForDisk(effect: Effect): boolean {
  return (effect.kind === 'reply' || effect.kind === 'peer') && DURABLE_PROMISES.has(effect.frame.kind);
}
const DURABLE_PROMISES: ReadonlySet<string> = new Set(['reply', 'failed', 'ack', 'serving', 'leaving']);

/** The transport actor an effect goes to, and the command it gets. */
function transportCommand(effect: Extract<Effect, { kind: 'peer' | 'reply' | 'send' | 'close' }>): [via: string, command: TransportCommand] {
  switch (effect.kind) {
    case 'peer':
      return [PEER_LINKS, { type: 'send', link: effect.to, frame: effect.frame, coalesce: effect.cumulative ? cumulativeKey(effect.frame) : undefined }];
    case 'reply':
      return [effect.to.via, { type: 'send', link: effect.to.link, frame: effect.frame, coalesce: effect.cumulative ? cumulativeKey(effect.frame) : undefined }];
    case 'send':
      return [effect.via, { type: 'send', link: effect.link, frame: effect.frame }];
    case 'close':
      return [effect.via, { type: 'close', link: effect.link }];
  }
}

/** The subset of xstate's `enqueue` that effects need. */
interface Enqueue {
  sendTo(to: string, event: TransportCommand): void;
  (action: () => void): void;
}

/**
 * Carries effects out. A frame for a transport actor that is not there (not started yet, or
 * stopped) is dropped, as the network would drop it: xstate's `sendTo` would throw instead. A peer
 * without a link, or whose link is down, is the links actor's to drop.
 */
// Never `assign` a whole context object: xstate would call its function-valued fields (print) as
// property assigners. Assign with a function, `assign(() => data)`, instead.
export function runEffects(enqueue: Enqueue, self: AnyActorRef, printer: Print, effects: readonly Effect[], store: DurableStore | null = null): void {
  // Undefined while the initial state is being entered.
  const children = (self.getSnapshot()?.children ?? {}) as Record<string, unknown>;
  const reachable = (via: string) => via in children;
  // The lines of one step go out in one action; those the printer's level drops are not scheduled.
  let lines: LogEvent[] | null = null;
  const waiting: Effect[] = [];
  // A step's commands to one transport actor go as one (`batch`): one xstate send however many frames.
  const commands = new Map<string, TransportCommand[]>();
  for (const effect of effects) {
    if (effect.kind === 'persist' || effect.kind === 'snapshot' || effect.kind === 'epoch') {
      if (store === null) continue;
      if (effect.kind === 'persist') enqueue(() => store.append(effect.entry));
      else if (effect.kind === 'snapshot') enqueue(() => store.snapshot(effect.snapshot));
      else enqueue(() => store.epoch(effect.epoch));
      continue;
    }
    if (store !== null && waitsForDisk(effect)) {
      waiting.push(effect);
      continue;
    }
    if (effect.kind !== 'print') {
      const [via, command] = transportCommand(effect);
      if (!reachable(via)) continue;
      const list = commands.get(via);
      if (list) list.push(command);
      else commands.set(via, [command]);
      continue;
    }
    if (printer.wants && !printer.wants(effect.event)) continue;
    if (lines === null) {
      const batch: LogEvent[] = (lines = []);
      enqueue(() => batch.forEach((e) => printer(e)));
    }
    lines.push(effect.event);
  }
  for (const [via, list] of commands) enqueue.sendTo(via, list.length === 1 ? list[0]! : { type: 'batch', commands: list });
  if (waiting.length > 0) {
    enqueue(() => store!.whenDurable((err) => self.send({ type: 'storage.durable', effects: waiting, error: err ? err.message : null } satisfies DurableEvent)));
  }
}

/** One line for every frame a transport refused (SPEC §4); the transport already answered it. */
export function refusedLine(name: string, event: { origin: Origin; reason: string }): Effect {
  const peer = event.origin.peer?.name ?? `${event.origin.via}${event.origin.link ? ` ${event.origin.link}` : ''}`;
  return print({ event: 'link.refused', name, peer, reason: event.reason });
}

const notProvided = (what: string) =>
  fromCallback<TransportCommand, any>(() => {
    throw new Error(`${what} not provided: create the actor from machine.provide({ actors })`);
  });

/** Placeholders in `setup`, replaced by a real transport with `provide`. */
export const transportSlots = {
  listener: notProvided('listener') as ReturnType<typeof fromCallback<TransportCommand, ListenerInput>>,
  link: notProvided('link') as ReturnType<typeof fromCallback<TransportCommand, LinkInput>>,
  links: notProvided('links') as ReturnType<typeof fromCallback<TransportCommand, LinksInput>>,
};
