/** The RM's membership decisions (SPEC §6 Deletion): when the last replica that held the state goes, it says so. */
import { expect } from 'chai';
import {
  carryConfirmation, clientServers, initialMembership, onAdd, onChoiceDue, onDelete, onReport, onRestart, onServing, type Decision, type Membership,
} from '../../src/core/replication.js';
import type { ServerStatusFrame } from '../../src/protocol/frames.js';

/** Each decision's next membership, its warnings and commands gathered. */
function run(steps: ((m: Membership) => Decision)[], start = initialMembership('passive')): { m: Membership; warnings: string[]; commands: string[] } {
  let m = start;
  const commands: string[] = [];
  const warnings: string[] = [];
  for (const step of steps) {
    const d = step(m);
    m = d.next;
    warnings.push(...d.warnings);
    commands.push(...d.commands.map((c) => `${c.kind} ${c.server}${c.kind === 'ready' ? ` ${c.role} ${c.epoch}` : ''}`));
  }
  return { m, warnings, commands };
}

describe('replication decisions: the state lost', () => {
  const status = (server: string, phase: ServerStatusFrame['phase'], epoch = 1, role: 'primary' | 'backup' | null = null): ServerStatusFrame => ({
    kind: 'serverStatus', server, mode: role === null ? null : 'passive', role, phase, state: '', clients: [], checkpoint: 0, epoch, pid: 1,
  });

  /** A server joins (`add`) and answers the RM's question with a fresh process's status. */
  const join = (server: string) => (m: Membership): Decision => {
    const added = onAdd(m, server);
    const told = onReport(added.next, server, status(server, 'booting', 0));
    return { next: told.next, commands: [...added.commands, ...told.commands], warnings: [...added.warnings, ...told.warnings] };
  };

  it('when the serving primary goes and only a recovering server is left, waits for the primary; the state is lost only once it is back without it', () => {
    const { m, warnings } = run([join('S1'), (m) => onServing(m, 'S1', 1), join('S2'), (m) => onDelete(m, 'S1')]);
    expect(warnings).to.deep.equal(['no replica serves any more: the RM waits for one that held the state (S1) before it names a primary']);
    expect(m.primary).to.equal(null);
    // S2 never held it: nothing is named.
    const waiting = run([(x) => onReport(x, 'S2', status('S2', 'recovering', 1, 'backup'))], m);
    expect([waiting.m.primary, waiting.warnings]).to.deep.equal([null, []]);
    // S1 back as a new process (booting): its state is gone with the old one.
    const lost = run([(x) => onAdd(x, 'S1'), (x) => onReport(x, 'S1', status('S1', 'booting', 1))], waiting.m);
    expect(lost.warnings).to.deep.equal(['no replica that held the state came back with it (S1): the state is lost; S1 starts from its own']);
    expect([lost.m.primary, lost.m.epoch]).to.deep.equal(['S1', 2]);
  });

  it('when the last replica goes, names nobody who joins until it is back with its state (it was cut off, not gone)', () => {
    const { m, warnings } = run([join('S1'), (m) => onServing(m, 'S1', 1), (m) => onDelete(m, 'S1')]);
    expect(warnings).to.deep.equal(['no replica serves any more: the RM waits for one that held the state (S1) before it names a primary']);
    // Simulator seed 20216 (long partitions): a relaunched, empty S2 joined first and was named;
    // S1, suspended with the state, recovered from it and every answered request went.
    const back = run([
      (x) => onAdd(x, 'S2'), (x) => onReport(x, 'S2', status('S2', 'booting', 0)),
      (x) => onAdd(x, 'S1'), (x) => onReport(x, 'S1', status('S1', 'suspended', 1, 'primary')),
    ], m);
    expect(back.warnings).to.deep.equal(['S1 held the state and is back: it serves first, the others recover from it']);
    expect([back.m.primary, back.m.epoch]).to.deep.equal(['S1', 2]);
    expect(back.commands).to.deep.equal(['ready S1 primary 2', 'ready S2 backup 2']);
  });

  it('when the replicas that served last come back without the state, turns to the latest deleted before them', () => {
    // `chaos --hosts 4 --partitions`: the RM's host was cut off just as S3, the primary, was killed;
    // S3's delete was lost with the cut, so S1 and S2 (suspended, holding every answered request)
    // were deleted before it. S3 came back as a new process, and the RM started over from it.
    const serving = run([
      join('S1'), (m) => onServing(m, 'S1', 1), join('S2'), (m) => onServing(m, 'S2', 1), join('S3'), (m) => onServing(m, 'S3', 1),
      (m) => onDelete(m, 'S1'), (m) => onDelete(m, 'S2'), (m) => onDelete(m, 'S3'),
    ]);
    expect(serving.warnings).to.deep.equal(['no replica serves any more: the RM waits for one that held the state (S3) before it names a primary']);
    const s3Empty = run([(x) => onAdd(x, 'S3'), (x) => onReport(x, 'S3', status('S3', 'booting', 0))], serving.m);
    // S1 is back holding, but S2 went after it and may hold more: S2 is waited for.
    const s1Back = run([(x) => onAdd(x, 'S1'), (x) => onReport(x, 'S1', status('S1', 'suspended', 3, 'backup'))], s3Empty.m);
    expect([s3Empty.m.primary, s1Back.m.primary]).to.deep.equal([null, null]);
    const s2Back = run([(x) => onAdd(x, 'S2'), (x) => onReport(x, 'S2', status('S2', 'suspended', 3, 'backup'))], s1Back.m);
    expect([s2Back.m.primary, s2Back.m.epoch]).to.deep.equal(['S2', 4]);
    expect(s2Back.warnings).to.deep.equal([
      'the replicas that served last came back without the state (S3); S2 held it when it was deleted and is back: it serves first, and what they answered without it may be lost',
    ]);
    // Had every one of them come back without it, the state would be lost.
    const allEmpty = run([
      (x) => onAdd(x, 'S2'), (x) => onReport(x, 'S2', status('S2', 'booting', 0)),
      (x) => onAdd(x, 'S1'), (x) => onReport(x, 'S1', status('S1', 'booting', 0)),
    ], s3Empty.m);
    expect(allEmpty.warnings).to.deep.equal(['no replica that held the state came back with it (S3, S2, S1): the state is lost; S1 starts from its own']);
    expect(allEmpty.m.lapsed).to.deep.equal([]);
  });

  it('says nothing when a serving backup takes over, or when a primary that never served goes', () => {
    const served = run([join('S1'), (m) => onServing(m, 'S1', 1), join('S2'), (m) => onServing(m, 'S2', 1), (m) => onDelete(m, 'S1')]);
    expect(served.warnings).to.deep.equal([]);
    expect(served.m.primary).to.equal('S2');
    expect(run([join('S1'), (m) => onDelete(m, 'S1')]).warnings).to.deep.equal([]);
  });
});

