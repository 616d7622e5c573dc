/**
 * Failover, whole clusters in one process (RM, GFD, three LFDs launching their servers, clients),
 * with `app = log`: a reply is the position of the request's entry, so a request applied twice, lost
 * or applied at another place than the client was told shows in the replicas' logs.
 *
 * Issue 3, "Must show": answered requests survive every failure exactly once (active and passive);
 * a passive primary killed between an update and its reply, or right after replying, under both
 * durabilities; a hung primary killed by its LFD before it is deleted, and never heard again.
 */
import { expect } from 'chai';
import { describeBoth, SERVERS, type ClientActor, type Harness, type Role } from './harness.js';
import {
  allBack,
  answers,
  appliedOncePerProcess,
  bodyOf,
  cutPeerLinks,
  describeMemory,
  checkAnswered,
  freeze,
  moreAnswers,
  servingReplicas,
  settle,
  startCluster,
  viewOf,
} from './cluster-checks.js';

describeBoth('failover: answered requests survive every failure exactly once', (harness) => {
  /**
   * Kills `victims` (as kill -9) while the clients run, waits until every killed replica was
   * relaunched and serves again, then stops the clients and checks every serving replica's log
   * against every answer. The clients start again under the same names (they learn their last
   * number from the first refusal) for the next round.
   */
  async function failAndCheck(
    h: Harness,
    rm: Parameters<typeof allBack>[1],
    names: string[],
    clients: Role<ClientActor>[],
    victims: string[],
    what: string,
  ): Promise<Role<ClientActor>[]> {
    const launches = Object.fromEntries(victims.map((v) => [v, h.launched(v).length]));
    for (const v of victims) h.current(v)!.kill();
    // The clients go on with the replicas left (and are answered again from the first one).
    await moreAnswers(h, names, 3, 8000);
    await h.until(() => allBack(h, rm) && victims.every((v) => h.launched(v).length > launches[v]!), `${what}: all three serving again`, 10000);
    await moreAnswers(h, names, 3, 8000);
    const views = await settle(h, clients);
    expect(views.map((v) => v.server), `${what}: serving replicas`).to.deep.equal([...SERVERS]);
    checkAnswered(h, views, `after killing ${what}`);
    const next = names.map((n) => h.client(n));
    await moreAnswers(h, names, 2, 8000);
    return next;
  }

  const primaryOf = (rm: Parameters<typeof allBack>[1]) => rm.actor.getSnapshot().context.membership.primary!;

  it('passive (durability = sync), two clients: kill a backup, the primary, the new primary, then the primary and a backup together', async () => {
    const h = harness().use({ mode: 'passive', durability: 'sync', app: 'log' });
    const { rm } = await startCluster(h);
    const names = ['C1', 'C2'];
    let clients = names.map((n) => h.client(n));
    await moreAnswers(h, names, 3);
    expect(primaryOf(rm)).to.equal('S1');
    clients = await failAndCheck(h, rm, names, clients, ['S3'], 'a backup (S3)');
    clients = await failAndCheck(h, rm, names, clients, [primaryOf(rm)], 'the primary (S1)');
    expect(primaryOf(rm)).to.equal('S2');
    clients = await failAndCheck(h, rm, names, clients, [primaryOf(rm)], 'the new primary (S2)');
    const primary = primaryOf(rm);
    const backup = SERVERS.find((s) => s !== primary)!;
    clients = await failAndCheck(h, rm, names, clients, [primary, backup], `the primary (${primary}) and a backup (${backup}) together`);
    await settle(h, clients);
    checkAnswered(h, servingReplicas(h), 'at the end');
    appliedOncePerProcess(h);
    // Only primaries answered: every answer came from a server the RM had named primary before it.
    const all = answers(h);
    expect(all.length).to.be.greaterThan(20);
    for (const a of all) {
      const named = h.logged('rm.primary').filter((l) => l.seq < a.seq).map((l) => l.event.primary);
      expect(named, `${a.client} ${a.num} answered by ${a.server}`).to.include(a.server);
    }
  });

  // Active mode with one client: every replica applies its requests in number order, so all logs
  // agree and a position told by any replica holds at every replica. (Concurrent active clients may
  // be applied in different orders until total ordering lands; SPEC §7.)
  it('active, one client: kill a replica, the sequencer, the new sequencer, then two replicas together', async () => {
    const h = harness().use({ mode: 'active', app: 'log' });
    const { rm } = await startCluster(h);
    const names = ['C1'];
    let clients = names.map((n) => h.client(n));
    await moreAnswers(h, names, 3);
    expect(primaryOf(rm)).to.equal('S1');
    clients = await failAndCheck(h, rm, names, clients, ['S2'], 'a replica (S2)');
    clients = await failAndCheck(h, rm, names, clients, [primaryOf(rm)], 'the sequencer (S1)');
    clients = await failAndCheck(h, rm, names, clients, [primaryOf(rm)], 'the new sequencer');
    clients = await failAndCheck(h, rm, names, clients, ['S1', 'S3'], 'S1 and S3 together');
    await settle(h, clients);
    checkAnswered(h, servingReplicas(h), 'at the end');
    appliedOncePerProcess(h);
  });
});

