/**
 * Floods a stranger can send without any role (issue 16): answers it never reads. A server whose
 * state is large is asked for its status 400 times on one connection that reads nothing back; it
 * stops reading that connection, closes it once the unread answers pass the bound, keeps its
 * memory bounded and answers everyone else.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { closeRawConns, connectRaw, killAllAndCheck, queryStatus, startRole, waitForLine, writeConfig } from '../support/processes.js';

/** Resident memory of a process, in MiB (Linux). */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

describe('e2e: answers nobody reads', function () {
  this.timeout(60_000);
  afterEach(async () => {
    closeRawConns();
    await killAllAndCheck();
  });

  it('400 unread status queries against a 600 KB state: the connection is closed, memory stays bounded, others are served', async () => {
    const cluster = await writeConfig({ servers: 1, cluster: { heartbeat_timeout: 30 } });
    const { port, peerPort } = cluster.server('S1');
    const server = startRole(['server', '--name', 'S1', '--config', cluster.file]);
    await waitForLine(server, /S1 started on /);
    const lfd = await connectRaw(peerPort, 5000, 'S1 peer port');
    lfd.sendText('<LFD1, lfd, 1, hello><LFD1, S1, 1, heartbeat><S1, passive, primary, 1, , ready>');
    await lfd.readFramesUntil(/^<S1, 1, serving>$/);
    const big = 'x'.repeat(600_000);
    const client = await connectRaw(port, 5000, 'C1');
    client.sendText(`<C1, S1, 1, ${big}, request>`);
    expect((await client.nextFrame(10_000)).length).to.be.greaterThan(600_000);

    const flood = net.connect({ host: '127.0.0.1', port });
    const closed = new Promise<void>((resolve) => flood.once('close', () => resolve()));
    flood.on('error', () => {});
    await new Promise<void>((resolve) => flood.once('connect', () => resolve()));
    flood.pause(); // reads nothing back
    flood.write('<ops, S1, status>'.repeat(400));
    const bounded = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20_000))]);
    expect(bounded, 'the flooding connection was closed').to.equal(true);
    const rss = rssMiB(server.pid);
    console.log(`      server RSS after the flood: ${rss.toFixed(0)} MiB`);
    expect(rss).to.be.lessThan(400);
    const status = await queryStatus(port, 'S1', 10_000);
    expect([status.role, status.phase, status.state.length]).to.deep.equal(['primary', 'ready', 600_000]);
  });
});