describe('replication decisions: with data folders, the furthest history serves first', () => {
  const durable = () => initialMembership('passive', ['S1', 'S2', 'S3'], true);
  /** A booting server's status as a server with a data folder answers it. */
  const status = (server: string, epoch: number, position?: number, taken = epoch): ServerStatusFrame => ({
    kind: 'serverStatus', server, mode: null, role: null, phase: 'booting', state: '', clients: [], checkpoint: 0, epoch, pid: 1,
    ...(position !== undefined && { durable: { position, epoch, taken } }),
  });

  it('names nobody while members join, then, once every configured server said how far it goes, the highest epoch and position', () => {
    const { m, warnings, commands } = run([
      (m) => onAdd(m, 'S1'), (m) => onReport(m, 'S1', status('S1', 4, 90)),
      (m) => onAdd(m, 'S2'), (m) => onReport(m, 'S2', status('S2', 4, 120)),
      (m) => onAdd(m, 'S3'),
    ], durable());
    expect([m.primary, commands]).to.deep.equal([null, []]);
    const last = run([(x) => onReport(x, 'S3', status('S3', 3, 500))], m);
    expect([last.m.primary, last.m.epoch, last.m.choosing]).to.deep.equal(['S2', 5, null]);
    expect(last.commands).to.deep.equal(['ready S1 backup 5', 'ready S2 primary 5', 'ready S3 backup 5']);
    expect(warnings.concat(last.warnings)).to.deep.equal([
      'S2 has the furthest history on disk (epoch 4, position 120): it serves first, the others recover from it',
    ]);
  });

  it('once the wait is due chooses among the members that joined, but never before each of them answered', () => {
    const joined = run([(m) => onAdd(m, 'S1'), (m) => onAdd(m, 'S2'), (m) => onReport(m, 'S1', status('S1', 2, 7))], durable());
    const due = run([onChoiceDue], joined.m);
    expect(due.m.primary, 'S2 has not answered').to.equal(null);
    // No answer in time ranks below any history.
    expect(run([(m) => onReport(m, 'S2', null)], due.m).m.primary).to.equal('S1');
    // Equal histories: the first name.
    expect(run([(m) => onReport(m, 'S2', status('S2', 2, 7))], due.m).m.primary).to.equal('S1');
    expect(run([onChoiceDue], initialMembership('passive', ['S1'], true)).m.choosing, 'due with no member: still waiting').to.deep.equal({ reports: {}, due: false, holders: null });
  });

  it('chooses again when the serving replicas are all gone, counting the recovering ones too', () => {
    const chosen = run([
      (m) => onAdd(m, 'S1'), (m) => onReport(m, 'S1', status('S1', 0, 0)),
      (m) => onAdd(m, 'S2'), (m) => onReport(m, 'S2', status('S2', 0, 0)),
      (m) => onAdd(m, 'S3'), (m) => onReport(m, 'S3', status('S3', 0, 0)),
      (m) => onServing(m, 'S1', 1),
    ], durable());
    expect(chosen.m.primary).to.equal('S1');
    const gone = run([(m) => onDelete(m, 'S1')], chosen.m);
    expect([gone.m.primary, gone.m.choosing?.reports]).to.deep.equal([null, {}]);
    // S2 finishing its recovery from the gone S1 meanwhile does not make it serve.
    expect(run([(m) => onServing(m, 'S2', gone.m.epoch)], gone.m).m.members.S2?.serving).to.equal(false);
    expect(gone.warnings).to.deep.equal(['no replica serves any more: the RM names the one whose history on disk goes furthest']);
    expect(gone.commands).to.deep.equal(['launch S1']);
  });

  it('ranks by the epoch a history was written in, but opens an epoch above every one a member took', () => {
    // S1 took a ready of epoch 9 and wrote nothing in it: S2's longer history of epoch 7 still wins.
    const { m } = run([
      (x) => onAdd(x, 'S1'), (x) => onReport(x, 'S1', status('S1', 7, 40, 9)),
      (x) => onAdd(x, 'S2'), (x) => onReport(x, 'S2', status('S2', 7, 50)),
      (x) => onAdd(x, 'S3'), (x) => onReport(x, 'S3', status('S3', 6, 60)),
    ], durable());
    expect([m.primary, m.epoch]).to.deep.equal(['S2', 10]);
    // A member recovering in a newer epoch still ranks by the epoch its history was written in
    // (simulator seed 44 with disks: S1 recovering in epoch 4 with a history of epoch 3 outranked S2).
    const recovering: ServerStatusFrame = { ...status('S1', 4, 304, 4), phase: 'recovering', durable: { position: 304, epoch: 3, taken: 4 } };
    const two = initialMembership('passive', ['S1', 'S2'], true);
    const chosen = run([(x) => onAdd(x, 'S1'), (x) => onReport(x, 'S1', recovering), (x) => onAdd(x, 'S2'), (x) => onReport(x, 'S2', status('S2', 3, 310))], two);
    expect([chosen.m.primary, chosen.m.epoch]).to.deep.equal(['S2', 5]);
  });

  it('a restarted RM that finds no member serving chooses by the statuses it asked for', () => {
    const m = onRestart(durable(), ['S1', 'S2', 'S3'], 3, { S1: status('S1', 3, 10), S2: status('S2', 3, 12), S3: null }, ['S1', 'S2', 'S3']);
    expect([m.next.primary, m.next.epoch]).to.deep.equal(['S2', 4]);
    // A member that serves keeps serving: nothing is chosen from disk, then or once the others report.
    const serving = { ...status('S2', 3, 12), phase: 'ready' as const, mode: 'passive' as const, role: 'primary' as const };
    const kept = onRestart(durable(), ['S1', 'S2'], 3, { S1: status('S1', 3, 10), S2: serving }, ['S1', 'S2', 'S3']);
    expect([kept.next.primary, kept.next.choosing]).to.deep.equal(['S2', null]);
    expect(run([(x) => onAdd(x, 'S3'), (x) => onReport(x, 'S3', status('S3', 3, 99))], kept.next).m.primary).to.equal('S2');
    // Without data folders the first name serves, as before.
    expect(onRestart(initialMembership('passive'), ['S1', 'S2'], 3, { S1: status('S1', 3), S2: status('S2', 3) }, ['S1', 'S2']).next.primary).to.equal('S1');
  });
});

