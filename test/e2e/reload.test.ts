/**
 * Membership without a restart (issue 21, docs/operations.md): under the load of four clients of the
 * client library, an active cluster (`app = log`) is told by SIGHUP that its ini file now names S4:
 * the RM and GFD take it, LFD4 starts S4, which recovers and takes part in the total order; then S4
 * is removed again: drained, stopped, not started again. Reloads that change anything else are
 * refused with one line and change nothing. The clients never see an error, and the logs agree.
 */
import { writeFileSync } from 'node:fs';
import { expect } from 'chai';
import { connect, type Client } from '../../src/client/index.js';
import { clusterIni } from '../../src/sim/cluster.js';
import { agreedLog, answeredMore, checkAnswers, load, together } from '../support/load.js';
import { FAST, HOST, killAllAndCheck, startRole, waitForLine, writeConfig, type Role } from '../support/processes.js';

const T = 15_000;

describe('e2e: reload (SIGHUP) adds and removes a server under load', function () {
  this.timeout(90_000);
  const clients: Client[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await killAllAndCheck();
  });

  it('active: S4 added, recovers, takes part in the order; removed, drained and gone; bad reloads change nothing', async () => {
    const cluster = await writeConfig({ servers: 4 });
    const ini = (servers: number, keys: Record<string, string | number> = {}) =>
      clusterIni({
        cluster: { ...FAST, mode: 'active', app: 'log', ...keys },
        rm: { host: HOST, port: cluster.rmPort },
        gfd: { host: HOST, port: cluster.gfdPort },
        servers: cluster.servers.slice(0, servers).map((s) => ({ ...s, host: HOST })),
        clients: {},
      });
    writeFileSync(cluster.file, ini(3));
    const cfg = ['--config', cluster.file];
    const rm = startRole(['rm', ...cfg]);
    const gfd = startRole(['gfd', ...cfg]);
    for (let i = 1; i <= 3; i++) startRole(['lfd', '--name', `LFD${i}`, ...cfg]);
    await waitForLine(rm, /RM: 3 members: S1, S2, S3$/, T);
    for (let i = 0; i < 4; i++) clients.push(await connect({ config: cluster.file, name: `L${i + 1}` }));
    let running = load(clients, 'a');
    const more = (n: number) => answeredMore(running, n);
    const hangUp = (...roles: Role[]) => roles.forEach((r) => process.kill(r.pid, 'SIGHUP'));
    await more(10);

    // A key that cannot change at run time: refused, nothing changes.
    writeFileSync(cluster.file, ini(4, { heartbeat_timeout: 2 }));
    hangUp(rm);
    await waitForLine(rm, /RM: reload refused: these cannot change while the cluster runs: \[cluster\] heartbeat_timeout \(nothing changed\)$/, T);
    writeFileSync(cluster.file, ini(4).replace('[server.S4]', '[server.S4'));
    hangUp(gfd);
    await waitForLine(gfd, /GFD: reload refused: .*not a \[section\] header.*\(nothing changed\)$/, T);

    // S4 added: taken by the RM and the GFD, started by LFD4, recovering, then in the order.
    writeFileSync(cluster.file, ini(4));
    hangUp(rm, gfd);
    await waitForLine(rm, /RM: reloads .*: S4 added$/, T);
    await waitForLine(gfd, /GFD: reloads .*: LFDs LFD1, LFD2, LFD3, LFD4$/, T);
    const lfd4 = startRole(['lfd', '--name', 'LFD4', ...cfg]);
    await waitForLine(rm, /RM: 4 members: S1, S2, S3, S4$/, T);
    await waitForLine(lfd4, /S4: recovered from S\d/, T);
    await waitForLine(lfd4, /S4 is ready \[active\] \[backup\]/, T);
    await more(20);
    // The clients pause: the four logs, S4's too, are one.
    await running.stop();
    const first = running;
    checkAnswers(await agreedLog(cluster.servers), first, clients);
    running = load(clients, 'b');
    await more(10);

    // S4 removed: drained (it leaves, then stops), never started again; LFD4 is stopped after.
    writeFileSync(cluster.file, ini(3));
    hangUp(rm, gfd);
    await waitForLine(rm, /RM: reloads .*: S4 removed \(drains S4\)$/, T);
    await waitForLine(lfd4, /S4: stopped \(released: a primary serves without it\)$/, T);
    await waitForLine(rm, /RM: 3 members: S1, S2, S3$/, T);
    await waitForLine(lfd4, /LFD4: S4 left after its drain$/, T);
    process.kill(lfd4.pid, 'SIGTERM');
    expect((await lfd4.closed).code, lfd4.tail()).to.equal(0);
    expect(lfd4.lines.filter((l) => /LFD4 launching S4/.test(l)), 'S4 started once only').to.have.length(1);
    await more(20);
    await running.stop();
    checkAnswers(await agreedLog(cluster.servers.slice(0, 3)), together(first, running), clients);
  });
});
