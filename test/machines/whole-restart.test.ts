/**
 * Whole-cluster restart from disk (docs/durability.md): every role stops at once and the servers'
 * disks lose what was not synced (a power cut); started again, the RM names the member whose
 * history goes furthest, the others recover from it, and every request a client saw answered is in
 * the state exactly once, at the position it was told.
 */
import { expect } from 'chai';
import type { Mode } from '../../src/protocol/frames.js';
import {
  LFDS, allBack, answers, appliedOncePerProcess, checkAnswered, moreAnswers, settle, startCluster, type Cluster,
} from './cluster-checks.js';
import { describeBoth, SERVERS, type Harness } from './harness.js';

/** Every role of the cluster stops at once (an LFD that stops takes its server with it), then a power cut. */
function killEverything(h: Harness, cluster: Cluster): void {
  cluster.rm.stop();
  cluster.gfd.stop();
  for (const lfd of LFDS) cluster.lfds[lfd]!.stop();
  // A torn write: half of the first unsynced append reached the platter.
  for (const disk of h.disks.values()) disk.crash((length) => Math.floor(length / 2));
}

function startAgain(h: Harness): Cluster {
  const rm = h.rm();
  const gfd = h.gfd();
  const lfds = Object.fromEntries(LFDS.map((l) => [l, h.lfd(l)]));
  return { rm, gfd, lfds };
}

describeBoth('whole-cluster restart from disk', (harness) => {
  for (const mode of ['passive', 'active'] as Mode[]) {
    it(`${mode}: keeps every answered request though the first server's disk is behind`, async () => {
      const h = harness().use({ mode, durability: 'sync', app: 'log', disks: true });
      const cluster = await startCluster(h);
      // The clients wait out the restart instead of giving up.
      const clients = ['C1', 'C2'].map((c) => h.client(c, { giveUp: false }));
      await moreAnswers(h, ['C1', 'C2'], 3);
      // S1 goes for a while: its disk falls behind the others', and it sorts first.
      cluster.lfds.LFD1!.stop();
      await moreAnswers(h, ['C1', 'C2'], 4);
      killEverything(h, cluster);
      const answeredBefore = answers(h).length;
      const again = startAgain(h);
      await h.until(() => allBack(h, again.rm), 'three serving members after the restart', 10000);
      const choices = h.lines('RM').filter((l) => l.includes('furthest history'));
      expect(choices, 'the choice').to.have.length(1);
      expect(choices[0]).to.match(/^RM: (S2|S3) has the furthest history on disk/);
      await moreAnswers(h, ['C1', 'C2'], 3);
      const views = await settle(h, clients);
      expect(views.map((v) => v.server)).to.deep.equal([...SERVERS]);
      expect(answeredBefore).to.be.greaterThan(10);
      checkAnswered(h, views, 'after the restart');
      appliedOncePerProcess(h);
    });
  }

  it('the RM and the GFD stay up while every server dies: the RM waits for them all and chooses from disk', async () => {
    const h = harness().use({ mode: 'passive', durability: 'sync', app: 'log', disks: true });
    const cluster = await startCluster(h);
    const clients = ['C1', 'C2', 'C3'].map((c) => h.client(c, { giveUp: false }));
    await moreAnswers(h, ['C1', 'C2', 'C3'], 3);
    // S1 stops with its LFD and falls behind; then S2 and S3 die at once, and S1's LFD comes back.
    cluster.lfds.LFD1!.stop();
    await moreAnswers(h, ['C1', 'C2', 'C3'], 3);
    for (const s of ['S2', 'S3']) h.current(s)!.kill();
    for (const disk of h.disks.values()) disk.crash();
    h.lfd('LFD1');
    await h.until(() => allBack(h, cluster.rm), 'every server serving again', 10000);
    expect(h.lines('RM').filter((l) => l.includes('furthest history'))).to.satisfy((lines: string[]) => lines.length === 1 && /RM: (S2|S3) has/.test(lines[0]!));
    await moreAnswers(h, ['C1', 'C2', 'C3'], 3);
    checkAnswered(h, await settle(h, clients), 'after every server died');
    appliedOncePerProcess(h);
  });
});