describe('replication decisions: a restarted RM and suspended replicas', () => {
  const st = (server: string, epoch: number, role: 'primary' | 'backup' | null, phase: ServerStatusFrame['phase']): ServerStatusFrame => ({
    kind: 'serverStatus', server, mode: role === null ? null : 'passive', role, phase, state: '', clients: [], checkpoint: 0, epoch, pid: 1,
  });
  const restart = (statuses: Record<string, ServerStatusFrame>) =>
    onRestart(initialMembership('passive'), Object.keys(statuses), 0, statuses, Object.keys(statuses));

  it('names a suspended replica primary rather than a booting one, and says nothing is lost', () => {
    // Simulator seed 20049 (long partitions): S1 and S2 relaunched, S3 suspended with the state; the
    // RM named S1 ("the state is lost") and every answered request went.
    const d = restart({ S1: st('S1', 0, null, 'booting'), S2: st('S2', 0, null, 'booting'), S3: st('S3', 4, 'backup', 'suspended') });
    expect([d.next.primary, d.warnings]).to.deep.equal(['S3', []]);
    expect(d.next.members['S3']).to.deep.equal({ serving: true, recovered: true });
  });

  it('ranks the latest epoch first, its primary before its backups, serving before suspended', () => {
    expect(restart({ S1: st('S1', 4, 'primary', 'suspended'), S2: st('S2', 4, 'backup', 'ready') }).next.primary).to.equal('S1');
    expect(restart({ S1: st('S1', 4, 'primary', 'suspended'), S2: st('S2', 5, 'backup', 'suspended') }).next.primary).to.equal('S2');
    expect(restart({ S1: st('S1', 4, 'backup', 'suspended'), S2: st('S2', 4, 'backup', 'ready') }).next.primary).to.equal('S2');
  });

  it('a suspended replica not chosen recovers: it may have missed updates while deleted', () => {
    // Simulator seed 14: S2, a suspended backup deleted before the RM restarted, was counted as
    // serving and later promoted without the updates S1 made after its deletion.
    const d = restart({ S1: st('S1', 4, 'primary', 'suspended'), S2: st('S2', 4, 'backup', 'suspended') });
    expect(d.next.primary).to.equal('S1');
    expect(d.next.members['S2']).to.deep.equal({ serving: false, recovered: false });
  });
});

