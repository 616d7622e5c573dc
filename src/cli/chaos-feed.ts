/**
 * `steadfast chaos --app kv`: every client takes its requests on standard input (`client
 * --stdin`), one line for its first request and one more after each reply it prints, drawn by its
 * own `KvWorkload` from the chaos seed. A client thus always holds exactly its next request (a
 * resend after a failover reuses the one it holds), and each request can depend on what the
 * client saw last (a cas expects it).
 */
import type { Writable } from 'node:stream';
import { KvWorkload } from '../check/kv-workload.js';
import { mulberry32 } from '../random.js';

export class KvFeeder {
  private readonly clients = new Map<string, { workload: KvWorkload; fed: string; input: Writable }>();
  /** Each client's stream seed, drawn in the order clients are added. */
  private readonly seeds: () => number;

  constructor(seed: number) {
    this.seeds = mulberry32(seed ^ 0x6b76);
  }

  /** A client just started with a pipe as its standard input: its first request. `prefix` starts every value it writes. */
  add(client: string, prefix: string, input: Writable): void {
    const workload = new KvWorkload(mulberry32(Math.floor(this.seeds() * 4294967296)), prefix);
    const c = { workload, fed: '', input };
    this.clients.set(client, c);
    this.feed(c);
  }

  /** An event the client printed: after a reply, its next request. */
  took(client: string, event: string, data: Record<string, unknown>): void {
    const c = this.clients.get(client);
    if (!c || event !== 'client.received' || typeof data.result !== 'string') return;
    c.workload.observe(c.fed, data.result);
    this.feed(c);
  }

  private feed(c: { workload: KvWorkload; fed: string; input: Writable }): void {
    c.fed = c.workload.next();
    c.input.write(c.fed + '\n');
  }
}
