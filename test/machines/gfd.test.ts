/**
 * The GFD machine against stand-ins: fake LFDs (links that say hello, answer heartbeats when told,
 * and report membership) and a fake RM listener that records what the GFD tells it.
 */
import { expect } from 'chai';
import { watchedLfd } from '../../src/actors/gfd.js';
import { encodeFrame } from '../../src/protocol/codec.js';
import type { Frame } from '../../src/protocol/frames.js';
import { answerHeartbeats, describeBoth, type Fake, type GfdActor, type Harness, type Role } from './harness.js';

describeBoth('GFD', (harness, kind) => {
  const rmFake = (h: Harness) => h.fake('RM').listen('rm', h.config.rms[0]!.port, { name: 'RM', role: 'rm' });

  /** A fake LFD on the GFD's port, answering heartbeats while `answering()`; resolves once greeted. */
  async function lfdFake(h: Harness, name: string, answering: () => boolean = () => true): Promise<Fake> {
    const f = h.fake(name).link('gfd', h.config.gfds[0]!.port, { name, role: 'lfd' }, 'gfd', true);
    answerHeartbeats(f, name, answering);
    const greetings = () => f.of('frame.hello').length;
    await h.until(() => greetings() > 0, `${name} greeted by the GFD`);
    return f;
  }

  const report = (f: Fake, server: string, change: 'add' | 'delete') =>
    f.send('gfd', { kind: 'membership', from: f.name, server, change });

  /** What the RM was told, as wire text (hellos left out). */
  const toRm = (rm: Fake) =>
    rm.events.filter((e) => e.event.type.startsWith('frame.') && e.event.type !== 'frame.hello').map((e) => encodeFrame((e.event as { frame: Frame }).frame));

  it('starts with GFD: 0 members', async () => {
    const h = harness();
    h.gfd();
    await h.until(() => h.logs.length > 0, 'a line');
    expect(h.lines('GFD')[0]).to.equal('GFD: 0 members');
  });

  it("ignores an LFD's report of a server that is not its own, with one line", async () => {
    const h = harness();
    const rm = rmFake(h);
    h.gfd();
    await h.until(() => toRm(rm).length === 1, 'members at the RM');
    const lfd1 = await lfdFake(h, 'LFD1');
    report(lfd1, 'S2', 'add');
    report(lfd1, 'S1', 'add');
    await h.until(() => toRm(rm).length === 2, 'add S1 at the RM');
    expect(toRm(rm)).to.deep.equal(['<GFD, , 0, members>', '<GFD, S1, add, membership>']);
    expect(h.lines('GFD')).to.include('GFD: LFD1 reported S2, which is not its server: ignored');
    expect(h.lines('GFD').filter((l) => l.includes('members'))).to.deep.equal(['GFD: 0 members', 'GFD: 1 members: S1']);
  });

  it('prints every add and delete and tells the RM', async () => {
    const h = harness();
    const rm = rmFake(h);
    h.gfd();
    await h.until(() => toRm(rm).length === 1, 'members at the RM');
    const lfd1 = await lfdFake(h, 'LFD1');
    const lfd2 = await lfdFake(h, 'LFD2');
    report(lfd1, 'S1', 'add');
    await h.until(() => toRm(rm).length === 2, 'add S1 at the RM');
    report(lfd2, 'S2', 'add');
    await h.until(() => toRm(rm).length === 3, 'add S2 at the RM');
    report(lfd1, 'S1', 'delete');
    await h.until(() => toRm(rm).length === 4, 'delete S1 at the RM');
    expect(toRm(rm)).to.deep.equal([
      '<GFD, , 0, members>',
      '<GFD, S1, add, membership>',
      '<GFD, S2, add, membership>',
      '<GFD, S1, delete, membership>',
    ]);
    expect(h.lines('GFD')).to.deep.equal(['GFD: 0 members', 'GFD: 1 members: S1', 'GFD: 2 members: S1, S2', 'GFD: 1 members: S2']);
    // A re-report changes nothing here and is passed on as such.
    report(lfd2, 'S2', 'add');
    await h.until(() => toRm(rm).length === 5, 're-report at the RM');
    expect(toRm(rm)[4]).to.equal('<GFD, S2, add, membership>');
    expect(h.lines('GFD')).to.have.length(4);
  });

  it('fails an LFD that goes silent, and deletes its servers heartbeat_timeout later (their leases)', async () => {
    const h = harness();
    const rm = rmFake(h);
    let answering = true;
    const gfd = h.gfd();
    await h.until(() => rm.frames('members').length === 1, 'first members at the RM');
    const lfd1 = await lfdFake(h, 'LFD1', () => answering);
    const lfd2 = await lfdFake(h, 'LFD2');
    report(lfd1, 'S1', 'add');
    report(lfd2, 'S2', 'add');
    await h.until(() => h.members('GFD')?.length === 2, 'two members');
    await h.pass(2 * h.freqMs);
    answering = false;
    const lastAnswer = gfd.received.filter((r) => r.event.type === 'frame.heartbeat' && r.event.frame.from === 'LFD1').at(-1)!.at;
    await h.until(() => toRm(rm).includes('<GFD, S1, delete, membership>'), 'delete S1 at the RM', 3000);
    // SPEC §6 Fencing: failed after heartbeat_timeout of silence, deleted one heartbeat_timeout later.
    const printed = h.logged('members', 'GFD').at(-1)!;
    expect(printed.line).to.match(/ GFD: 1 members: S2$/);
    h.took(printed.at - lastAnswer, 2 * h.timeoutMs, 'delete after two timeouts');
    // The silent LFD's link was closed at the failure; the one that answers stays.
    const closed = lfd1.of('link.down')[0]!;
    expect(closed.at).to.be.lessThan(printed.at);
    if (kind === 'memory') expect(closed.at - lastAnswer).to.equal(h.timeoutMs + 1);
    expect(lfd2.of('link.down')).to.have.length(0);
    expect(toRm(rm).filter((f) => f.includes('delete'))).to.deep.equal(['<GFD, S1, delete, membership>']);
  });

  it('deletes the servers of an LFD whose link closes heartbeat_timeout later', async () => {
    const h = harness();
    const rm = rmFake(h);
    h.gfd();
    await h.until(() => rm.frames('members').length === 1, 'first members at the RM');
    const lfd1 = await lfdFake(h, 'LFD1');
    report(lfd1, 'S1', 'add');
    await h.until(() => toRm(rm).includes('<GFD, S1, add, membership>'), 'add S1 at the RM');
    const cut = h.now();
    lfd1.stopChild('gfd');
    await h.until(() => toRm(rm).includes('<GFD, S1, delete, membership>'), 'delete S1 at the RM', 3000);
    const printed = h.logged('members', 'GFD').at(-1)!;
    expect(printed.line).to.match(/ GFD: 0 members$/);
    // One latency for the close to arrive, then the lease.
    h.took(printed.at - cut, 1 + h.timeoutMs, 'delete after the lease');
  });

  it('keeps the servers of an LFD that comes back and reports them before their leases run out', async () => {
    const h = harness();
    const rm = rmFake(h);
    h.gfd();
    await h.until(() => rm.frames('members').length === 1, 'first members at the RM');
    const first = await lfdFake(h, 'LFD1');
    report(first, 'S1', 'add');
    await h.until(() => toRm(rm).includes('<GFD, S1, add, membership>'), 'add S1 at the RM');
    first.stopChild('gfd');
    await h.pass(h.timeoutMs / 3);
    const again = await lfdFake(h, 'LFD1');
    report(again, 'S1', 'add');
    await h.pass(3 * h.timeoutMs);
    expect(toRm(rm).filter((f) => f.includes('delete'))).to.deep.equal([]);
    expect(h.members('GFD')).to.deep.equal(['S1']);
  });

  /** The states of the GFD's machine of `lfd`, from its current one on (it must exist). */
  function followLfd(gfd: Role<GfdActor>, lfd: string): string[] {
    const machine = watchedLfd(gfd.actor, lfd)!;
    const seen: string[] = [machine.getSnapshot().value];
    machine.subscribe((snapshot) => {
      if (seen.at(-1) !== snapshot.value) seen.push(snapshot.value);
    });
    return seen;
  }

  const stateOf = (gfd: Role<GfdActor>, lfd: string) => watchedLfd(gfd.actor, lfd)?.getSnapshot().value ?? null;

  it('names in each heartbeat the last one the LFD answered on its link (none before the first answer, and afresh on a new link)', async () => {
    const h = harness();
    h.gfd();
    let answering = false;
    const first = await lfdFake(h, 'LFD1', () => answering);
    await h.until(() => first.frames('heartbeat').length >= 2, 'two heartbeats');
    expect(first.frames('heartbeat').map((f) => f.frame.answered), 'nothing answered yet').to.deep.equal([undefined, undefined]);
    answering = true;
    await h.until(() => first.frames('heartbeat').length >= 5, 'five heartbeats');
    const beats = first.frames('heartbeat').map((f) => f.frame);
    // Each answer is named by the next heartbeat: the one before it.
    for (const beat of beats.slice(3)) expect(beat.answered, `heartbeat ${beat.count}`).to.equal(beat.count - 1);
    first.stopChild('gfd');
    const again = await lfdFake(h, 'LFD1');
    await h.until(() => again.frames('heartbeat').length >= 2, 'heartbeats on the new link');
    expect(again.frames('heartbeat').slice(0, 2).map((f) => [f.frame.count, f.frame.answered])).to.deep.equal([[1, undefined], [2, 1]]);
  });

  it("an LFD's machine: alive, departed when its link closes, alive again at its hello within the lease", async () => {
    const h = harness();
    const rm = rmFake(h);
    const gfd = h.gfd();
    await h.until(() => rm.frames('members').length === 1, 'first members at the RM');
    const first = await lfdFake(h, 'LFD1');
    expect(stateOf(gfd, 'LFD1')).to.equal('alive');
    const states = followLfd(gfd, 'LFD1');
    report(first, 'S1', 'add');
    await h.until(() => toRm(rm).includes('<GFD, S1, add, membership>'), 'add S1 at the RM');
    first.stopChild('gfd');
    await h.until(() => stateOf(gfd, 'LFD1') === 'departed', 'LFD1 departed');
    expect(h.logged('note', 'GFD').map((l) => l.event.text)).to.deep.equal(['LFD1 failed (connection lost)']);
    expect(h.members('GFD'), 'S1 a member while its lease runs').to.deep.equal(['S1']);
    const again = await lfdFake(h, 'LFD1');
    expect(stateOf(gfd, 'LFD1')).to.equal('alive');
    await h.until(() => again.frames('heartbeat').length > 0, 'heartbeats on the new link');
    report(again, 'S1', 'add');
    await h.until(() => toRm(rm).length === 3, 're-report at the RM');
    await h.pass(3 * h.timeoutMs);
    expect(states).to.deep.equal(['alive', 'departed', 'alive']);
    expect(toRm(rm)).to.deep.equal(['<GFD, , 0, members>', '<GFD, S1, add, membership>', '<GFD, S1, add, membership>']);
    expect(h.lines('GFD')).to.deep.equal(['GFD: 0 members', 'GFD: 1 members: S1', 'GFD: LFD1 failed (connection lost)']);
  });

  it("an LFD back within the lease that does not report its server again: the server is deleted when the lease runs out, the LFD stays alive", async () => {
    const h = harness();
    const rm = rmFake(h);
    const gfd = h.gfd();
    await h.until(() => rm.frames('members').length === 1, 'first members at the RM');
    const first = await lfdFake(h, 'LFD1');
    report(first, 'S1', 'add');
    await h.until(() => toRm(rm).includes('<GFD, S1, add, membership>'), 'add S1 at the RM');
    const cut = h.now();
    first.stopChild('gfd');
    await h.pass(h.timeoutMs / 3);
    const again = await lfdFake(h, 'LFD1');
    expect(stateOf(gfd, 'LFD1')).to.equal('alive');
    await h.until(() => toRm(rm).includes('<GFD, S1, delete, membership>'), 'delete S1 at the RM', 3000);
    // The lease counts from the departure, not from the hello.
    const printed = h.logged('members', 'GFD').at(-1)!;
    expect(printed.line).to.match(/ GFD: 0 members$/);
    h.took(printed.at - cut, 1 + h.timeoutMs, 'delete after the lease');
    expect(stateOf(gfd, 'LFD1')).to.equal('alive');
    expect(again.of('link.down')).to.have.length(0);
    // Reported later, it is a member again.
    report(again, 'S1', 'add');
    await h.until(() => toRm(rm).length === 4, 'add S1 again at the RM');
    expect(toRm(rm).slice(1)).to.deep.equal(['<GFD, S1, add, membership>', '<GFD, S1, delete, membership>', '<GFD, S1, add, membership>']);
    expect(h.lines('GFD')).to.deep.equal(['GFD: 0 members', 'GFD: 1 members: S1', 'GFD: LFD1 failed (connection lost)', 'GFD: 0 members', 'GFD: 1 members: S1']);
  });

  it("an LFD's machine: departed when silent, expired when the lease runs out (its servers deleted); a later hello starts a new one", async () => {
    const h = harness();
    const rm = rmFake(h);
    let answering = true;
    const gfd = h.gfd();
    await h.until(() => rm.frames('members').length === 1, 'first members at the RM');
    const first = await lfdFake(h, 'LFD1', () => answering);
    // A hung process: once the GFD closes its link it does not come back.
    const answer = first.onEvent;
    first.onEvent = (event) => {
      answer?.(event);
      if (event.type === 'link.down') first.stopChild('gfd');
    };
    const states = followLfd(gfd, 'LFD1');
    const machine = watchedLfd(gfd.actor, 'LFD1')!;
    report(first, 'S1', 'add');
    await h.until(() => toRm(rm).includes('<GFD, S1, add, membership>'), 'add S1 at the RM');
    answering = false;
    await h.until(() => stateOf(gfd, 'LFD1') === 'departed', 'LFD1 departed', 3000);
    expect(h.logged('note', 'GFD').map((l) => l.event.text)).to.deep.equal(['LFD1 failed (no heartbeat answer)']);
    await h.until(() => first.of('link.down').length === 1, 'the silent link closed');
    expect(h.members('GFD'), 'S1 a member while its lease runs').to.deep.equal(['S1']);
    await h.until(() => toRm(rm).includes('<GFD, S1, delete, membership>'), 'delete S1 at the RM', 3000);
    expect(states).to.deep.equal(['alive', 'departed', 'expired']);
    expect(machine.getSnapshot().status).to.equal('done');
    expect(stateOf(gfd, 'LFD1'), 'the expired machine is gone').to.equal(null);
    expect(h.lines('GFD')).to.deep.equal(['GFD: 0 members', 'GFD: 1 members: S1', 'GFD: LFD1 failed (no heartbeat answer)', 'GFD: 0 members']);
    answering = true;
    const again = await lfdFake(h, 'LFD1', () => answering);
    expect(stateOf(gfd, 'LFD1')).to.equal('alive');
    expect(watchedLfd(gfd.actor, 'LFD1')).to.not.equal(machine);
    report(again, 'S1', 'add');
    await h.until(() => toRm(rm).length === 4, 'add S1 again at the RM');
    expect(h.members('GFD')).to.deep.equal(['S1']);
    expect(toRm(rm).slice(1)).to.deep.equal(['<GFD, S1, add, membership>', '<GFD, S1, delete, membership>', '<GFD, S1, add, membership>']);
  });

  it('after it starts, tells the RM nothing for heartbeat_timeout, then the whole set at once', async () => {
    const h = harness();
    const rm = rmFake(h);
    const start = h.now();
    h.gfd();
    const lfd1 = await lfdFake(h, 'LFD1');
    report(lfd1, 'S1', 'add');
    await h.until(() => h.members('GFD')?.length === 1, 'S1 a member');
    await h.until(() => rm.frames('members').length === 1, 'members at the RM', 3000);
    const members = rm.frames('members')[0]!;
    // The add before the end of the grace period is folded into the first `members`.
    expect(encodeFrame(members.frame)).to.equal('<GFD, S1, 0, members>');
    expect(rm.frames('membership')).to.deep.equal([]);
    h.took(members.at - start, h.timeoutMs + 1, 'first members after the grace period');
  });

  it('sends the whole set (members) whenever its RM link (re)connects, with the highest epoch passed down', async () => {
    const h = harness();
    h.gfd();
    const lfd1 = await lfdFake(h, 'LFD1');
    const lfd2 = await lfdFake(h, 'LFD2');
    report(lfd1, 'S1', 'add');
    report(lfd2, 'S2', 'add');
    await h.until(() => h.members('GFD')?.length === 2, 'two members');
    // The RM comes up only now: what the GFD knows arrives as one `members`.
    const rm = rmFake(h);
    await h.until(() => rm.frames('members').length === 1, 'members at the RM', 3000);
    expect(encodeFrame(rm.frames('members')[0]!.frame)).to.equal('<GFD, S1;S2, 0, members>');
    const gfdLink = rm.linkOf('GFD')!;
    rm.reply(gfdLink, { kind: 'ready', server: 'S1', mode: 'passive', role: 'primary', epoch: 5, peers: ['S2'] });
    await h.until(() => lfd1.frames('ready').length === 1, 'ready at LFD1');
    rm.close('listener', gfdLink.link);
    await h.until(() => rm.frames('members').length === 2, 'members again after the reconnect', 3000);
    expect(encodeFrame(rm.frames('members')[1]!.frame)).to.equal('<GFD, S1;S2, 5, members>');
    expect(rm.frames('membership')).to.have.length(0);
  });

  it('keeps the servers of a restarted LFD (a new hello under the same name while the old link is open)', async () => {
    const h = harness();
    const rm = rmFake(h);
    h.gfd();
    await h.until(() => rm.frames('members').length === 1, 'first members at the RM');
    const old = await lfdFake(h, 'LFD1');
    // The old process is gone: its link does not come back once the GFD closes it.
    const answer = old.onEvent;
    old.onEvent = (event) => {
      answer?.(event);
      if (event.type === 'link.down') old.stopChild('gfd');
    };
    report(old, 'S1', 'add');
    await h.until(() => toRm(rm).includes('<GFD, S1, add, membership>'), 'add S1 at the RM');
    const restarted = await lfdFake(h, 'LFD1');
    report(restarted, 'S1', 'add'); // a restarted LFD reports its server again
    await h.until(() => old.of('link.down').length === 1, 'old link replaced');
    // Over several timeouts: heartbeats go to the new link, which answers; nothing is deleted.
    await h.pass(3 * h.timeoutMs);
    expect(restarted.frames('heartbeat').length).to.be.at.least(kind === 'memory' ? 3 * (h.timeoutMs / h.freqMs) - 1 : h.timeoutMs / h.freqMs);
    expect(toRm(rm).filter((f) => f.includes('delete'))).to.deep.equal([]);
    expect(h.members('GFD')).to.deep.equal(['S1']);
    expect(h.lines('GFD')).to.deep.equal(['GFD: 0 members', 'GFD: 1 members: S1']);
    expect(h.logged('note', 'GFD')).to.deep.equal([]);
  });

  it("passes the RM's commands down to the LFD of the server they name, and serving up", async () => {
    const h = harness();
    const rm = rmFake(h);
    h.gfd();
    const lfds = [await lfdFake(h, 'LFD1'), await lfdFake(h, 'LFD2'), await lfdFake(h, 'LFD3')];
    await h.until(() => rm.linkOf('GFD') !== null, 'GFD hello at the RM');
    const gfdLink = rm.linkOf('GFD')!;
    rm.reply(gfdLink, { kind: 'ready', server: 'S2', mode: 'passive', role: 'backup', epoch: 3, peers: ['S1'] });
    rm.reply(gfdLink, { kind: 'sendCheckpoint', server: 'S1', to: 'S2' });
    rm.reply(gfdLink, { kind: 'launch', server: 'S3' });
    await h.until(() => lfds[2]!.frames('launch').length === 1, 'launch at LFD3');
    const got = (f: Fake) =>
      f.events.filter((e) => ['frame.ready', 'frame.sendCheckpoint', 'frame.launch'].includes(e.event.type)).map((e) => encodeFrame((e.event as { frame: Frame }).frame));
    expect(got(lfds[0]!)).to.deep.equal(['<S1, S2, send_checkpoint>']);
    expect(got(lfds[1]!)).to.deep.equal(['<S2, passive, backup, 3, S1, ready>']);
    expect(got(lfds[2]!)).to.deep.equal(['<S3, launch>']);
    lfds[1]!.send('gfd', { kind: 'serving', server: 'S2', epoch: 3 });
    await h.until(() => rm.frames('serving').length === 1, 'serving at the RM');
    expect(encodeFrame(rm.frames('serving')[0]!.frame)).to.equal('<S2, 3, serving>');
  });
});
