/**
 * Floods a stranger can send without any role (issue 16): answers it never reads. A server whose
 * state is large is asked for its status 400 times on one connection that reads nothing back; it
 * stops reading that connection, closes it once the unread answers pass the bound, keeps its
 * memory bounded and answers everyone else. And floods of requests that would grow what a
 * checkpoint carries past `max_state_frame` (ever-new client names with large replies, or large
 * entries): the client table forgets the oldest clients, the state guard refuses the entry that
 * would not fit, and a relaunched backup still recovers.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { closeRawConns, connectRaw, isAlive, killAllAndCheck, launchedPid, queryStatus, startRole, until, waitForLine, writeConfig } from '../support/processes.js';

/** Resident memory of a process, in MiB (Linux). */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

describe('e2e: floods a stranger can send', function () {
  this.timeout(60_000);
  afterEach(async () => {
    closeRawConns();
    await killAllAndCheck();
  });

  /** S1 made primary by a raw LFD on its peer port (as in nc.test.ts), with a secret when given. */
  async function primaryS1(secret?: string) {
    // S2 is configured (so a hello may claim it) but not started.
    const cluster = await writeConfig({ servers: 2, cluster: { heartbeat_timeout: 30, ...(secret ? { secret } : {}) } });
    const { port, peerPort } = cluster.server('S1');
    const server = startRole(['server', '--name', 'S1', '--config', cluster.file]);
    await waitForLine(server, /S1 started on /);
    return { cluster, port, peerPort, server };
  }

  it('20,000 commits of a future epoch from a peer: 1,024 held, the link closed, memory bounded, others served', async () => {
    const { port, peerPort, server } = await primaryS1();
    const lfd = await connectRaw(peerPort, 5000, 'S1 peer port');
    lfd.sendText('<LFD1, lfd, 1, hello><LFD1, S1, 1, heartbeat><S1, passive, primary, 1, , ready>');
    await lfd.readFramesUntil(/^<S1, 1, serving>$/);
    const peer = await connectRaw(peerPort, 5000, 'S2 on S1 peer port');
    let text = '<S2, server, 1, hello>';
    for (let i = 1; i <= 20_000; i++) text += `<S2, S1, ${i}, 9, commit>`;
    peer.sendText(text);
    await peer.waitClosed(20_000);
    await waitForLine(server, /S1: holds 1024 frames of a later epoch already; drops commit from S2 and closes its link/);
    const rss = rssMiB(server.pid);
    console.log(`      server RSS after the flood: ${rss.toFixed(0)} MiB`);
    expect(rss).to.be.lessThan(200);
    const client = await connectRaw(port, 5000, 'C1');
    client.sendText('<C1, S1, 1, after, request>');
    expect(await client.nextFrame()).to.equal('<C1, S1, 1, after, reply>');
  });

  it('with a secret, an unterminated frame after a hello is cut at max_frame: memory bounded, others served', async () => {
    const { port, peerPort, server } = await primaryS1('a-secret-that-is-long-enough');
    const stranger = await connectRaw(peerPort, 5000, 'stranger');
    stranger.sendText('<S2, server, 1, hello><S2, S1, 1, ');
    for (let i = 0; i < 32; i++) stranger.sendText('x'.repeat(1 << 20));
    const frames = await stranger.readFramesUntil(/error>$/, 10_000);
    expect(frames).to.deep.equal([frames[0], '<S1, frame over 1048576 bytes, error>']);
    expect(frames[0]).to.match(/^<S1, server, 1, [0-9a-f]{32}, challenge>$/);
    const rss = rssMiB(server.pid);
    console.log(`      server RSS after 32 MiB of one unterminated frame: ${rss.toFixed(0)} MiB`);
    expect(rss).to.be.lessThan(200);
    expect((await queryStatus(port, 'S1')).phase).to.equal('booting');
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

  describe('requests that would grow a checkpoint past max_state_frame (8 MiB here)', () => {
    const T = 20_000;
    const BIG = 'x'.repeat(900_000);

    /** A passive sync cluster of two: RM, LFD1 and LFD2 launching S1 (primary) and S2, GFD. */
    async function passivePair(app: string) {
      const cluster = await writeConfig({ servers: 2, cluster: { app, mode: 'passive', durability: 'sync', max_state_frame: 8 << 20 } });
      const cfg = ['--config', cluster.file];
      const rm = startRole(['rm', ...cfg]);
      await waitForLine(rm, /RM: 0 members$/, T);
      const lfds = [1, 2].map((i) => startRole(['lfd', '--name', `LFD${i}`, ...cfg]));
      const pids = await Promise.all(lfds.map((lfd, i) => launchedPid(lfd, `S${i + 1}`, T)));
      startRole(['gfd', ...cfg]);
      await waitForLine(lfds[1]!, /S2 is ready \[passive\] \[backup\]/, T);
      return { cluster, lfds, pids };
    }

    /** kill -9 of the backup; its LFD relaunches it and it must recover from S1's checkpoint. */
    async function backupRecovers(run: Awaited<ReturnType<typeof passivePair>>) {
      const since = run.lfds[1]!.lines.length;
      process.kill(run.pids[1]!, 'SIGKILL');
      await until(() => !isAlive(run.pids[1]!), T, () => 'S2 dead');
      await waitForLine(run.lfds[1]!, /S2 is ready \[passive\] \[backup\]/, T, since);
      const [s1, s2] = await Promise.all(run.cluster.servers.map((s) => queryStatus(s.port, s.name, T)));
      expect([s1!.phase, s2!.phase]).to.deep.equal(['ready', 'ready']);
      expect(s2!.state, 'S2 recovered S1\'s state').to.equal(s1!.state);
      expect([...s2!.clients], 'and its client table').to.deep.equal([...s1!.clients]);
      return s1!;
    }

    it('40 clients with new names and 900 KB replies: the table keeps the latest 2 MiB, a relaunched backup recovers, C1 is served', async () => {
      const run = await passivePair('status');
      const { port } = run.cluster.server('S1');
      const flood = await connectRaw(port, 5000, 'flood');
      for (let i = 1; i <= 40; i++) {
        flood.sendText(`<F${i}, S1, 1, ${BIG}, request>`);
        expect((await flood.nextFrame(T)).slice(0, 12)).to.equal(`<F${i}, S1, 1, `.slice(0, 12));
      }
      const rss = rssMiB(run.pids[0]!);
      console.log(`      primary RSS after 36 MB of requests from 40 new clients: ${rss.toFixed(0)} MiB`);
      expect(rss).to.be.lessThan(300);
      const s1 = await backupRecovers(run);
      // A quarter of max_state_frame holds two 900 KB replies: the latest two clients.
      expect([...s1.clients.keys()]).to.deep.equal(['F39', 'F40']);
      const c1 = await connectRaw(port, 5000, 'C1');
      c1.sendText('<C1, S1, 1, after, request>');
      expect(await c1.nextFrame(T)).to.equal('<C1, S1, 1, after, reply>');
    });

    it('900 KB log entries: the one that would pass 4 MiB of state is refused as failed, a relaunched backup recovers, small ones go on', async () => {
      const run = await passivePair('log');
      const { port } = run.cluster.server('S1');
      const c1 = await connectRaw(port, 5000, 'C1');
      const answers: string[] = [];
      for (let n = 1; n <= 6; n++) {
        c1.sendText(`<C1, S1, ${n}, ${BIG}, request>`);
        answers.push(await c1.nextFrame(T));
      }
      const refused = '<C1, S1, 5, refused: the state would grow past 4194304 characters (half of max_state_frame), failed>';
      expect(answers).to.deep.equal([1, 2, 3, 4].map((n) => `<C1, S1, ${n}, ${n}, reply>`).concat(refused, refused.replace(', 5,', ', 6,')));
      // The resend of a refused number is answered from the client table: refused again, not applied.
      c1.sendText(`<C1, S1, 6, ${BIG}, request>`);
      expect(await c1.nextFrame(T)).to.equal(refused.replace(', 5,', ', 6,'));
      const s1 = await backupRecovers(run);
      expect(s1.state.split(';')).to.have.length(4);
      c1.sendText('<C1, S1, 7, small, request>');
      expect(await c1.nextFrame(T)).to.equal('<C1, S1, 7, 5, reply>');
    });
  });
});
