/**
 * What a listener (or a links actor) tells its parent, in order, with the frames of its batch kinds
 * gathered: a run of consecutive requests (from any connection) reaches the machine as one
 * `batch.request`, a run of acks of one epoch (from any peer) as one `batch.ack`, a run of one
 * peer's updates (orders, forwards) of one epoch on one connection as one `batch.update`
 * (`batch.order`, `batch.forward`), so the machine takes the run in one step instead of one event
 * each. With a turn to wait for (`atTurnEnd`, TCP), what arrived on every connection during the
 * turn is delivered at its end; without one (the in-memory network), each session step is
 * delivered as it is made.
 */
import type { BatchEvent, BatchKind, FrameEvent, TransportEvent } from './types.js';

type Batchable = Extract<FrameEvent, { type: `frame.${BatchKind}` }>;

export class Inbox {
  private waiting: TransportEvent[] = [];
  private scheduled = false;
  private readonly kinds: ReadonlySet<string>;

  constructor(
    private readonly deliver: (event: TransportEvent) => void,
    kinds: readonly BatchKind[],
    private readonly atTurnEnd: ((work: () => void) => void) | null,
  ) {
    this.kinds = new Set(kinds.map((k) => `frame.${k}`));
  }

  push(event: TransportEvent): void {
    this.waiting.push(event);
  }

  /** A step is complete: its events go now, or at the end of the turn. */
  settle(): void {
    if (this.waiting.length === 0 || this.scheduled) return;
    if (this.atTurnEnd === null) return this.flush();
    this.scheduled = true;
    this.atTurnEnd(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const events = this.waiting;
    this.waiting = [];
    let batch: Batchable[] = [];
    for (const event of events) {
      const frame = this.kinds.has(event.type) ? (event as Batchable) : null;
      if (batch.length > 0 && (frame === null || !joins(batch[0]!, frame))) {
        this.deliver(batchOf(batch));
        batch = [];
      }
      if (frame === null) this.deliver(event);
      else batch.push(frame);
    }
    if (batch.length > 0) this.deliver(batchOf(batch));
  };
}

/**
 * Requests from any connection go together, and acks of one epoch from any peer (each is a peer's
 * word on how far it is, taken one after the other); other peer frames only from one sender, on one
 * connection, of one epoch.
 */
function joins(first: Batchable, next: Batchable): boolean {
  if (first.type !== next.type) return false;
  // (The second tests only narrow the type: both are of one kind by now.)
  if (first.frame.kind === 'request' || next.frame.kind === 'request') return true;
  if (first.frame.kind === 'ack' || next.frame.kind === 'ack') return first.frame.epoch === next.frame.epoch;
  return first.origin.link === next.origin.link && first.frame.epoch === next.frame.epoch && first.frame.from === next.frame.from;
}

function batchOf(events: Batchable[]): BatchEvent {
  return { type: `batch.${events[0]!.frame.kind}`, events } as BatchEvent;
}
