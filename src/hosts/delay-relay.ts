/**
 * Delay and jitter for the test hosts without netem (which this kernel lacks, docs/partitions.md):
 * each host's TCP connections to another host are redirected (DNAT in its own namespace) to a relay
 * in the creating process, which opens the real connection and passes each chunk on, both ways,
 * `meanMs ± jitterMs` later (uniformly), in order: what TCP would hand the application over a link
 * with that delay. The relay sees each stream, not its packets, so loss stays with nftables.
 */
import net from 'node:net';

export interface Delay {
  /** Mean one-way delay, ms. */
  meanMs: number;
  /** Each chunk's delay is the mean plus or minus up to this, ms (uniform). */
  jitterMs: number;
}

/**
 * Passes a stream on `delay` later, chunk by chunk, never reordering: a chunk that would overtake
 * the one before waits for it (TCP hands data over in order). One timer at a time walks the queue:
 * timers of different lengths due in the same millisecond may fire in any order.
 */
function delayedPipe(from: net.Socket, to: net.Socket, delay: Delay, random: () => number): void {
  const queue: { due: number; pass: () => void }[] = [];
  let timer: NodeJS.Timeout | null = null;
  const next = () => {
    timer = null;
    while (queue.length > 0 && queue[0]!.due <= Date.now()) queue.shift()!.pass();
    if (queue.length > 0) timer = setTimeout(next, queue[0]!.due - Date.now());
  };
  const later = (pass: () => void) => {
    const due = Math.max(queue.at(-1)?.due ?? 0, Date.now() + delay.meanMs + (2 * random() - 1) * delay.jitterMs);
    queue.push({ due, pass });
    if (timer === null) timer = setTimeout(next, due - Date.now());
  };
  from.on('data', (chunk) => later(() => void (to.destroyed || to.write(chunk))));
  from.on('end', () => later(() => void (to.destroyed || to.end())));
  // Closed without an end (a reset): the other side breaks too, as late as the data before it.
  from.on('close', () => later(() => void (to.writableEnded || to.destroy())));
  to.on('close', () => {
    if (timer !== null) clearTimeout(timer);
    queue.length = 0;
  });
}

/** Relays listening on local addresses, each passing its connections on to one target, delayed. */
export class DelayRelay {
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();

  constructor(
    private readonly delay: Delay,
    private readonly random: () => number = Math.random,
  ) {}

  /** Listens on `at`, passing each connection on to `target` (the same port) with the delay. */
  async listen(at: string, target: string, port: number): Promise<void> {
    const server = net.createServer((inbound) => {
      const outbound = net.connect({ host: target, port });
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        // A reset or a refusal on one side ends the other (`delayedPipe`): as a broken link would.
        s.on('error', () => {});
        s.on('close', () => this.sockets.delete(s));
      }
      delayedPipe(inbound, outbound, this.delay, this.random);
      delayedPipe(outbound, inbound, this.delay, this.random);
    });
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, at, () => resolve());
    });
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    for (const server of this.servers) server.close();
    this.servers.length = 0;
  }
}