// Memory only: the kill must fall between the millisecond the primary sent its `update`s and the
// millisecond their acknowledgements reach it, and a chosen update must be lost in flight; only the
// simulated network under fake timers gives that interleaving every time.
describeMemory('failover: a passive primary killed between an update and its reply (durability = sync)', (harness) => {
  const variants: { title: string; cut: string[] }[] = [
    { title: 'both backups applied the update', cut: [] },
    { title: 'the update reached no backup', cut: ['S2', 'S3'] },
    { title: 'only the backup promoted next (S2) applied it', cut: ['S3'] },
    { title: 'only the other backup (S3) applied it', cut: ['S2'] },
  ];
  for (const v of variants) {
    it(`the client resends to the new primary and the request ends up applied once everywhere: ${v.title}`, async () => {
      const h = harness().use({ mode: 'passive', durability: 'sync', app: 'log' });
      const { rm } = await startCluster(h);
      const c1 = h.client('C1');
      await moreAnswers(h, ['C1'], 3);
      const old = h.current('S1')!;
      const next = answers(h, 'C1').at(-1)!.num + 1;
      const appliedAtS1 = () =>
        h.logged('server.after', 'S1').find((l) => l.pid === old.pid && l.event.request.client === 'C1' && l.event.request.num >= next);
      await h.until(() => appliedAtS1() !== undefined, 'S1 applies the next request');
      const n = appliedAtS1()!.event.request.num;
      // This very millisecond S1 sent its updates; lose some of them, and kill S1.
      for (const b of v.cut) expect(cutPeerLinks(h, 'S1', b), `S1's link to ${b}`).to.equal(1);
      old.kill();
      await h.pass(2);
      expect(answers(h, 'C1').some((a) => a.num === n), 'a reply from the killed primary').to.equal(false);
      for (const b of ['S2', 'S3']) {
        const table = h.current(b)!.role!.actor.getSnapshot().context.clients;
        expect(table.get('C1')?.num === n, `${b} applied ${n}`).to.equal(!v.cut.includes(b));
      }
      // The client resends the same number to the new primary and takes its answer.
      await h.until(() => answers(h, 'C1').some((a) => a.num === n), `the answer to ${n}`, 5000);
      const answer = answers(h, 'C1').find((a) => a.num === n)!;
      expect(answer.server).to.equal('S2');
      const sentTo = h.logged('client.sent', 'C1').filter((l) => l.event.request.num === n).map((l) => l.event.request.server);
      expect(sentTo).to.include.members(['S1', 'S2']);
      // Told at once where it stands in the new primary's log.
      const s2 = h.current('S2')!;
      expect(viewOf('S2', s2.pid, s2.role!).log.indexOf(bodyOf('C1', n)) + 1).to.equal(Number(answer.result));
      await moreAnswers(h, ['C1'], 3);
      await h.until(() => allBack(h, rm), 'the relaunched S1 back as a backup', 8000);
      await moreAnswers(h, ['C1'], 2);
      checkAnswered(h, await settle(h, [c1]), `killed between update and reply (${v.title})`);
      appliedOncePerProcess(h);
    });
  }
});

