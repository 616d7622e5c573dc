/**
 * A state's snapshot text as checkpoints and recoveries carry it: one string, or pieces whose
 * concatenation is the text (a state that arrived in parts, or an application that gives its
 * snapshot in pieces, docs/apps.md). Pieces let a large state go from one application to another
 * without ever being one string beside the state it was taken from.
 */
export type StateText = string | readonly string[];

export function textLength(text: StateText): number {
  if (typeof text === 'string') return text.length;
  let length = 0;
  for (const piece of text) length += piece.length;
  return length;
}

/** The text as one string (a copy when it is in pieces: for small states and for printing). */
export function joinText(text: StateText): string {
  return typeof text === 'string' ? text : text.join('');
}
