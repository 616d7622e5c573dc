/**
 * The client table of SPEC §6 Exactly once, bounded. Every replica forgets the client whose last
 * request was applied longest ago once the table holds more than `max_clients` clients or more than
 * a quarter of `max_state_frame` characters (so that it always fits in a checkpoint beside the
 * state). Which client goes depends only on the order requests were applied in, and snapshots carry
 * the table in that order, so every replica forgets the same clients at the same point of the
 * stream. What forgetting means for exactly-once is in docs/protocol.md ("The client table").
 */
import type { ClusterSettings } from '../config/types.js';
import type { ClientEntry } from '../protocol/frames.js';

/** A client's last request: its number and its answer (`failed`: what `apply` threw). */
export interface ClientRecord {
  num: number;
  reply: string;
  failed?: boolean;
}

export interface TableBounds {
  maxClients: number;
  maxChars: number;
}

export function tableBounds(cluster: Pick<ClusterSettings, 'maxClients' | 'maxStateFrame'>): TableBounds {
  return { maxClients: cluster.maxClients, maxChars: Math.floor(cluster.maxStateFrame / 4) };
}

/** What an entry costs in a checkpoint frame: its name, its reply and room for the number and separators. */
const charsOf = (client: string, record: ClientRecord): number => client.length + record.reply.length + 24;

/**
 * Mutable, like the application's state: a replica owns its table and never looks back at an older
 * version of it (copying it on every request would cost O(clients) a request).
 */
export class ClientTable {
  /** Least recently applied first: a `Map` keeps insertion order, and `record` moves a client to the end. */
  private readonly records = new Map<string, ClientRecord>();
  private chars = 0;

  constructor(readonly bounds: TableBounds) {}

  /** A table holding `entries`, least recently applied first (the order `entries()` gives). */
  static of(bounds: TableBounds, entries: readonly ClientEntry[]): ClientTable {
    const table = new ClientTable(bounds);
    for (const { client, ...record } of entries) table.record(client, record);
    return table;
  }

  get(client: string): ClientRecord | undefined {
    return this.records.get(client);
  }

  get size(): number {
    return this.records.size;
  }

  /** The client's request was just applied: it becomes the most recent; the least recent go past the bounds. */
  record(client: string, record: ClientRecord): void {
    const old = this.records.get(client);
    if (old !== undefined) {
      this.chars -= charsOf(client, old);
      this.records.delete(client);
    }
    this.records.set(client, record);
    this.chars += charsOf(client, record);
    // The client just recorded stays even alone over the bounds: its resend must be answered.
    while (this.records.size > 1 && (this.records.size > this.bounds.maxClients || this.chars > this.bounds.maxChars)) {
      const [oldest, gone] = this.records.entries().next().value as [string, ClientRecord];
      this.records.delete(oldest);
      this.chars -= charsOf(oldest, gone);
    }
  }

  /** Least recently applied first: the order that snapshots carry, so that a restored table forgets alike. */
  entries(): ClientEntry[] {
    return [...this.records].map(([client, record]) => ({ client, ...record }));
  }

  /** By client name, for status answers and printed lines. */
  sorted(): ClientEntry[] {
    return this.entries().sort((a, b) => (a.client < b.client ? -1 : a.client > b.client ? 1 : 0));
  }
}
