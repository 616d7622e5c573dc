/**
 * A whole active cluster as real processes (SPEC §7, active steps 1–6): RM, GFD, three LFDs that
 * launch S1–S3, two clients. One replica is killed with SIGKILL; the others keep answering, the
 * detectors report it, its LFD relaunches it on the RM's `launch`, it recovers and serves again.
 * At the end, with the clients stopped, every replica must hold the same requests.
 */
import { expect } from 'chai';
import {
  closeRawConns,
  killAllAndCheck,
  launchedPid,
  logEntries,
  queryStatus,
  startRole,
  until,
  waitForLine,
  waitForLineWhere,
  writeConfig,
  isAlive,
  type Role,
  type ServerStatus,
  type TestCluster,
} from '../support/processes.js';

/** Generous bounds: failure detection takes 0.6 s and a relaunch well under 2 s on this config. */
const T = 15_000;

/** `Received <C1, S3, 17, reply>` → 17 */
const RECEIVED = (client: string) => new RegExp(`Received <${client}, (S\\d), (\\d+), reply>$`);

/** The highest request number a client has seen answered so far. */
function lastReceived(client: Role, name: string): number {
  let last = 0;
  for (const line of client.lines) {
    const m = RECEIVED(name).exec(line);
    if (m) last = Math.max(last, Number(m[2]));
  }
  return last;
}

/** Waits for `Received <NAME, SERVER, N, reply>` with N above `n`, from a server matching `from`. */
function receivedAbove(client: Role, name: string, n: number, since: number, from = /S\d+/) {
  return waitForLineWhere(client, RECEIVED(name), (m) => from.test(m[1]!) && Number(m[2]) > n, T, since, `number above ${n} from ${from}`);
}

/** The client table without the replies: `C1:15;C2:9`. Active replicas under concurrent clients may
 * order requests differently (SPEC §7), so replies (log positions) may differ; the numbers may not. */
function numbers(s: ServerStatus): string {
  return [...s.clients].map(([c, { num }]) => `${c}:${num}`).join(';');
}

