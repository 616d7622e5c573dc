/**
 * Total order in active mode (docs/ordering.md), whole clusters in one process with `app = log`
 * (a reply is the request's position): concurrent clients get one order everywhere; the sequencer
 * killed at each point of the order → ack → commit cycle, with its frames in flight lost to some
 * peers, loses no answered position and applies nothing twice; a joining replica takes a snapshot at
 * a sequence point and then exactly the positions after it.
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
  cutPeerLinks,
  describeMemory,
  moreAnswers,
  servingReplicas,
  settle,
  startCluster,
} from './cluster-checks.js';

const contextOf = (h: Harness, server: string) => h.current(server)!.role!.actor.getSnapshot().context;

describeBoth('ordering: concurrent clients', (harness, kind) => {
  it('three clients sending fast: every replica applies the same log, each answer at its position everywhere', async () => {
    const h = harness().use({ mode: 'active', app: 'log', clientInterval: 0.01 });
    await startCluster(h);
    const clients = [h.client('C1'), h.client('C2'), h.client('C3')];
    await moreAnswers(h, ['C1', 'C2', 'C3'], 10, 8000);
    const views = await settle(h, clients);
    expect(views.map((v) => v.server)).to.deep.equal(['S1', 'S2', 'S3']);
    for (const v of views.slice(1)) expect(v.log, `${v.server}'s log`).to.deep.equal(views[0]!.log);
    // The clients really ran concurrently: their entries interleave in the one log.
    const owners = views[0]!.log.map((e) => e.slice(0, 2));
    const switches = owners.filter((o, i) => i > 0 && o !== owners[i - 1]).length;
    expect(switches, 'clients interleaved in the log').to.be.greaterThan(5);
    checkAnswered(h, views, 'concurrent clients');
    appliedOncePerProcess(h);
    // Every replica answered: the first reply was kept, the others discarded.
    expect(h.logged('client.duplicate').length).to.be.greaterThan(0);
    if (kind === 'memory') {
      // The sequencer's orders of one instant reached each peer as one batch (the same log all the same).
      const batches = ['S2', 'S3'].flatMap((s) => h.current(s)!.role!.received.filter((r) => r.event.type === 'batch.order').map((r) => (r.event.events as unknown[]).length));
      expect(Math.max(...batches), 'the most orders a peer took in one step').to.be.greaterThan(1);
      // And the peers' acks of one instant reached the sequencer as one batch.
      const senders = h.current('S1')!.role!.received.filter((r) => r.event.type === 'batch.ack').map((r) => new Set((r.event.events as { frame: { from: string } }[]).map((e) => e.frame.from)).size);
      expect(Math.max(...senders), 'the most peers whose acks the sequencer took in one step').to.equal(2);
    }
  });
});

// Memory only: the kill falls in the very millisecond the sequencer sent its `order` (or `commit`)
// frames, some of them lost in flight; only the simulated network under fake timers gives that.
describeMemory('ordering: the sequencer killed at each point of a request’s cycle', (harness) => {
  const points = [
    { when: 'ordered', what: 'it sent the order' },
    { when: 'applied', what: 'it committed and applied (sending commit)' },
  ] as const;
  const cuts = [
    { title: 'every peer gets the frames', cut: [] as string[] },
    { title: 'the frames reach no peer', cut: ['S2', 'S3'] },
    { title: 'only the next sequencer (S2) gets them', cut: ['S3'] },
    { title: 'only the other peer (S3) gets them', cut: ['S2'] },
  ];
  for (const p of points) {
    for (const v of cuts) {
      it(`right after ${p.what}; ${v.title}: no answer lost or moved, nothing applied twice, the request answered once ordered again`, async () => {
        const h = harness().use({ mode: 'active', app: 'log', clientInterval: 0.02 });
        const { rm } = await startCluster(h);
        const clients = [h.client('C1'), h.client('C2')];
        await moreAnswers(h, ['C1', 'C2'], 3);
        const old = h.current('S1')!;
        const next = answers(h, 'C1').at(-1)!.num + 1;
        const reached = () => {
          const ctx = contextOf(h, 'S1');
          if (p.when === 'ordered') return ctx.order.log.find((e) => e.client === 'C1' && e.num >= next);
          return (ctx.clients.get('C1')?.num ?? 0) >= next ? { num: ctx.clients.get('C1')!.num } : undefined;
        };
        await h.until(() => reached() !== undefined, `S1 ${p.when} C1's next request`);
        const n = reached()!.num;
        for (const b of v.cut) expect(cutPeerLinks(h, 'S1', b), `S1's link to ${b}`).to.equal(1);
        old.kill();
        // Whether or not some replica answered it meanwhile, the request ends up answered, at one
        // position everywhere, and the clients go on under the new sequencer.
        await h.until(() => answers(h, 'C1').some((a) => a.num === n), `the answer to C1 ${n}`, 5000);
        await moreAnswers(h, ['C1', 'C2'], 3, 5000);
        expect(rm.actor.getSnapshot().context.membership.primary).to.equal('S2');
        await h.until(() => allBack(h, rm), 'the relaunched S1 back', 8000);
        await moreAnswers(h, ['C1', 'C2'], 2, 5000);
        const views = await settle(h, clients);
        expect(views.map((x) => x.server)).to.deep.equal(['S1', 'S2', 'S3']);
        for (const x of views.slice(1)) expect(x.log, `${x.server}'s log`).to.deep.equal(views[0]!.log);
        expect(views[0]!.log.filter((e) => e === bodyOf('C1', n)).length, `C1 ${n} once`).to.equal(1);
        checkAnswered(h, views, `sequencer killed after ${p.when} (${v.title})`);
        appliedOncePerProcess(h);
      });
    }
  }
});

describeBoth('ordering: a joining replica', (harness) => {
  it('takes a snapshot at a sequence point from the sequencer, then exactly the positions after it', async () => {
    const h = harness().use({ mode: 'active', app: 'log', clientInterval: 0.005 });
    const { rm } = await startCluster(h);
    const clients = [h.client('C1'), h.client('C2')];
    await moreAnswers(h, ['C1', 'C2'], 5);
    const fresh = await relaunched(h, rm, 'S3');
    const recovered = h.logged('server.recovered', 'S3').find((l) => l.pid === fresh.pid)!;
    expect(recovered.event.from, 'the snapshot comes from the sequencer').to.equal('S1');
    await moreAnswers(h, ['C1', 'C2'], 5);
    const views = await settle(h, clients);
    const s3 = views.find((v) => v.server === 'S3')!;
    for (const v of views) expect(v.log, `${v.server}'s log`).to.deep.equal(s3.log);
    // The snapshot's sequence point: every position up to it came in the snapshot (no request is
    // ordered twice in this run, so a position is an entry), every one after it from the sequencer.
    const point = recovered.event.applied;
    expect(Number(recovered.event.state), 'entries in the snapshot').to.equal(point);
    const own = h.logged('server.after', 'S3').filter((l) => l.pid === fresh.pid).map((l) => bodyOf(l.event.request.client, l.event.request.num));
    expect(own, 'what S3 applied itself: the positions after the snapshot, in order').to.deep.equal(s3.log.slice(point));
    expect(own.length).to.be.greaterThan(0);
    expect(contextOf(h, 'S3').applied).to.equal(s3.log.length);
    checkAnswered(h, servingReplicas(h), 'after the join');
    appliedOncePerProcess(h);
  });
});
