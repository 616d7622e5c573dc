/**
 * Carrying out effects (`src/core/effects.ts`): through the machine's transport actors (a peer by
 * name becomes its link's id) and the injected printer, so the decision logic never touches I/O.
 */
import { fromCallback, type AnyActorRef } from 'xstate';
import { print, type Effect } from '../core/effects.js';
import type { Frame } from '../protocol/frames.js';
import type { LogEvent, Print } from '../log/events.js';
import type { LinkInput, ListenerInput, Origin, TransportCommand } from '../transport/types.js';

export { answer, print, sendOn, type Effect } from '../core/effects.js';

/** The id of a server's outbound link to the peer server named `server`. */
export const peerLinkId = (server: string) => `peer:${server}`;

/** Of the cumulative frames written to one connection in one turn, only the last of a key goes out. */
function cumulativeKey(frame: Frame): string {
  return 'to' in frame && 'epoch' in frame ? `${frame.kind} ${frame.to} ${frame.epoch}` : frame.kind;
}

/** The transport actor an effect goes to, and the command it gets. */
function transportCommand(effect: Exclude<Effect, { kind: 'print' }>): [via: string, command: TransportCommand] {
  switch (effect.kind) {
    case 'peer':
      return [peerLinkId(effect.to), { type: 'send', frame: effect.frame, coalesce: effect.cumulative ? cumulativeKey(effect.frame) : undefined }];
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
 * Carries effects out. A frame for a transport actor that is gone (a peer link stopped in the
 * meantime) is dropped, as the network would drop it: xstate's `sendTo` would throw instead.
 * `spawnedNow` names links spawned in the same step, which the snapshot does not show yet.
 */
// Never `assign` a whole context object: xstate would call its function-valued fields (print) as
// property assigners. Assign with a function, `assign(() => data)`, instead.
export function runEffects(
  enqueue: Enqueue,
  self: AnyActorRef,
  printer: Print,
  effects: readonly Effect[],
  spawnedNow: readonly string[] = [],
): void {
  // Undefined while the initial state is being entered.
  const children = (self.getSnapshot()?.children ?? {}) as Record<string, unknown>;
  const reachable = (via: string) => via in children || spawnedNow.includes(via);
  // The lines of one step go out in one action; those the printer's level drops are not scheduled.
  let lines: LogEvent[] | null = null;
  for (const effect of effects) {
    if (effect.kind !== 'print') {
      const [via, command] = transportCommand(effect);
      if (reachable(via)) enqueue.sendTo(via, command);
      continue;
    }
    if (printer.wants && !printer.wants(effect.event)) continue;
    if (lines === null) {
      const batch: LogEvent[] = (lines = []);
      enqueue(() => batch.forEach((e) => printer(e)));
    }
    lines.push(effect.event);
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

/** Placeholders in `setup`, replaced by a real transport with `provide` (see `withTransport`). */
export const transportSlots = {
  listener: notProvided('listener') as ReturnType<typeof fromCallback<TransportCommand, ListenerInput>>,
  link: notProvided('link') as ReturnType<typeof fromCallback<TransportCommand, LinkInput>>,
};
