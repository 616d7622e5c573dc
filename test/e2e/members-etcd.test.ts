/**
 * The membership in etcd (`coordinator = etcd`, docs/operations.md): `steadfast members add S4` under
 * the load of two clients of the client library makes the RM and the GFD take S4 at once (the ini
 * file describes it already), S4 recovers as a backup with the same log as the others;
 * `members remove S4` has it drained and never started again. No request fails, is lost or is
 * applied twice.
 */
import { expect } from 'chai';
import { connect, type Client } from '../../src/client/index.js';
import { requireEtcd, startEtcd, stopEtcd } from '../support/etcd.js';
import { startRm, writeHaConfig } from '../support/ha-cluster.js';
import { agreedLog, answeredMore, checkAnswers, load, together } from '../support/load.js';
import { killAllAndCheck, startRole, waitForLine, type Role } from '../support/processes.js';

const T = 20_000;

describe('e2e: members in etcd (steadfast members add|remove)', function () {
  this.timeout(120_000);
  const clients: Client[] = [];

  before(function () {
    requireEtcd(this);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await killAllAndCheck();
    await stopEtcd();
  });

  it('S4 added in etcd is taken at once and recovers; removed, it is drained and not started again', async () => {
    const etcd = await startEtcd(1);
    const cluster = await writeHaConfig(etcd, { servers: 4, rms: 1, cluster: { app: 'log' } });
    const cfg = ['--config', cluster.file];
    const members = async (...args: string[]) => {
      const tool = startRole(['members', ...args, ...cfg]);
      const exit = await tool.closed;
      return { code: exit.code, out: tool.lines.join('\n') };
    };
    // The file describes S4 already; etcd says who is in.
    expect(await members('remove', 'S4')).to.deep.equal({ code: 0, out: 'members: S1, S2, S3 (S4 removed)' });
    const rm = startRm(cluster, 'RM1');
    const gfd = startRole(['gfd', ...cfg]);
    const lfds: Role[] = [1, 2, 3].map((i) => startRole(['lfd', '--name', `LFD${i}`, ...cfg]));
    await waitForLine(rm, /RM1: 3 members: S1, S2, S3$/, T);
    // Whichever server joined first (the three start at once).
    await waitForLine(rm, /RM1: primary is S\d$/, T);
    for (let i = 0; i < 2; i++) clients.push(await connect({ config: cluster.file, name: `E${i + 1}` }));
    let running = load(clients, 'a');
    const more = (n: number) => answeredMore(running, n);
    await more(10);

    const wrong = await members('add', 'S9');
    expect(wrong.code).to.equal(2);
    expect(wrong.out).to.match(/no \[server\.S9\] in .*: describe it there \(on every host\) first/);

    expect(await members('add', 'S4')).to.deep.equal({ code: 0, out: 'members: S1, S2, S3, S4 (S4 added)' });
    await waitForLine(rm, /RM1: reloads .*: S4 added$/, T);
    await waitForLine(gfd, /GFD: reloads .*: LFDs LFD1, LFD2, LFD3, LFD4$/, T);
    lfds.push(startRole(['lfd', '--name', 'LFD4', ...cfg]));
    await waitForLine(rm, /RM1: 4 members: S1, S2, S3, S4$/, T);
    await waitForLine(lfds[3]!, /S4 is ready \[passive\] \[backup\]/, T);
    await more(10);
    await running.stop();
    const first = running;
    checkAnswers(await agreedLog(cluster.servers), first, clients);
    running = load(clients, 'b');
    await more(10);

    expect(await members('remove', 'S4')).to.deep.equal({ code: 0, out: 'members: S1, S2, S3 (S4 removed)' });
    await waitForLine(rm, /RM1: reloads .*: S4 removed \(drains S4\)$/, T);
    await waitForLine(lfds[3]!, /S4: stopped \(released: a primary serves without it\)$/, T);
    await waitForLine(rm, /RM1: 3 members: S1, S2, S3$/, T);
    await more(10);
    await running.stop();
    expect(lfds[3]!.lines.filter((l) => /LFD4 launching S4/.test(l)), 'S4 started once only').to.have.length(1);
    checkAnswers(await agreedLog(cluster.servers.slice(0, 3)), together(first, running), clients);
  });
});