describe('replication decisions: a fresh RM', () => {
  const st = (server: string, epoch: number, role: 'primary' | 'backup' | null, phase: ServerStatusFrame['phase']): ServerStatusFrame => ({
    kind: 'serverStatus', server, mode: role === null ? null : 'passive', role, phase, state: '', clients: [], checkpoint: 0, epoch, pid: 1,
  });
  const fresh = () => initialMembership('passive', ['S1', 'S2', 'S3']);

  it('names a replica that holds the state, in an epoch above the one it served in, once every configured server answered', () => {
    // Simulator seed 30306 (long partitions): the GFD and the RM both restarted while S1 and S3 were
    // suspended in epoch 1; the fresh RM named the first to join, S3, primary of epoch 1, S1's epoch.
    const { m, commands } = run([
      (x) => onAdd(x, 'S3'), (x) => onReport(x, 'S3', st('S3', 1, 'backup', 'suspended')),
      (x) => onAdd(x, 'S2'), (x) => onReport(x, 'S2', st('S2', 0, null, 'booting')),
      (x) => onAdd(x, 'S1'),
    ], fresh());
    expect([m.primary, commands], 'S1 has not answered').to.deep.equal([null, []]);
    const chosen = run([(x) => onReport(x, 'S1', st('S1', 1, 'primary', 'suspended'))], m);
    expect([chosen.m.primary, chosen.m.epoch]).to.deep.equal(['S1', 2]);
    expect(chosen.warnings).to.deep.equal(['S1 holds the state (epoch 1): it serves first, the others recover from it']);
    expect(chosen.commands).to.deep.equal(['ready S1 primary 2', 'ready S2 backup 2', 'ready S3 backup 2']);
  });

  it('ranks any state above none, whatever the epoch: a recovering process holds nothing yet', () => {
    const { m } = run([
      (x) => onAdd(x, 'S1'), (x) => onReport(x, 'S1', st('S1', 5, 'backup', 'recovering')),
      (x) => onAdd(x, 'S2'), (x) => onReport(x, 'S2', st('S2', 4, 'backup', 'suspended')),
      onChoiceDue,
    ], fresh());
    expect([m.primary, m.epoch]).to.deep.equal(['S2', 6]);
  });

  it('starts a fresh cluster with the first name and says nothing', () => {
    const { m, warnings } = run(['S2', 'S1', 'S3'].flatMap((s) => [(x: Membership) => onAdd(x, s), (x: Membership) => onReport(x, s, st(s, 0, null, 'booting'))]), fresh());
    expect([m.primary, m.epoch, warnings]).to.deep.equal(['S1', 1, []]);
  });
});

