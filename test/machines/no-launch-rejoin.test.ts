/**
 * Review hole (issue 14): an LFD with `--no-launch` cannot kill its server. When its link to a
 * passive `sync` backup drops for a moment it reports `delete`; the primary then answers without
 * that backup. When the link comes back the backup — the same process, still `ready.backup`, its
 * lease never having run out — must not count as serving before it holds the primary's state:
 * the primary's checkpoint to it is slowed here, and the primary is killed as soon as the RM counts
 * the backup serving. If the backup had only confirmed its old `ready`, it would be promoted
 * lacking the requests answered while it was out, and answered requests would be lost.
 */
import { expect } from 'chai';
import { Harness, phaseOf } from './harness.js';
import { checkAnswered, moreAnswers, rmServing, serverRole, settle, startCluster } from './cluster-checks.js';

describe('regressions: a --no-launch LFD that lost its backup for a moment [memory]', function () {
  let h: Harness | null = null;
  afterEach(async function () {
    await h?.close(this.currentTest?.state === 'failed');
    h = null;
  });

  it('the backup counts as serving again only once it holds the primary\'s state: nothing answered is lost when the primary dies then', async () => {
    h = (await Harness.create('memory')).use({ mode: 'passive', durability: 'sync', app: 'log' });
    const cluster = await startCluster(h, { byHand: ['LFD2'] });
    const clients = [h.client('C1'), h.client('C2')];
    await moreAnswers(h, ['C1', 'C2'], 3);
    const s2 = serverRole(h, 'S2')!;
    expect(s2.actor.getSnapshot().context.role).to.equal('backup');

    // LFD2 loses S2 for 150 ms (every connection it opens is cut at once).
    const cutUntil = h.now() + 150;
    expect(h.cut('LFD2', 'S2'), 'LFD2 → S2 connections cut').to.be.greaterThan(0);
    await h.until(() => !rmServing(cluster.rm, 'S2'), 'the RM drops S2', 2000);
    // What the primary writes to S2 (its checkpoints and updates) takes 200 ms from now on.
    h.slow.set('S1>S2', 200);
    const gap = h.logs.length;
    while (h.now() < cutUntil) {
      h.cut('LFD2', 'S2');
      await h.pass(1);
    }
    await h.until(() => rmServing(cluster.rm, 'S2'), 'the RM counts S2 serving again', 8000);
    // Requests were answered while S2 was out, without S2.
    expect(h.logs.slice(gap).filter((l) => l.event.event === 'client.received').length, 'answers during the gap').to.be.greaterThan(0);
    h.current('S1')!.kill();
    h.slow.clear();

    await h.until(() => cluster.rm.actor.getSnapshot().context.membership.primary !== 'S1', 'a new primary', 3000);
    await moreAnswers(h, ['C1', 'C2'], 2, 8000);
    const views = await settle(h, clients, 8000);
    expect(views.map((v) => v.server)).to.include('S2');
    expect(phaseOf(s2)).to.equal('ready');
    checkAnswered(h, views, 'after the primary died');
  });
});
