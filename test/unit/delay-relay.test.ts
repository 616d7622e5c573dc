/**
 * The delay relay of the test hosts (`src/hosts/delay-relay.ts`), on loopback: a stream passes
 * both ways, each chunk at least `meanMs - jitterMs` later, never out of order.
 */
import { expect } from 'chai';
import net from 'node:net';
import { DelayRelay } from '../../src/hosts/delay-relay.js';
import { freePorts } from '../../src/transport/query.js';

describe('delay relay', () => {
  const servers: net.Server[] = [];
  let relay: DelayRelay | null = null;
  afterEach(() => {
    relay?.close();
    for (const s of servers.splice(0)) s.close();
  });

  it('echoes through it in order, each way at least the mean less the jitter later', async () => {
    const [port] = await freePorts(1, '127.0.0.1');
    const echo = net.createServer((s) => s.pipe(s));
    servers.push(echo);
    await new Promise<void>((resolve) => echo.listen(port!, '127.0.0.1', () => resolve()));
    relay = new DelayRelay({ meanMs: 40, jitterMs: 30 });
    await relay.listen('127.0.0.2', '127.0.0.1', port!);

    const sent = Array.from({ length: 50 }, (_, i) => `<${i}>`);
    const client = net.connect(port!, '127.0.0.2');
    const start = Date.now();
    let firstMs = -1;
    let got = '';
    const all = new Promise<void>((resolve, reject) => {
      client.on('data', (d) => {
        if (firstMs < 0) firstMs = Date.now() - start;
        got += d.toString();
        if (got.length >= sent.join('').length) resolve();
      });
      client.on('error', reject);
    });
    // One chunk a tick: many chunks in flight at once, each with its own delay.
    for (const chunk of sent) {
      client.write(chunk);
      await new Promise((r) => setImmediate(r));
    }
    await all;
    client.destroy();
    expect(got).to.equal(sent.join(''));
    expect(firstMs, 'there and back, each at least 10 ms').to.be.at.least(20);
  });
});
