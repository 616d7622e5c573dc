/**
 * A whole cluster in one process: RM, GFD, three LFDs whose servers run through the in-process
 * launcher, and two clients, in active mode. A server is killed (as by kill -9); the cluster goes
 * on without it, relaunches it, and it recovers to the others' state.
 */
import { expect } from 'chai';
import { describeBoth, SERVERS, type Harness, type Logged } from './harness.js';

describeBoth('cluster', (harness) => {
  const allServe = (h: Harness) => SERVERS.every((s) => h.phase(s) === 'ready');
  const received = (h: Harness, client: string) => h.logged('client.received', client).length;

  /** Every `after processing` line of one process names a (client, number) it had not applied before. */
  function appliedOnce(h: Harness, server: string, pid: number): void {
    const applied = h.logs
      .filter((l): l is Logged & { event: { event: 'server.after' } } => l.by === server && l.pid === pid && l.event.event === 'server.after')
      .map((l) => `${l.event.request.client}:${l.event.request.num}`);
    expect(new Set(applied).size, `${server} (pid ${pid}) applied a request twice`).to.equal(applied.length);
  }

  it('active: serves with three replicas, goes on when one is killed, relaunches it, and it recovers to the same state', async () => {
    const h = harness().use({ mode: 'active' });
    h.rm();
    h.gfd();
    for (const lfd of ['LFD1', 'LFD2', 'LFD3']) h.lfd(lfd);

    // All three serve, RM and GFD count three members, then both clients get replies. (Clients
    // start once the cluster serves: one started with it would meet three rounds of `wait` while
    // the GFD's start-up grace and the LFDs' probes run, and give up.)
    await h.until(() => allServe(h) && h.members('RM')?.length === 3 && h.members('GFD')?.length === 3, 'three serving members', 8000);
    const c1 = h.client('C1');
    const c2 = h.client('C2');
    expect(h.lines('RM')).to.include('RM: 3 members: S1, S2, S3');
    expect(h.lines('GFD')).to.include('GFD: 3 members: S1, S2, S3');
    for (const s of SERVERS) expect(h.lines(s).some((l) => l.startsWith(`${s} is ready [active]`)), `${s} ready`).to.equal(true);
    const base = { C1: received(h, 'C1'), C2: received(h, 'C2') };
    await h.until(() => received(h, 'C1') >= base.C1 + 3 && received(h, 'C2') >= base.C2 + 3, 'replies to both clients', 5000);
    // Each replica executes every request: all three have applied some.
    await h.until(() => SERVERS.every((s) => h.logged('server.after', s).length > 0), 'requests applied everywhere', 5000);

    // kill -9 S2: the others go on, RM and GFD drop to two members.
    const old = h.current('S2')!;
    const killedAt = h.logs.length;
    old.kill();
    await h.until(
      () => h.logs.slice(killedAt).some((l) => l.line.endsWith('RM: 2 members: S1, S3')),
      'RM: 2 members',
      5000,
    );
    expect(h.logs.slice(killedAt).some((l) => l.line.endsWith('GFD: 2 members: S1, S3'))).to.equal(true);
    expect(h.lines('LFD2')).to.include('LFD2: S2 failed (connection lost)');
    const during = { C1: received(h, 'C1'), C2: received(h, 'C2') };
    await h.until(() => received(h, 'C1') >= during.C1 + 3 && received(h, 'C2') >= during.C2 + 3, 'replies after the kill', 5000);

    // The RM orders a launch; LFD2 starts a new S2, which recovers and serves.
    await h.until(() => h.launched('S2').length === 2 && h.phase('S2') === 'ready', 'a new S2 serving', 8000);
    const fresh = h.current('S2')!;
    expect(fresh.pid).to.not.equal(old.pid);
    expect(h.lines('LFD2')).to.include(`LFD2 launching S2 (pid ${fresh.pid})`);
    await h.until(() => h.members('RM')?.length === 3 && h.members('GFD')?.length === 3, 'three members again', 5000);
    expect(h.logged('server.recovered', 'S2').filter((l) => l.pid === fresh.pid)).to.have.length(1);
    // Clients are told of it again and it answers them.
    await h.until(() => h.logged('server.after', 'S2').some((l) => l.pid === fresh.pid), 'the new S2 applies requests', 5000);

    // Stop C2, let C1 alone apply the last requests everywhere, then stop C1: all states equal.
    c2.stop();
    const last = received(h, 'C1');
    await h.until(() => received(h, 'C1') >= last + 3, 'C1 alone', 5000);
    c1.stop();
    const contexts = () => SERVERS.map((s) => h.current(s)!.role!.actor.getSnapshot().context);
    const same = () => {
      const [a, ...rest] = contexts();
      return rest.every((c) => c.state === a!.state && JSON.stringify(c.clients.entries()) === JSON.stringify(a!.clients.entries()));
    };
    await h.until(same, 'equal states', 3000);
    const [s1] = contexts();
    expect(s1!.state).to.match(/^hello_world\d+$/);
    expect(s1!.clients.sorted().map((e) => e.client)).to.deep.equal(['C1', 'C2']);
    // Nothing was applied twice by any process, the old S2 included.
    for (const s of SERVERS) for (const p of h.launched(s)) appliedOnce(h, s, p.pid);
  });
  it('passive: the primary checkpoints to both backups; killed, a backup takes over and the old primary rejoins as a backup', async () => {
    const h = harness().use({ mode: 'passive', durability: 'sync' });
    h.rm();
    h.gfd();
    for (const lfd of ['LFD1', 'LFD2', 'LFD3']) h.lfd(lfd);
    await h.until(() => allServe(h) && h.members('RM')?.length === 3, 'three serving members', 8000);
    expect(h.lines('RM')).to.include('RM: primary is S1');
    const c1 = h.client('C1');
    const c2 = h.client('C2');
    await h.until(() => received(h, 'C1') >= 3 && received(h, 'C2') >= 3, 'replies to both clients', 5000);
    // Only the primary answers; it checkpoints to both backups.
    expect(h.logged('client.received').every((l) => l.event.request.server === 'S1')).to.equal(true);
    await h.until(() => h.logged('checkpoint.taken', 'S2').length >= 2 && h.logged('checkpoint.taken', 'S3').length >= 2, 'checkpoints at both backups', 5000);

    // kill -9 the primary: S2 (first by name) is promoted, clients follow it.
    const old = h.current('S1')!;
    const killedAt = h.logs.length;
    old.kill();
    await h.until(() => h.logs.slice(killedAt).some((l) => l.line.endsWith('RM: primary is S2')), 'RM: primary is S2', 5000);
    const after = { C1: received(h, 'C1'), C2: received(h, 'C2') };
    await h.until(() => received(h, 'C1') >= after.C1 + 3 && received(h, 'C2') >= after.C2 + 3, 'replies from the new primary', 5000);
    expect(h.logged('client.received').slice(-2).every((l) => l.event.request.server === 'S2')).to.equal(true);

    // S1 is relaunched and rejoins as a backup with the current state.
    await h.until(() => h.launched('S1').length === 2 && h.phase('S1') === 'ready', 'a new S1 serving', 8000);
    await h.until(() => h.lines('S1').some((l) => l.startsWith('S1 is ready [passive] [backup]')), 'S1 a backup', 5000);
    c1.stop();
    c2.stop();
    const contexts = () => SERVERS.map((s) => h.current(s)!.role!.actor.getSnapshot().context);
    const same = () => {
      const [a, ...rest] = contexts();
      return rest.every((c) => c.state === a!.state && JSON.stringify(c.clients.entries()) === JSON.stringify(a!.clients.entries()));
    };
    await h.until(same, 'equal states', 3000);
    // Under durability = sync every reply a client saw is in the state: the client tables say so.
    const table = contexts()[1]!.clients;
    for (const c of ['C1', 'C2']) {
      const last = h.logged('client.received', c).at(-1)!.event.request.num;
      expect(table.get(c)!.num, `${c}'s last answered request kept`).to.be.at.least(last);
    }
    for (const s of SERVERS) for (const p of h.launched(s)) appliedOnce(h, s, p.pid);
  });
});
