/**
 * Standby GFDs through a real etcd (docs/coordination.md), with real processes under load from
 * library clients that record their history (`app = log`): the leading GFD killed -9 ten times,
 * each time with the primary right after it, and a leading GFD frozen past its lease while a primary
 * dies. Every LFD reports to both GFDs, so the one elected has the membership already: the RM fails
 * over through it and loses no member. In every run the replicas agree, every answered request is
 * in the log once, where it was told, and the history is linearizable.
 */
import { expect } from 'chai';
import { performance } from 'node:perf_hooks';
import { Load } from '../support/durable-cluster.js';
import { requireEtcd, startEtcd, stopEtcd } from '../support/etcd.js';
import { expectNothingLost, primaryNow, progress, startDetectors, startGfd, startRm, writeHaConfig, type HaCluster } from '../support/ha-cluster.js';
import { killAllAndCheck, queryStatus, until, waitForLine, type Role } from '../support/processes.js';

const T = 20_000;
const ROUNDS = 10;

/** RM1 leads, GFD1 leads the GFDs and GFD2 stands by, the servers serve with a primary. */
async function startCluster(cluster: HaCluster): Promise<{ rm: Role; gfds: Map<string, Role> }> {
  const rm = startRm(cluster, 'RM1');
  await waitForLine(rm, /RM1: leading/, T);
  const { gfds } = startDetectors(cluster);
  await waitForLine(rm, /RM1: 3 members: S1, S2, S3/, T);
  const leading = await Promise.race([...gfds.entries()].map(([name, gfd]) => waitForLine(gfd, /GFD\d: leading/, T).then(() => name)));
  const other = [...gfds.keys()].find((n) => n !== leading)!;
  await waitForLine(gfds.get(other)!, new RegExp(`${other}: standby, leader is ${leading}`), T);
  await until(async () => (await primaryNow(cluster)) !== null, T, () => 'no primary');
  return { rm, gfds };
}

async function allReady(cluster: HaCluster): Promise<boolean> {
  const statuses = await Promise.all(cluster.servers.map((s) => queryStatus(s.port, s.name, 1000).catch(() => null)));
  return statuses.every((st) => st?.phase === 'ready');
}

const leaderOf = (gfds: Map<string, Role>): string =>
  [...gfds.entries()].find(([name, gfd]) => gfd.lines.some((l) => l.includes(`${name}: leading`)) && !gfd.lines.some((l) => l.includes(`${name}: deposed`)))![0];

describe('e2e: standby GFDs through etcd', function () {
  this.timeout(300_000);

  before(function () {
    requireEtcd(this);
  });
  afterEach(async () => {
    await killAllAndCheck();
    await stopEtcd();
  });

  it(`kill -9 of the leading GFD and then of the primary, ${ROUNDS} times under load: a standby leads within lease_ttl + 1 s, and the RM fails over through it`, async () => {
    const etcd = await startEtcd(1);
    const cluster = await writeHaConfig(etcd, { rms: 1, gfds: 2, cluster: { mode: 'passive', app: 'log', durability: 'sync' } });
    const { rm, gfds } = await startCluster(cluster);
    const load = new Load(cluster, 4);
    let leader = leaderOf(gfds);
    const takeovers: number[] = [];
    const failovers: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      await progress(load, `round ${round}`);
      const primary = (await primaryNow(cluster))!;
      const primaryPid = (await queryStatus(cluster.server(primary).port, primary)).pid;
      const standby = [...gfds.keys()].find((n) => n !== leader)!;
      const next = gfds.get(standby)!;
      const [mark, rmMark] = [next.mark(), rm.mark()];
      const killedAt = performance.now();
      process.kill(gfds.get(leader)!.pid, 'SIGKILL');
      process.kill(primaryPid, 'SIGKILL');
      await waitForLine(next, new RegExp(`${standby}: leading`), T, mark);
      takeovers.push(performance.now() - killedAt);
      const promoted = await waitForLine(rm, /RM1: primary is (S\d)/, T, rmMark);
      failovers.push(performance.now() - killedAt);
      expect(promoted.match[1], `round ${round}: the new primary`).to.not.equal(primary);
      // The new GFD's first word to the RM is the whole set: no live member is taken for dead.
      const lost = rm.lines.slice(rmMark).filter((l) => /no replica serves|state is lost/.test(l));
      expect(lost, `round ${round}`).to.deep.equal([]);
      await gfds.get(leader)!.closed;
      gfds.set(leader, startGfd(cluster, leader));
      await waitForLine(gfds.get(leader)!, new RegExp(`${leader}: standby, leader is ${standby}`), T);
      leader = standby;
    }
    await progress(load, 'after the last round');
    await expectNothingLost(cluster, load);
    console.log(`      takeovers (kill -9 → the standby GFD leads): ${takeovers.map((t) => Math.round(t)).join(', ')} ms`);
    console.log(`      failovers (kill -9 of GFD and primary → the RM names a new primary): ${failovers.map((t) => Math.round(t)).join(', ')} ms`);
    expect(Math.max(...takeovers), 'kill -9 of the leading GFD → the standby leads (ms)').to.be.below((cluster.leaseTtlS + 1) * 1000);
  });

  it('a leading GFD frozen past its lease while the primary dies: the standby leads and the RM fails over; thawed, the old one steps down and is not heard', async () => {
    const etcd = await startEtcd(1);
    const cluster = await writeHaConfig(etcd, { rms: 1, gfds: 2, cluster: { mode: 'passive', app: 'log', durability: 'sync' } });
    const { rm, gfds } = await startCluster(cluster);
    const load = new Load(cluster, 2);
    await progress(load, 'before the freeze');
    const leader = leaderOf(gfds);
    const standby = [...gfds.keys()].find((n) => n !== leader)!;
    const [frozen, next] = [gfds.get(leader)!, gfds.get(standby)!];
    const primary = (await primaryNow(cluster))!;
    const primaryPid = (await queryStatus(cluster.server(primary).port, primary)).pid;
    const [mark, rmMark] = [next.mark(), rm.mark()];
    process.kill(frozen.pid, 'SIGSTOP');
    process.kill(primaryPid, 'SIGKILL');
    await waitForLine(next, new RegExp(`${standby}: leading`), T, mark);
    const promoted = await waitForLine(rm, /RM1: primary is (S\d)/, T, rmMark);
    expect(promoted.match[1]).to.not.equal(primary);
    await progress(load, `with ${standby} leading`);
    await until(async () => (await allReady(cluster)), T, () => 'the relaunched server does not serve');
    // Thawed, its heartbeat timers are long overdue: every LFD looks silent to it. None of that reaches the RM.
    const [frozenMark, rmThaw] = [frozen.mark(), rm.mark()];
    process.kill(frozen.pid, 'SIGCONT');
    await waitForLine(frozen, new RegExp(`${leader}: deposed \\(.+\\), standby`), T, frozenMark);
    await progress(load, `after ${leader} stepped down`);
    const rmSaw = rm.lines.slice(rmThaw);
    expect(rmSaw.filter((l) => /RM1: \d+ members/.test(l)), 'membership changes at the RM after the thaw').to.deep.equal([]);
    console.log(`      the RM after the thaw: ${rmSaw.filter((l) => l.includes(leader)).map((l) => l.replace(/^.*?RM1: /, '')).join('; ') || 'nothing from ' + leader}`);
    await expectNothingLost(cluster, load);
    expect(await allReady(cluster), 'every server serves').to.equal(true);
  });
});
