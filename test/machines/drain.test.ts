/**
 * Graceful hand-over (issue 21, docs/operations.md): a drained primary, sequencer or backup leaves
 * the membership without a client seeing a failure, no answered request is lost or applied twice,
 * it stops once a primary serves, and its LFD starts it again as after any exit.
 */
import { expect } from 'chai';
import { parseConfig } from '../../src/config/load.js';
import { describeBoth, type Harness } from './harness.js';
import {
  allBack,
  answers,
  appliedOncePerProcess,
  checkAnswered,
  moreAnswers,
  settle,
  startCluster,
} from './cluster-checks.js';

describeBoth('drain: a planned hand-over', (harness) => {
  const names = ['C1', 'C2'];

  /** Drains `server` under two clients; returns how its process ended and the RM's primary after. */
  async function drainUnderLoad(h: Harness, server: string) {
    const { rm } = await startCluster(h);
    const clients = names.map((n) => h.client(n));
    await moreAnswers(h, names, 3);
    const proc = h.current(server)!;
    const epoch = rm.actor.getSnapshot().context.membership.epoch;
    const launches = h.launched(server).length;
    proc.role!.actor.send({ type: 'drain' });
    await h.until(() => !proc.alive, `${server} stopped after its drain`, 5000);
    await moreAnswers(h, names, 3, 5000);
    await h.until(() => allBack(h, rm) && h.launched(server).length > launches, `${server} started again and serving`, 10000);
    await moreAnswers(h, names, 2, 5000);
    const views = await settle(h, clients);
    checkAnswered(h, views, `after draining ${server}`);
    appliedOncePerProcess(h);
    expect(h.logged('client.received').filter((l) => 'failed' in l.event && l.event.failed), 'failed answers').to.deep.equal([]);
    expect(h.logged('link.error').filter((l) => names.includes(l.by)).map((l) => l.line), 'clients told of an error').to.deep.equal([]);
    return { how: proc.how, epoch, rm };
  }

  it('passive (durability = checkpoint): the primary hands its final state to the backups, a backup becomes primary, no client notices', async () => {
    const h = harness().use({ mode: 'passive', durability: 'checkpoint', app: 'log' });
    const { how, epoch, rm } = await drainUnderLoad(h, 'S1');
    expect(how).to.equal('exit code 0');
    const primaries = h.logged('rm.primary').map((l) => l.event);
    expect(primaries.some((p) => p.primary !== 'S1' && p.epoch === epoch + 1), 'a backup named primary in the next epoch').to.equal(true);
    expect(h.lines('S1').some((l) => /S1: draining/.test(l)) && h.lines('S1').some((l) => /S1: stopped \(released/.test(l))).to.equal(true);
    // Every backup took the final checkpoint before the RM heard the primary leave.
    expect(rm.actor.getSnapshot().context.leaving).to.deep.equal([]);
  });

  it('passive (durability = sync): the primary takes no more requests and leaves, what it answered is at the new primary', async () => {
    const h = harness().use({ mode: 'passive', durability: 'sync', app: 'log' });
    const { how } = await drainUnderLoad(h, 'S1');
    expect(how).to.equal('exit code 0');
    // It stopped taking requests (`draining`) rather than serving on (`leaving`).
    expect(h.lines('S1').filter((l) => /S1: (draining|leaving)/.test(l)).map((l) => /S1: (\w+)/.exec(l)![1])).to.deep.equal(['draining']);
  });

  it('passive: a backup just leaves, and the primary goes on', async () => {
    const h = harness().use({ mode: 'passive', durability: 'sync', app: 'log' });
    const { how, rm } = await drainUnderLoad(h, 'S3');
    expect(how).to.equal('exit code 0');
    expect(h.logged('rm.primary').map((l) => l.event.primary)).to.deep.equal(['S1']);
    expect(rm.actor.getSnapshot().context.membership.primary).to.equal('S1');
  });

  it('active: the sequencer leaves, another orders, every replica agrees', async () => {
    const h = harness().use({ mode: 'active', app: 'log' });
    const { how, epoch } = await drainUnderLoad(h, 'S1');
    expect(how).to.equal('exit code 0');
    expect(h.logged('rm.primary').some((l) => l.event.primary !== 'S1' && l.event.epoch === epoch + 1)).to.equal(true);
  });

  it('an LFD told to stop (SIGTERM) drains its server, ends once it exited, and starts nothing', async () => {
    const h = harness().use({ mode: 'passive', durability: 'sync', app: 'log' });
    const { rm, lfds } = await startCluster(h);
    const clients = names.map((n) => h.client(n));
    await moreAnswers(h, names, 3);
    const proc = h.current('S1')!;
    lfds.LFD1!.actor.send({ type: 'lfd.stop' });
    await h.until(() => lfds.LFD1!.actor.getSnapshot().status === 'done', 'LFD1 done', 5000);
    expect(proc.how).to.equal('exit code 0');
    await moreAnswers(h, names, 3, 5000);
    expect(h.launched('S1')).to.have.length(1);
    expect(rm.actor.getSnapshot().context.membership.primary).to.not.equal('S1');
    const views = await settle(h, clients);
    checkAnswered(h, views, 'after stopping LFD1');
  });

  it('a tool asks the RM (`<ops, S1, drain>`): answered with the status, S1 drained; a non-member is refused', async () => {
    const h = harness().use({ mode: 'passive', durability: 'sync', app: 'log' });
    await startCluster(h);
    const tool = h.fake('ops').link('rm', h.config.rms[0]!.port, { name: 'ops', role: 'client' }, 'rm', false);
    await h.until(() => tool.events.some((s) => s.event.type === 'link.up'), 'the tool linked', 2000);
    tool.send('rm', { kind: 'drain', from: 'ops', server: 'S9' });
    await h.until(() => tool.frames('error').length === 1, 'a refusal', 2000);
    expect(tool.frames('error')[0]!.frame.message).to.equal('S9 is not a member');
    const proc = h.current('S1')!;
    tool.send('rm', { kind: 'drain', from: 'ops', server: 'S1' });
    await h.until(() => tool.frames('rmStatus').length === 1, 'the RM answered', 2000);
    await h.until(() => !proc.alive, 'S1 stopped', 5000);
    expect(proc.how).to.equal('exit code 0');
    expect(h.lines('RM').some((l) => /RM: drains S1, as ops asked/.test(l))).to.equal(true);
  });

  it('a reload without S3 drains it through its LFD, and nothing starts it again', async () => {
    const h = harness().use({ mode: 'passive', durability: 'sync', app: 'log' });
    const { rm, gfd } = await startCluster(h);
    const clients = names.map((n) => h.client(n));
    await moreAnswers(h, names, 3);
    const text = h.iniText();
    const without = text.slice(0, text.indexOf('[server.S3]')) + text.slice(text.indexOf('[client.'));
    const config = parseConfig(without, 'machines.ini');
    const proc = h.current('S3')!;
    rm.actor.send({ type: 'config.reload', config, added: [], removed: ['S3'] });
    gfd.actor.send({ type: 'config.reload', config });
    await h.until(() => !proc.alive, 'S3 stopped', 5000);
    expect(proc.how).to.equal('exit code 0');
    await moreAnswers(h, names, 5, 5000);
    expect(h.launched('S3')).to.have.length(1);
    expect(rm.actor.getSnapshot().context.membership.configured).to.deep.equal(['S1', 'S2']);
    expect(h.members('RM')).to.deep.equal(['S1', 'S2']);
    const views = await settle(h, clients);
    checkAnswered(h, views, 'after S3 was removed');
  });

  it('with no RM to answer, a draining primary stops after its wait, as after a crash', async () => {
    const h = harness().use({ mode: 'passive', durability: 'sync', app: 'log' });
    const { rm } = await startCluster(h);
    const clients = names.map((n) => h.client(n));
    await moreAnswers(h, names, 3);
    rm.stop();
    const proc = h.current('S1')!;
    const started = h.now();
    proc.role!.actor.send({ type: 'drain' });
    await h.until(() => !proc.alive, 'S1 stopped', 5000);
    h.took(h.now() - started, 3 * h.timeoutMs, 'the wait for a release');
    expect(h.lines('S1').some((l) => /S1: stopped \(no release from the RM in time\)/.test(l))).to.equal(true);
    expect(answers(h).length).to.be.greaterThan(0);
    for (const c of clients) c.stop();
  });
});
