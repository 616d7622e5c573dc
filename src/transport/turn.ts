/**
 * The end of the event loop's turn, shared by everything on real sockets: the frames a listener
 * read during the turn reach its machine there, and the writes the machine made in reaction go
 * out in the same `setImmediate` right after (a second `setImmediate` would wait for the next
 * turn, an extra pass through the poll phase per request).
 */
import { setImmediate as realSetImmediate } from 'node:timers';

const queue: (() => void)[] = [];
let scheduled = false;

/** Runs `work` at the end of this turn, after what was asked for before it; work asked for while those run runs too. */
export function atTurnEnd(work: () => void): void {
  queue.push(work);
  if (scheduled) return;
  scheduled = true;
  realSetImmediate(runTurnEnd);
}

function runTurnEnd(): void {
  scheduled = false;
  // One that throws leaves the rest queued for the next turn's run.
  while (queue.length > 0) (queue.shift() as () => void)();
}
