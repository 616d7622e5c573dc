/**
 * Recovery of a relaunched replica while the clients keep sending, whole clusters in one process
 * with `app = log`. Active mode (SPEC §6 Assignment, docs/ordering.md): the recovering replica S
 * takes a snapshot at a sequence point from the sequencer R; every position after it reaches S as
 * an `order` from R, and what the clients send before they know S reaches R; S must end with R's
 * log, every request once. Passive mode: the relaunched replica rejoins as a backup with the primary's log, taking the
 * primary's updates (held while it waits for the checkpoint) under `durability = sync`.
 */
import { expect } from 'chai';
import { describeBoth, type Harness } from './harness.js';
import {
  allBack,
  relaunched,
  answers,
  appliedOncePerProcess,
  bodyOf,
  checkAnswered,
  describeMemory,
  moreAnswers,
  settle,
  slowPeerLinks,
  startCluster,
  type ReplicaView,
} from './cluster-checks.js';

/** `server.after` lines of one process of a server, as (client, num), with when they were printed. */
const appliedBy = (h: Harness, server: string, pid: number) =>
  h
    .logged('server.after', server)
    .filter((l) => l.pid === pid)
    .map((l) => ({ num: l.event.request.num, client: l.event.request.client, seq: l.seq, at: l.at }));

/**
 * Active, one client sending fast (a request every few milliseconds, so that requests are applied
 * while S2 recovers): kill S2, let LFD2 relaunch it, let it recover while requests flow; then S2's
 * log equals its snapshot source's, every request once. Returns what the new S2 applied itself.
 */
async function activeRejoin(h: Harness) {
  const { rm } = await startCluster(h);
  const c1 = h.client('C1');
  await moreAnswers(h, ['C1'], 5);
  h.current('S2')!.kill();
  await h.until(() => h.launched('S2').length === 2 && h.phase('S2') === 'ready', 'a new S2 serving', 8000);
  const fresh = h.current('S2')!;
  const recovered = h.logged('server.recovered', 'S2').find((l) => l.pid === fresh.pid);
  expect(recovered, 'the new S2 recovered from a snapshot').to.not.equal(undefined);
  const source = recovered!.event.from;
  await h.until(() => allBack(h, rm), 'S2 counted as serving again', 5000);
  // The client reaches the new S2 only once the RM named it.
  const sentToS2 = () => h.logged('client.sent', 'C1').find((l) => l.event.request.server === 'S2' && l.seq > recovered!.seq);
  await h.until(() => sentToS2() !== undefined, 'C1 sends to the new S2', 5000);
  const firstToS2 = sentToS2()!.event.request.num;
  await moreAnswers(h, ['C1'], 5);
  const views = await settle(h, [c1]);
  expect(views.map((v) => v.server)).to.deep.equal(['S1', 'S2', 'S3']);
  const s2 = views.find((v) => v.server === 'S2')!;
  const r = views.find((v) => v.server === source)!;
  expect(s2.log, `S2's log equals ${source}'s`).to.deep.equal(r.log);
  expect(s2.clients).to.deep.equal(r.clients);
  checkAnswered(h, views, 'after the active rejoin');
  appliedOncePerProcess(h);

  // What the new S2 applied itself (not in the snapshot): each after the snapshot's entries. Those
  // numbered below the first request the client sent to S2 reached S2 only as forwards: applied by
  // R after its snapshot, before the client reached S2.
  const own = appliedBy(h, 'S2', fresh.pid).filter((a) => a.client === 'C1');
  for (const a of own) expect(s2.log.indexOf(bodyOf('C1', a.num)), `C1 ${a.num} after the snapshot`).to.be.at.least(recovered!.event.applied);
  const forwardedOnly = own.filter((a) => a.num < firstToS2);
  // Each of them was answered to the client (by another replica) at the position S2 put it.
  for (const a of answers(h, 'C1').filter((x) => forwardedOnly.some((f) => f.num === x.num))) {
    expect(s2.log.indexOf(bodyOf('C1', a.num)) + 1, `C1 ${a.num} at S2`).to.equal(Number(a.result));
  }
  // Every position after the snapshot's sequence point reached S2 as an `order` from the sequencer.
  const ordered = h.logged('server.after', 'S2').filter((l) => l.pid === fresh.pid && l.seq > recovered!.seq);
  return { forwardedOnly, ordered, s2: s2 as ReplicaView, source };
}

describeBoth('recovery', (harness) => {
  it('active: a replica relaunched while requests flow ends with the same log, every request once', async () => {
    const h = harness().use({ mode: 'active', app: 'log', clientInterval: 0.004 });
    const { ordered } = await activeRejoin(h);
    expect(ordered.length, 'orders S2 took after its snapshot').to.be.greaterThan(0);
  });

  it('passive (sync): a backup relaunched while requests flow rejoins with the primary\'s log, every request once', async () => {
    const h = harness().use({ mode: 'passive', durability: 'sync', app: 'log', clientInterval: 0.004 });
    const { rm } = await startCluster(h);
    const clients = [h.client('C1'), h.client('C2')];
    await moreAnswers(h, ['C1', 'C2'], 5);
    const fresh = await relaunched(h, rm, 'S3');
    expect(h.lines('S3').filter((l) => l.startsWith('S3 is ready [passive] [backup]')).length).to.be.at.least(2);
    // It took a checkpoint from the primary, then the primary's updates.
    expect(h.logged('checkpoint.taken', 'S3').some((l) => l.pid === fresh.pid && l.event.from === 'S1')).to.equal(true);
    await moreAnswers(h, ['C1', 'C2'], 5);
    expect(appliedBy(h, 'S3', fresh.pid).length, 'updates applied by the new S3').to.be.greaterThan(0);
    const views = await settle(h, clients);
    expect(views.find((v) => v.server === 'S3')!.log).to.deep.equal(views.find((v) => v.server === 'S1')!.log);
    checkAnswered(h, views, 'after the passive rejoin');
    appliedOncePerProcess(h);
  });
});

// Memory only: S1's link to the recovering S2 is slowed (20 ms one way) so that its snapshot
// arrives well after S3's forwards of newer requests; only the simulated network can slow one link.
// The regression of recovery-misses-forwarded (simulator seed 941 on 2ef6865: a recovering replica
// missed a request its snapshot's source applied from a forward after the snapshot left). Since the
// sequencer's order no simulator seed reaches that moment any more (none of the active seeds
// 1-200), so this test is where the path is driven.
describeMemory('recovery: held and forwarded requests', (harness) => {
  it('active: what arrives before the snapshot is held, and every position after the snapshot comes from the sequencer, applied once', async () => {
    const h = harness().use({ mode: 'active', app: 'log', clientInterval: 0.004 });
    slowPeerLinks(h, 'S1', 'S2', 20);
    const { source, ordered } = await activeRejoin(h);
    expect(source).to.equal('S1');
    // (The sequencer commits nothing while S2, listed, has not acknowledged: the clients' requests
    // of that time wait, and S2 applies them from the sequencer's order after its snapshot.)
    expect(ordered.length, 'orders S2 took after its snapshot').to.be.greaterThan(0);
  });
});
