/**
 * Leadership in a real etcd, with each candidate in its own process: one leader, a standby that
 * takes over when the leader is killed -9, and a leader frozen past its lease that can write
 * nothing once it runs again.
 */
import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { fileURLToPath } from 'node:url';
import { killMember, requireEtcd, startEtcd, stopEtcd, type EtcdCluster } from '../support/etcd.js';
import { killAllAndCheck, startRole, waitForLine, type Role } from '../support/processes.js';

const PREFIX = '/steadfast-test/';
const TTL = 2;
const SCRIPT = fileURLToPath(new URL('../fixtures/candidate.ts', import.meta.url));

describe('coordination: leadership in etcd', function () {
  this.timeout(60_000);
  let etcd: EtcdCluster;
  let observer: Etcd3;

  before(function () {
    requireEtcd(this);
  });
  beforeEach(async () => {
    etcd = await startEtcd(1);
    observer = new Etcd3({ hosts: etcd.endpoints });
  });
  afterEach(async () => {
    observer.close();
    await killAllAndCheck();
    await stopEtcd();
  });

  const candidate = (name: string): Role =>
    startRole([etcd.endpoints.join(','), PREFIX, 'rm', name, String(TTL)], { script: SCRIPT, label: `candidate ${name}`, input: true });
  const elected = (c: Role, since = 0) => waitForLine(c, /^\{"type":"elected"\}$/, 10_000, since);
  const sees = (c: Role, leader: string, since = 0) => waitForLine(c, new RegExp(`^\\{"type":"leader","name":"${leader}"\\}$`), 10_000, since);
  async function ask(c: Role, command: string): Promise<unknown> {
    const since = c.mark();
    c.child.stdin!.write(command + '\n');
    return JSON.parse((await waitForLine(c, /^\{"type":"(wrote|epoch|failed)"/, 10_000, since)).line);
  }

  it('elects exactly one of two; both observe which, and the other stands by', async () => {
    const a = candidate('RM1');
    await elected(a);
    const b = candidate('RM2');
    await Promise.all([sees(a, 'RM1'), sees(b, 'RM1')]);
    expect(await ask(b, 'write rm/primary S9')).to.deep.equal({ type: 'wrote', outcome: 'not leading' });
    expect(await ask(a, 'write rm/primary S1')).to.deep.equal({ type: 'wrote', outcome: 'written' });
    expect(b.lines.filter((l) => l.includes('elected'))).to.deep.equal([]);
    expect(await observer.get(`${PREFIX}rm/primary`).string()).to.equal('S1');
  });

  it('a leader killed -9 is replaced within the lease and a second, and the epoch goes on from where it was', async () => {
    const a = candidate('RM1');
    await elected(a);
    expect(await ask(a, 'epoch rm/epoch')).to.deep.equal({ type: 'epoch', epoch: 1 });
    const b = candidate('RM2');
    await sees(b, 'RM1');
    const since = b.mark();
    const killed = Date.now();
    a.child.kill('SIGKILL');
    await elected(b, since);
    expect(Date.now() - killed, 'takeover (ms)').to.be.below((TTL + 1) * 1000);
    expect(await ask(b, 'epoch rm/epoch')).to.deep.equal({ type: 'epoch', epoch: 2 });
  });

  it('a leader frozen past its lease is deposed when it runs again, and its writes are refused', async () => {
    const a = candidate('RM1');
    await elected(a);
    const b = candidate('RM2');
    await sees(b, 'RM1');
    const since = b.mark();
    a.child.kill('SIGSTOP');
    await elected(b, since);
    expect(await ask(b, 'epoch rm/epoch')).to.deep.equal({ type: 'epoch', epoch: 1 });
    const thawed = a.mark();
    a.child.kill('SIGCONT');
    // Its first write after the thaw is refused by etcd, whether or not it heard of its lease's loss yet.
    expect(await ask(a, 'write rm/primary S1')).to.deep.equal({ type: 'wrote', outcome: 'not leading' });
    expect(await ask(a, 'epoch rm/epoch')).to.deep.equal({ type: 'epoch', epoch: null });
    await waitForLine(a, /^\{"type":"deposed"/, 10_000, thawed);
    await sees(a, 'RM2', thawed);
    expect(await observer.get(`${PREFIX}rm/primary`).string()).to.equal(null);
    expect(await observer.get(`${PREFIX}rm/epoch`).string()).to.equal('1');
  });

  it('with three etcd members, one killed -9 goes unnoticed: the leader keeps leading and writing', async () => {
    observer.close();
    await stopEtcd();
    etcd = await startEtcd(3);
    observer = new Etcd3({ hosts: etcd.endpoints });
    const a = candidate('RM1');
    await elected(a);
    const b = candidate('RM2');
    await sees(b, 'RM1');
    const since = a.mark();
    await killMember(etcd.members[0]!);
    // Twice the lease: long enough for a lease the survivors could not keep alive to expire.
    await new Promise((r) => setTimeout(r, 2 * TTL * 1000));
    expect(await ask(a, 'epoch rm/epoch')).to.deep.equal({ type: 'epoch', epoch: 1 });
    expect(a.lines.slice(since).filter((l) => l.includes('deposed'))).to.deep.equal([]);
    expect(b.lines.filter((l) => l.includes('elected'))).to.deep.equal([]);
  });
});
