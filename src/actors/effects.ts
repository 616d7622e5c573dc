/**
 * What a machine's decision produces, as data (the etcd-raft split): frames to send and lines to
 * print. Pure functions return effects; one action carries them out through the transport actors
 * and the injected printer, so the decision logic never touches I/O.
 */
import { fromCallback, type AnyActorRef } from 'xstate';
import type { Frame } from '../protocol/frames.js';
import type { LogEvent, Print } from '../log/events.js';
import type { LinkInput, ListenerInput, Origin, TransportCommand } from '../transport/types.js';

export type Effect =
  | { kind: 'send'; via: string; link?: string; frame: Frame; coalesce?: string }
  | { kind: 'close'; via: string; link: string }
  | { kind: 'print'; event: LogEvent };

/**
 * A frame to whoever sent `origin`'s frame. `coalesce`: of the frames with this key sent on one
 * connection in one turn, only the last need go out (`TransportCommand`).
 */
export function answer(origin: Origin, frame: Frame, coalesce?: string): Effect {
  const effect: Effect = { kind: 'send', via: origin.via, link: origin.link, frame };
  return coalesce === undefined ? effect : { ...effect, coalesce };
}

export function sendOn(via: string, frame: Frame, coalesce?: string): Effect {
  return coalesce === undefined ? { kind: 'send', via, frame } : { kind: 'send', via, frame, coalesce };
}

export function print(event: LogEvent): Effect {
  return { kind: 'print', event };
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
    if (effect.kind !== 'print' && !reachable(effect.via)) continue;
    switch (effect.kind) {
      case 'send':
        enqueue.sendTo(effect.via, { type: 'send', link: effect.link, frame: effect.frame, coalesce: effect.coalesce });
        break;
      case 'close':
        enqueue.sendTo(effect.via, { type: 'close', link: effect.link });
        break;
      case 'print': {
        if (printer.wants && !printer.wants(effect.event)) break;
        if (lines === null) {
          const batch: LogEvent[] = (lines = []);
          enqueue(() => batch.forEach((e) => printer(e)));
        }
        lines.push(effect.event);
        break;
      }
    }
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
