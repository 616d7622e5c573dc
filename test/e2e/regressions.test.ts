/**
 * Regression tests for bugs the end-to-end tests found, each of which failed before its fix:
 * a GFD restart racing the LFDs' reconnect backoff, a frozen server outliving its LFD, usage errors
 * without a command, and a server announcing its start before its ports were bound.
 */
import { expect } from 'chai';
import {
  closeRawConns,
  isAlive,
  killAllAndCheck,
  launchedPid,
  runToExit,
  startRole,
  until,
  waitForLine,
  writeConfig,
} from '../support/processes.js';

describe('e2e: regressions', function () {
  this.timeout(60_000);

  afterEach(async () => {
    closeRawConns();
    await killAllAndCheck();
  });

  /**
   * SPEC §6 Restarts: a restarted GFD sends its first `members` only once every live LFD has come
   * back, and a server that never failed must not be deleted. The GFD waits heartbeat_timeout (here
   * 0.6 s), but an LFD retries its GFD link with the default backoff, whose ceiling is 1 s
   * (transport/actors.ts DEFAULT_BACKOFF): after a GFD outage of a second or more, some LFDs come
   * back after the grace period. The GFD's first `members` then lacks their servers; the RM deletes
   * them, orders `launch`, and when the primary is among them names a new primary in a new epoch.
   */
  it('a GFD restart does not make the RM delete live servers or change the primary (heartbeat_timeout < 1 s)', async () => {
    // A short heartbeat_timeout (a valid setting) makes the GFD's grace period much shorter than the
    // LFDs' 1 s retry ceiling, so the race is lost on most restarts rather than on some.
    const cluster = await writeConfig({
      cluster: { mode: 'passive', app: 'log', heartbeat_freq: 0.1, heartbeat_timeout: 0.3 },
      clients: { C1: { interval: 0.2 } },
    });
    const cfg = ['--config', cluster.file];
    const rm = startRole(['rm', ...cfg]);
    let gfd = startRole(['gfd', ...cfg]);
    const lfds = [1, 2, 3].map((i) => startRole(['lfd', '--name', `LFD${i}`, ...cfg]));
    await Promise.all(lfds.map((lfd, i) => launchedPid(lfd, `S${i + 1}`)));
    await waitForLine(rm, /RM: 3 members: S1, S2, S3$/);
    const client = startRole(['client', '--name', 'C1', ...cfg]);
    await waitForLine(client, /Received <C1, S\d, \d+, reply>$/);

    // Jitter decides each restart; three restarts make a pass by luck unlikely.
    for (let restart = 1; restart <= 3; restart++) {
      const mark = rm.mark();
      process.kill(gfd.pid, 'SIGKILL');
      await gfd.closed;
      // The fault: the GFD stays down for 2 s (long enough for the LFDs' retry delays to reach their cap).
      await new Promise((r) => setTimeout(r, 2000));
      gfd = startRole(['gfd', ...cfg]);
      await waitForLine(gfd, /GFD: 3 members: S1, S2, S3$/, 10_000);
      // Nothing failed, so the RM must print no membership change and no new primary. Checked for a
      // bounded time well past the grace period (heartbeat_timeout) and the LFDs' longest retry delay.
      const spurious = await waitForLine(rm, /RM: (\d+ members|primary is)/, 2000, mark).then(
        (found) => found.line,
        () => null,
      );
      expect(spurious, `restart ${restart}: the RM reacted to a GFD restart:\n${rm.lines.slice(mark).join('\n')}`).to.equal(null);
    }
  });

  /**
   * SPEC §3: SIGTERM stops a role cleanly, "children stopped". The LFD sends its server SIGTERM and
   * then leaves (main.ts exits 200 ms after the machine stopped) without waiting for the child to
   * exit. A server that does not die at once (here: frozen with SIGSTOP, as the scenarios' `pause`
   * does) is left behind, an orphan still holding its ports.
   */
  it('SIGTERM to an LFD stops its server even when the server is frozen', async () => {
    const cluster = await writeConfig({ servers: 1 });
    const lfd = startRole(['lfd', '--name', 'LFD1', '--config', cluster.file]);
    const pid = await launchedPid(lfd, 'S1');
    await waitForLine(lfd, /S1 started on /);
    process.kill(pid, 'SIGSTOP');
    process.kill(lfd.pid, 'SIGTERM');
    expect((await lfd.closed).code).to.equal(0);
    const gone = await until(() => !isAlive(pid), 3000, () => '').then(
      () => true,
      () => false,
    );
    if (!gone) process.kill(pid, 'SIGCONT'); // let teardown's SIGKILL work at once
    expect(gone, `server pid ${pid} outlived its LFD`).to.equal(true);
  });

  /** SPEC §3: bad usage exits 2; main.ts promises "one line on standard error". */
  it('steadfast without a command: exit 2 with one line on stderr', async () => {
    const { role, exit } = await runToExit([]);
    expect(exit.code).to.equal(2);
    expect(role.stderr, role.tail()).to.have.length(1);
    expect(role.stdout, role.tail()).to.deep.equal([]);
  });

  /** A server that cannot bind prints `S1 started on …` first: a line that says it started. */
  it('a server whose port is taken does not say it started', async () => {
    const cluster = await writeConfig({ servers: 1 });
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: cluster.server('S1').port }, () => resolve()));
    try {
      const { role, exit } = await runToExit(['server', '--name', 'S1', '--config', cluster.file]);
      expect(exit.code).to.equal(1);
      expect(role.lines.filter((l) => / started on /.test(l)), role.tail()).to.deep.equal([]);
    } finally {
      blocker.close();
    }
  });
});