describeBoth('failover: a passive primary killed right after replying', (harness) => {
  const primaryOf = (rm: Parameters<typeof allBack>[1]) => rm.actor.getSnapshot().context.membership.primary;

  it('durability = sync: the request the client saw answered is in the new primary, at the position it was told', async () => {
    const h = harness().use({ mode: 'passive', durability: 'sync', app: 'log' });
    const { rm } = await startCluster(h);
    const clients = [h.client('C1'), h.client('C2')];
    await moreAnswers(h, ['C1', 'C2'], 3);
    const old = h.current('S1')!;
    const count = answers(h).length;
    await h.until(() => answers(h).length > count, 'a reply');
    old.kill();
    const last = answers(h).at(-1)!;
    expect(last.server).to.equal('S1');
    await h.until(() => primaryOf(rm) === 'S2' && h.phase('S2') === 'ready', 'S2 the primary');
    const s2 = h.current('S2')!;
    expect(viewOf('S2', s2.pid, s2.role!).log.indexOf(bodyOf(last.client, last.num)) + 1, 'position at the new primary').to.equal(Number(last.result));
    await moreAnswers(h, ['C1', 'C2'], 3);
    await h.until(() => allBack(h, rm), 'S1 back', 8000);
    checkAnswered(h, await settle(h, clients), 'primary killed right after replying (sync)');
    appliedOncePerProcess(h);
  });

  it('durability = checkpoint: a request answered since the last checkpoint is lost with the primary', async () => {
    const h = harness().use({ mode: 'passive', durability: 'checkpoint', app: 'log' });
    const { rm } = await startCluster(h);
    const c1 = h.client('C1');
    await moreAnswers(h, ['C1'], 3);
    const old = h.current('S1')!;
    const lastCheckpoint = () => h.logged('checkpoint.sent', 'S1').filter((l) => l.pid === old.pid).at(-1)?.at ?? -Infinity;
    const count = answers(h, 'C1').length;
    // A reply that arrived just now, well after S1's last checkpoint and well before its next one.
    await h.until(() => {
      const all = answers(h, 'C1');
      if (all.length <= count) return false;
      const last = all.at(-1)!;
      const sinceCheckpoint = last.at - lastCheckpoint();
      return h.now() - last.at <= 5 && sinceCheckpoint >= 20 && sinceCheckpoint <= h.checkpointMs - 200;
    }, 'a reply between two checkpoints', 5000);
    const last = answers(h, 'C1').at(-1)!;
    expect(last.server).to.equal('S1');
    // Replied at once: no backup has it.
    for (const b of ['S2', 'S3']) {
      const p = h.current(b)!;
      expect(viewOf(b, p.pid, p.role!).log, `${b} before the kill`).to.not.include(bodyOf('C1', last.num));
    }
    old.kill();
    await h.until(() => primaryOf(rm) === 'S2' && h.phase('S2') === 'ready', 'S2 the primary');
    await moreAnswers(h, ['C1'], 3);
    const s2 = h.current('S2')!;
    const log = viewOf('S2', s2.pid, s2.role!).log;
    // Lost: the answered request is not in the new primary's log, and its position went to another.
    expect(log, 'the new primary lacks an answered request').to.not.include(bodyOf('C1', last.num));
    expect(log[Number(last.result) - 1], `position ${last.result}`).to.not.equal(bodyOf('C1', last.num));
    const lost = answers(h, 'C1').filter((a) => !log.includes(bodyOf('C1', a.num)));
    expect(lost.map((a) => a.num)).to.include(last.num);
    // Every lost request was answered by the old primary after the last checkpoint S2 took from it.
    expect(lost.every((a) => a.server === 'S1')).to.equal(true);
    // Nothing was applied twice, though: the checkpoint's client table still says what S2 has.
    await h.until(() => allBack(h, rm), 'S1 back', 8000);
    const views = await settle(h, [c1]);
    for (const v of views) expect(v.log.filter((e, i) => v.log.indexOf(e) !== i), `${v.server}: twice`).to.deep.equal([]);
  });
});

