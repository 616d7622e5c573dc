/**
 * Standby RMs through a real etcd (docs/coordination.md), with real processes under load from
 * library clients that record their history (`app = log`): the leading RM killed -9 ten times, each
 * time with the primary right after it; a leader frozen past its lease that must change nothing
 * when it runs again; and an etcd member of three killed under the cluster's feet. In every run the
 * replicas agree, every answered request is in the log once, where it was told, and the history is
 * linearizable.
 */
import { expect } from 'chai';
import { performance } from 'node:perf_hooks';
import { Load } from '../support/durable-cluster.js';
import { etcdLeader, killMember, requireEtcd, startEtcd, stopEtcd } from '../support/etcd.js';
import { expectNothingLost, primaryNow, progress, startDetectors, startRm, writeHaConfig, type HaCluster } from '../support/ha-cluster.js';
import { killAllAndCheck, queryStatus, until, waitForLine, type Role } from '../support/processes.js';

const T = 20_000;
const ROUNDS = 10;

/** RM1 leads, RM2 stands by, the servers serve with a primary. */
async function startCluster(cluster: HaCluster): Promise<Map<string, Role>> {
  const rms = new Map<string, Role>();
  rms.set('RM1', startRm(cluster, 'RM1'));
  await waitForLine(rms.get('RM1')!, /RM1: leading/, T);
  rms.set('RM2', startRm(cluster, 'RM2'));
  await waitForLine(rms.get('RM2')!, /RM2: standby, leader is RM1/, T);
  startDetectors(cluster);
  await waitForLine(rms.get('RM1')!, /RM1: 3 members: S1, S2, S3/, T);
  await until(async () => (await primaryNow(cluster)) !== null, T, () => 'no primary');
  return rms;
}

describe('e2e: standby RMs through etcd', function () {
  this.timeout(300_000);

  before(function () {
    requireEtcd(this);
  });
  afterEach(async () => {
    await killAllAndCheck();
    await stopEtcd();
  });

  it(`kill -9 of the leading RM and then of the primary, ${ROUNDS} times under load: a standby leads within lease_ttl + 1 s and fails over`, async () => {
    const etcd = await startEtcd(1);
    const cluster = await writeHaConfig(etcd, { cluster: { mode: 'passive', app: 'log', durability: 'sync' } });
    const rms = await startCluster(cluster);
    const load = new Load(cluster, 4);
    let leader = 'RM1';
    const takeovers: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      await progress(load, `round ${round}`);
      const primary = (await primaryNow(cluster))!;
      const primaryPid = (await queryStatus(cluster.server(primary).port, primary)).pid;
      const standby = leader === 'RM1' ? 'RM2' : 'RM1';
      const next = rms.get(standby)!;
      const mark = next.mark();
      const killedAt = performance.now();
      process.kill(rms.get(leader)!.pid, 'SIGKILL');
      process.kill(primaryPid, 'SIGKILL');
      await waitForLine(next, new RegExp(`${standby}: leading`), T, mark);
      takeovers.push(performance.now() - killedAt);
      const promoted = await waitForLine(next, new RegExp(`${standby}: primary is (S\\d)`), T, mark);
      expect(promoted.match[1], `round ${round}: the new leader's primary`).to.not.equal(primary);
      await rms.get(leader)!.closed;
      rms.set(leader, startRm(cluster, leader));
      await waitForLine(rms.get(leader)!, new RegExp(`${leader}: standby, leader is ${standby}`), T);
      leader = standby;
    }
    await progress(load, 'after the last round');
    await expectNothingLost(cluster, load);
    console.log(`      takeovers (kill -9 → the standby leads): ${takeovers.map((t) => Math.round(t)).join(', ')} ms`);
    expect(Math.max(...takeovers), 'kill -9 of the leader → the standby leads (ms)').to.be.below((cluster.leaseTtlS + 1) * 1000);
  });

  it('a leader frozen past its lease, with a failover waiting in its socket, sends nothing when it runs again: it steps down', async () => {
    const etcd = await startEtcd(1);
    const cluster = await writeHaConfig(etcd, { cluster: { mode: 'passive', app: 'log', durability: 'sync' } });
    const rms = await startCluster(cluster);
    const [rm1, rm2] = [rms.get('RM1')!, rms.get('RM2')!];
    const load = new Load(cluster, 2);
    await progress(load, 'before the freeze');
    const primary = (await primaryNow(cluster))!;
    const primaryPid = (await queryStatus(cluster.server(primary).port, primary)).pid;
    const mark2 = rm2.mark();
    process.kill(rm1.pid, 'SIGSTOP');
    // The GFD tells the frozen RM1 of the death: the news waits in RM1's socket.
    process.kill(primaryPid, 'SIGKILL');
    await waitForLine(rm2, /RM2: leading/, T, mark2);
    await waitForLine(rm2, /RM2: primary is (S\d)/, T, mark2);
    await progress(load, 'with RM2 leading');
    const mark1 = rm1.mark();
    process.kill(rm1.pid, 'SIGCONT');
    // RM1 decides on the news (a new primary, a new epoch), etcd refuses the epoch, nothing leaves.
    const refused = await waitForLine(rm1, /RM1: (\d+) frames of epoch (\d+) not sent: etcd did not grant the epoch/, T, mark1);
    await waitForLine(rm1, /RM1: deposed \(.+\), standby/, T, mark1);
    await waitForLine(rm1, /RM1: standby, leader is RM2|RM1: deposed \(.+\), standby, leader is RM2/, T, mark1);
    console.log(`      RM1 after SIGCONT: ${refused.line.replace(/^.*?RM1: /, '')}`);
    // Its decision would have named a primary too: no server took anything from RM1.
    const decided = rm1.lines.slice(mark1).filter((l) => /RM1: (primary|sequencer) is/.test(l));
    const statuses = await Promise.all(cluster.servers.map((s) => queryStatus(s.port, s.name).catch(() => null)));
    const rm2Epoch = Math.max(...statuses.map((st) => st?.epoch ?? 0));
    expect(decided.length, 'RM1 decided on the news').to.be.greaterThan(0);
    await progress(load, 'after RM1 stepped down');
    await expectNothingLost(cluster, load);
    expect(statuses.filter((st) => st !== null && st.phase === 'ready').every((st) => st!.epoch === rm2Epoch), 'every ready server in one epoch').to.equal(true);
  });

  it('the leading member of a three-member etcd killed: the leader keeps leading and the clients notice nothing', async () => {
    const etcd = await startEtcd(3);
    const cluster = await writeHaConfig(etcd, { cluster: { mode: 'passive', app: 'log', durability: 'sync' } });
    const rms = await startCluster(cluster);
    const load = new Load(cluster, 4);
    await progress(load, 'before');
    const marks = [...rms.values()].map((r) => r.mark());
    // etcd's own leader: the harder case (the others elect a new one first).
    await killMember(await etcdLeader(etcd));
    // Long enough for a lease to run out twice over, were it not kept alive through the others.
    const until2 = Date.now() + 3 * cluster.leaseTtlS * 1000;
    while (Date.now() < until2) await progress(load, 'with an etcd member gone');
    await expectNothingLost(cluster, load);
    const lines = [...rms.values()].flatMap((r, i) => r.lines.slice(marks[i]));
    expect(lines.filter((l) => /leading|deposed|standby/.test(l)), 'leadership changes').to.deep.equal([]);
    expect(load.ops.filter((o) => o.reply === null).length, 'requests without an answer').to.equal(0);
  });
});