describe('replication: clients are sent to a new primary once it serves in its epoch', () => {
  const twoServing = (): Membership => {
    let m: Membership = { ...initialMembership('passive'), choosing: null };
    for (const s of ['S1', 'S2']) m = onAdd(m, s).next;
    m = onServing(m, 'S1', m.epoch).next;
    return onServing(m, 'S2', m.epoch).next;
  };

  it('a promoted backup is pending (clients keep their view) until its `serving` of the new epoch', () => {
    let m = twoServing();
    expect(clientServers(m)).to.deep.equal(['S1']);
    m = onDelete(m, 'S1').next;
    expect([m.primary, m.members.S2!.serving, clientServers(m)]).to.deep.equal(['S2', true, null]);
    expect(clientServers(onServing(m, 'S2', m.epoch - 1).next)).to.equal(null);
    expect(clientServers(onServing(m, 'S2', m.epoch).next)).to.deep.equal(['S2']);
  });

  it('a new epoch with the same primary keeps it named; one with a new primary does not', () => {
    const m = twoServing();
    const bumped: Membership = { ...m, epoch: m.epoch + 1 };
    expect(clientServers(bumped)).to.equal(null);
    expect(clientServers(carryConfirmation(m, bumped))).to.deep.equal(['S1']);
    expect(clientServers(carryConfirmation(m, { ...bumped, primary: 'S2' }))).to.equal(null);
  });

  it('a restarted RM names a primary at once when its status says it is one', () => {
    const status = (server: string, role: 'primary' | 'backup'): ServerStatusFrame =>
      ({ kind: 'serverStatus', server, mode: 'passive', role, phase: 'ready', state: '', clients: [], checkpoint: 0, epoch: 4, pid: 1 });
    const fresh: Membership = { ...initialMembership('passive'), choosing: null };
    const kept = onRestart(fresh, ['S1', 'S2'], 4, { S1: status('S1', 'backup'), S2: status('S2', 'primary') }, ['S1', 'S2']).next;
    expect([kept.primary, clientServers(kept)]).to.deep.equal(['S2', ['S2']]);
    const promoted = onRestart(fresh, ['S1'], 4, { S1: status('S1', 'backup') }, ['S1', 'S2']).next;
    expect([promoted.primary, clientServers(promoted)]).to.deep.equal(['S1', null]);
  });
});
