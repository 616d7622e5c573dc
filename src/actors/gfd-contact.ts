/**
 * An LFD's contact with the GFDs, which its server's lease follows (docs/partitions.md). A GFD
 * watches an LFD from its hello and from each heartbeat answer it takes; its heartbeats name the
 * last one it took (`answered`). So the time this LFD sent that answer (or, before any, its hello:
 * when the link came up) bounds from below when that GFD last heard it, whatever the delays and
 * whichever way a cut goes: a heartbeat that only arrives proves nothing by its arrival.
 */
import type { HeartbeatFrame } from '../protocol/frames.js';

/** Answers kept per link: a GFD names one of its last few (those still on their way are newer). */
const KEPT_ANSWERS = 16;

interface GfdLink {
  /** When it came up: its hello went then. */
  upAt: number;
  /** Recent heartbeats answered on it: [count, when]. */
  answers: [count: number, at: number][];
}

export interface GfdContact {
  links: Record<string, GfdLink>;
  /** The latest time some GFD has been shown to have heard this LFD; null: never yet. */
  at: number | null;
}

export const noContact: GfdContact = { links: {}, at: null };

/** A link to `gfd` came up: its heartbeats count afresh. */
export function linkUp(c: GfdContact, gfd: string, now: number): GfdContact {
  return { ...c, links: { ...c.links, [gfd]: { upAt: now, answers: [] } } };
}

/** What a heartbeat from `gfd` shows: the time it heard this LFD at the latest (null: nothing). */
export function shownBy(c: GfdContact, gfd: string, frame: HeartbeatFrame): number | null {
  const link = c.links[gfd];
  if (!link) return null;
  if (frame.answered === undefined) return link.upAt;
  return link.answers.find(([count]) => count === frame.answered)?.[1] ?? null;
}

/** A heartbeat from `gfd`, answered `now`: what it shows is taken, and its answer kept. */
export function heartbeatFrom(c: GfdContact, gfd: string, frame: HeartbeatFrame, now: number): GfdContact {
  const link = c.links[gfd];
  if (!link) return c;
  const shown = shownBy(c, gfd, frame);
  const answers = [...link.answers.filter(([count]) => frame.answered === undefined || count > frame.answered), [frame.count, now] as [number, number]];
  return {
    links: { ...c.links, [gfd]: { ...link, answers: answers.slice(-KEPT_ANSWERS) } },
    at: shown === null ? c.at : Math.max(c.at ?? shown, shown),
  };
}