describe('e2e: an active cluster of real processes survives kill -9 of a replica', function () {
  this.timeout(60_000);

  let cluster: TestCluster;

  afterEach(async () => {
    closeRawConns();
    await killAllAndCheck();
  });

  it('keeps serving, detects the failure, relaunches and recovers the replica, and ends with equal client tables', async () => {
    // Different messages per client, so that each log entry tells which request it was.
    cluster = await writeConfig({
      cluster: { mode: 'active', app: 'log' },
      clients: { C1: { interval: 0.2, message: 'c1_' }, C2: { interval: 0.2, message: 'c2_' } },
    });
    const cfg = ['--config', cluster.file];

    // (1)–(3): RM, GFD, three LFDs, each launching its server.
    const rm = startRole(['rm', ...cfg, '--mode', 'active']);
    await waitForLine(rm, /RM: 0 members$/);
    const gfd = startRole(['gfd', ...cfg]);
    await waitForLine(gfd, /GFD: 0 members$/);
    const lfds = [1, 2, 3].map((i) => startRole(['lfd', '--name', `LFD${i}`, ...cfg]));
    const pids = await Promise.all(lfds.map((lfd, i) => launchedPid(lfd, `S${i + 1}`, T)));
    await waitForLine(rm, /RM: 3 members: S1, S2, S3$/, T);
    await waitForLine(gfd, /GFD: 3 members: S1, S2, S3$/, T);
    const sequencer = (await waitForLine(rm, /RM: sequencer is (S\d)$/, T)).match[1]!;
    // The pid an LFD prints is the server's own process (SPEC §3), as the server says itself.
    for (const [i, lfd] of lfds.entries()) {
      await waitForLine(lfd, new RegExp(`S${i + 1} started on 127\\.0\\.0\\.1:\\d+ \\(peer 127\\.0\\.0\\.1:\\d+\\), pid ${pids[i]}$`), T);
      await waitForLine(lfd, new RegExp(`S${i + 1} is ready \\[active\\] \\[(primary|backup)\\]`), T);
    }

    // (4): two clients in active mode get replies.
    const clients = ['C1', 'C2'].map((name) => ({ name, role: startRole(['client', '--name', name, ...cfg]) }));
    for (const c of clients) await waitForLine(c.role, RECEIVED(c.name), T);

    // (5): kill -9 one replica: a backup, the scenario's S2 unless S2 became the sequencer (whose
    // loss would also open a new epoch: another test's subject).
    const v = sequencer === 'S2' ? 2 : 1;
    const [victim, victimLfd, victimPid] = [`S${v + 1}`, lfds[v]!, pids[v]!];
    const survivors = cluster.servers.map((s) => s.name).filter((n) => n !== victim);
    const marks = { rm: rm.mark(), gfd: gfd.mark(), lfd: victimLfd.mark(), clients: clients.map((c) => c.role.mark()) };
    const answeredAtKill = clients.map((c) => lastReceived(c.role, c.name));
    process.kill(victimPid, 'SIGKILL');

    const lfdName = `LFD${v + 1}`;
    await waitForLine(victimLfd, new RegExp(`${lfdName}: ${victim} failed \\((connection lost|no heartbeat answer in 0\\.6 s)\\)$`), T, marks.lfd);
    await waitForLine(victimLfd, new RegExp(`${lfdName}: delete ${victim}$`), T, marks.lfd);
    await waitForLine(gfd, new RegExp(`GFD: 2 members: ${survivors.join(', ')}$`), T, marks.gfd);
    await waitForLine(rm, new RegExp(`RM: 2 members: ${survivors.join(', ')}$`), T, marks.rm);
    // The survivors keep answering: each client gets replies for numbers well past the kill.
    const bySurvivor = new RegExp(`^(${survivors.join('|')})$`);
    await Promise.all(clients.map((c, i) => receivedAbove(c.role, c.name, answeredAtKill[i]! + 2, marks.clients[i]!, bySurvivor)));

    // (5)–(6): the RM orders `launch`, the LFD starts the replica again; it recovers and serves.
    const newPid = await launchedPid(victimLfd, victim, T, marks.lfd);
    expect(newPid).to.not.equal(victimPid);
    expect(isAlive(victimPid), 'the killed replica is gone').to.equal(false);
    await waitForLine(victimLfd, new RegExp(`${victim} is ready \\[active\\] \\[backup\\]`), T, marks.lfd);
    await waitForLine(rm, /RM: 3 members: S1, S2, S3$/, T, marks.rm);
    await waitForLine(gfd, /GFD: 3 members: S1, S2, S3$/, T, marks.gfd);
    // The clients learn of it from the RM and send to it again; they go on past the relaunch.
    const relaunched = clients.map((c) => c.role.mark());
    const afterRelaunch = clients.map((c) => lastReceived(c.role, c.name));
    for (const [i, c] of clients.entries()) {
      await waitForLine(c.role, new RegExp(`Sent <${c.name}, ${victim}, \\d+, request>$`), T, relaunched[i]);
      await receivedAbove(c.role, c.name, afterRelaunch[i]! + 2, relaunched[i]!);
    }

    // Stop the clients (SIGTERM: a clean stop, exit 0), then compare the replicas.
    for (const c of clients) process.kill(c.role.pid, 'SIGTERM');
    for (const c of clients) expect((await c.role.closed).code, `${c.name} exit status`).to.equal(0);
    const answered = clients.map((c) => lastReceived(c.role, c.name));

    // Requests already sent may still be on their way between replicas (forwards): wait, bounded,
    // until the three agree, then check what they agree on.
    let statuses: ServerStatus[] = [];
    await until(
      async () => {
        statuses = await Promise.all(cluster.servers.map((s) => queryStatus(s.port, s.name)));
        return statuses.every((s) => s.phase === 'ready' && numbers(s) === numbers(statuses[0]!) && s.state === statuses[0]!.state);
      },
      T,
      () => `replicas disagree:\n${statuses.map((s) => `  ${s.server} ${s.phase} ${numbers(s)}`).join('\n')}`,
    );
    expect(statuses.map((s) => [s.server, s.mode, s.phase])).to.deep.equal([
      ['S1', 'active', 'ready'],
      ['S2', 'active', 'ready'],
      ['S3', 'active', 'ready'],
    ]);
    expect(statuses[v]!.pid).to.equal(newPid);

    for (const s of statuses) {
      // Every answered request is in the table (a request sent just before the stop may be one more).
      for (const [i, c] of clients.entries()) {
        const num = s.clients.get(c.name)?.num ?? 0;
        expect(num, `${s.server}'s last number of ${c.name}`).to.be.within(answered[i]!, answered[i]! + 1);
      }
      // No request applied twice or lost, whatever the order: the log holds exactly requests
      // 1…last of each client, once each, on every replica (the recovered one included).
      const expected = clients.flatMap((c) => {
        const last = s.clients.get(c.name)!.num;
        return Array.from({ length: last }, (_, k) => `${c.name.toLowerCase()}_${k + 1}`);
      });
      expect([...logEntries(s.state)].sort(), `${s.server}'s log entries`).to.deep.equal(expected.sort());
      // And in one order: the sequencer's total order (docs/ordering.md) makes the logs equal.
      expect(logEntries(s.state), `${s.server}'s log, in order`).to.deep.equal(logEntries(statuses[0]!.state));
    }
  });
});