describeBoth('failover: a hung primary', (harness) => {
  const primaryOf = (rm: Parameters<typeof allBack>[1]) => rm.actor.getSnapshot().context.membership;

  it('is killed (SIGKILL) by its LFD before the delete; a backup is promoted in a new epoch; the old process never answers again', async () => {
    const h = harness().use({ mode: 'passive', durability: 'sync', app: 'log' });
    const { rm, gfd, lfds } = await startCluster(h);
    const clients = [h.client('C1'), h.client('C2')];
    await moreAnswers(h, ['C1', 'C2'], 3);
    const old = h.current('S1')!;
    const epoch = primaryOf(rm).epoch;
    const answersAtLfd1 = () => lfds['LFD1']!.received.filter((r) => r.event.type === 'frame.heartbeat' && r.event.origin?.via === 'server');
    // SIGSTOP: S1 takes nothing more (heartbeats, requests, its own timers) and says nothing.
    const frozen = freeze(old.role!.actor);
    await h.until(() => h.kills.some((k) => k.pid === old.pid), 'LFD1 kills the hung S1', 3000);
    const kill = h.kills.find((k) => k.pid === old.pid)!;
    // Killed for silence, heartbeat_timeout after its last answer, and only then reported deleted.
    const failed = h.logged('lfd.failed', 'LFD1').at(-1)!;
    expect(failed.event.reason).to.equal('no heartbeat answer');
    h.took(kill.at - answersAtLfd1().at(-1)!.at, h.timeoutMs, 'kill after the last answer');
    const deleteAtGfd = () =>
      gfd.received.find((r) => r.event.type === 'frame.membership' && r.event.frame.server === 'S1' && r.event.frame.change === 'delete');
    await h.until(() => deleteAtGfd() !== undefined, 'delete S1 at the GFD');
    expect(kill.seq, 'SIGKILL before the delete reaches the GFD').to.be.lessThan(deleteAtGfd()!.seq);
    expect(old.how).to.equal('signal SIGKILL');
    // A backup is promoted in a new epoch, and the clients go on with it.
    await h.until(() => primaryOf(rm).primary === 'S2' && h.phase('S2') === 'ready', 'S2 promoted');
    expect(primaryOf(rm).epoch).to.be.greaterThan(epoch);
    const promoted = h.logged('rm.primary').at(-1)!;
    expect(promoted.event).to.include({ primary: 'S2', epoch: primaryOf(rm).epoch });
    await moreAnswers(h, ['C1', 'C2'], 3);
    // SIGCONT, as a hung process that was not killed would see: nothing happens, it is gone.
    frozen.thaw();
    await h.until(() => allBack(h, rm), 'S1 relaunched, back as a backup', 8000);
    await moreAnswers(h, ['C1', 'C2'], 3);
    expect(h.logs.filter((l) => l.pid === old.pid && l.seq > kill.seq), 'lines of the killed process').to.deep.equal([]);
    const fromS1 = h.logs.filter(
      (l) =>
        l.seq > promoted.seq &&
        ((l.event.event === 'client.received' && l.event.request.server === 'S1') || (l.event.event === 'client.duplicate' && l.event.server === 'S1')),
    );
    expect(fromS1.map((l) => l.line), 'replies from S1 after the promotion').to.deep.equal([]);
    checkAnswered(h, await settle(h, clients), 'after the hung primary was replaced');
    appliedOncePerProcess(h);
  });
});
