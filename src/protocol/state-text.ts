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

/** The text in pieces of `chars` characters (the last shorter), cut across the text's own pieces. */
export function* cutText(text: StateText, chars: number): Generator<string> {
  let held: string[] = [];
  let heldChars = 0;
  const release = (): string => {
    const piece = held.join('');
    held = [];
    heldChars = 0;
    return piece;
  };
  for (const source of typeof text === 'string' ? [text] : text) {
    for (let at = 0; at < source.length; ) {
      let end = Math.min(source.length, at + chars - heldChars);
      // A surrogate pair stays in one piece: half of one would not survive UTF-8.
      if (end < source.length && isHighSurrogate(source.charCodeAt(end - 1))) end -= 1;
      if (end === at) {
        if (heldChars > 0) {
          yield release();
          continue;
        }
        end = at + 2;
      }
      held.push(source.slice(at, end));
      heldChars += end - at;
      at = end;
      if (heldChars >= chars) yield release();
    }
  }
  if (heldChars > 0) yield release();
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
