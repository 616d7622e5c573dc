/**
 * Failover end to end, with real processes on real TCP (SPEC §3, §5, §6): the `log` application, so
 * that every reply is the entry's position and the replicas' logs show the order they applied.
 *
 * - passive, `durability = sync`: kill -9 of the primary under two clients; a backup is promoted,
 *   the clients go on, the old primary comes back as a backup;
 * - a hung server (SIGSTOP), a backup and then the primary: its LFD finds it silent, kills it with
 *   SIGKILL, reports `delete`, and the server is relaunched;
 * - active: kill -9 of the sequencer under one client, then a second client alone (so that the
 *   log's order is known: C1's entries first); concurrent clients under the total order are covered
 *   by test/machines/ordering.test.ts, the e2e active cluster and the scenario;
 * - then double and repeated faults: the new primary killed while the old one recovers, both backups
 *   at once, short freezes that must change nothing, the primary killed five times in a row.
 *
 * Each ends with the clients stopped and checks, with raw `<ops, Sx, status>` frames, that the three
 * logs are identical, that every request a client saw answered is in the log exactly once at the
 * position the client was told (clients print JSON, whose `client.received` carries the `result`),
 * and that each client's requests 1…last are there once each: nothing lost, nothing applied twice.
 */
import { expect } from 'chai';
import {
  closeRawConns,
  isAlive,
  killAllAndCheck,
  launchedPid,
  logEntries,
  queryStatus,
  startRole,
  until,
  waitForLine,
  waitForLineWhere,
  writeConfig,
  type Role,
  type ServerStatus,
  type TestCluster,
} from '../support/processes.js';

/** Generous bounds: with these timings a failure is detected in 0.6 s and a relaunch takes ~1 s. */
const T = 15_000;

type Mode = 'active' | 'passive';

interface Received {
  server: string;
  num: number;
  result: string;
}

/** A client's `client.received` events so far (the client prints `--log-format json`). */
function receivedOf(client: Role): Received[] {
  const out: Received[] = [];
  for (const line of client.lines) {
    const r = parseReceived(line);
    if (r) out.push(r);
  }
  return out;
}

function parseReceived(line: string): Received | null {
  if (!line.includes('"client.received"')) return null;
  try {
    const e = JSON.parse(line) as { event: string; request: { server: string; num: number }; result: string };
    if (e.event !== 'client.received') return null;
    return { server: e.request.server, num: e.request.num, result: e.result };
  } catch {
    return null;
  }
}

function lastReceived(client: Role): number {
  return Math.max(0, ...receivedOf(client).map((r) => r.num));
}

/** Waits for a reply to a number above `n`, from a server matching `from`, at or after line `since`. */
function receivedAbove(client: Role, n: number, since: number, from = /^S\d+$/) {
  return waitForLineWhere(
    client,
    /"event":"client\.received"/,
    (m) => {
      const r = parseReceived(m.input);
      return r !== null && from.test(r.server) && r.num > n;
    },
    T,
    since,
    `a reply to a number above ${n} from ${from}`,
  );
}

interface Running {
  cluster: TestCluster;
  cfg: string[];
  rm: Role;
  gfd: Role;
  lfds: Role[];
  /** The server pids the LFDs launched first. */
  pids: number[];
}

/**
 * RM, three LFDs (each launching its server), and the GFD once the three servers run, so that the
 * GFD's first `members` names all three and the RM assigns S1 (first by name) as primary/sequencer.
 */
async function startCluster(
  mode: Mode,
  clients: Record<string, { interval: number; message: string }>,
  timings: Record<string, number> = {},
): Promise<Running> {
  const cluster = await writeConfig({ cluster: { mode, app: 'log', durability: 'sync', ...timings }, clients });
  const cfg = ['--config', cluster.file];
  const rm = startRole(['rm', ...cfg]);
  await waitForLine(rm, /RM: 0 members$/, T);
  const lfds = [1, 2, 3].map((i) => startRole(['lfd', '--name', `LFD${i}`, ...cfg]));
  const pids = await Promise.all(lfds.map((lfd, i) => launchedPid(lfd, `S${i + 1}`, T)));
  for (const [i, lfd] of lfds.entries()) await waitForLine(lfd, new RegExp(`S${i + 1} started on `), T);
  const gfd = startRole(['gfd', ...cfg]);
  await waitForLine(rm, /RM: 3 members: S1, S2, S3$/, T);
  const lead = mode === 'passive' ? 'primary' : 'sequencer';
  expect((await waitForLine(rm, new RegExp(`RM: ${lead} is (S\\d)$`), T)).match[1]).to.equal('S1');
  for (const [i, lfd] of lfds.entries()) {
    await waitForLine(lfd, new RegExp(`S${i + 1} is ready \\[${mode}\\] \\[${i === 0 ? 'primary' : 'backup'}\\]`), T);
  }
  return { cluster, cfg, rm, gfd, lfds, pids };
}

function startClient(run: Running, name: string): Role {
  return startRole(['client', '--name', name, ...run.cfg, '--log-format', 'json']);
}

/** SIGTERM (a clean stop, exit 0); afterwards its output is complete. */
async function stopClient(client: Role): Promise<void> {
  process.kill(client.pid, 'SIGTERM');
  const exit = await client.closed;
  expect(exit.code, `${client.label} exit status\n${client.tail()}`).to.equal(0);
}

/** The three servers' status, once all are `ready` and hold the same log (bounded wait). */
async function settledStatuses(run: Running): Promise<ServerStatus[]> {
  let statuses: ServerStatus[] = [];
  await until(
    async () => {
      statuses = await Promise.all(run.cluster.servers.map((s) => queryStatus(s.port, s.name)));
      return statuses.every((s) => s.phase === 'ready' && s.state === statuses[0]!.state);
    },
    T,
    () =>
      `replicas disagree:\n${statuses
        .map((s) => `  ${s.server} ${s.role} ${s.phase} epoch ${s.epoch}: ${logEntries(s.state).length} entries, ${[...s.clients].map(([c, v]) => `${c}:${v.num}`).join(';')}`)
        .join('\n')}`,
  );
  return statuses;
}

/**
 * The log's contract: identical on every replica, no entry twice, every reply a client saw at the
 * position it was told, and each client's requests 1…last present once each (last = the server's
 * table, which is the last answered or one more, sent just before the stop).
 */
function checkLogs(statuses: ServerStatus[], clients: { name: string; role: Role; message: string }[]): void {
  const log = logEntries(statuses[0]!.state);
  for (const s of statuses) expect(logEntries(s.state), `${s.server}'s log equals ${statuses[0]!.server}'s`).to.deep.equal(log);
  for (const s of statuses) {
    expect([...s.clients].map(([c, v]) => [c, v.num]), `${s.server}'s client table`).to.deep.equal(
      [...statuses[0]!.clients].map(([c, v]) => [c, v.num]),
    );
  }
  const seen = new Map<string, number>();
  for (const [i, entry] of log.entries()) {
    expect(seen.has(entry), `${entry} appears twice (positions ${seen.get(entry)! + 1} and ${i + 1})`).to.equal(false);
    seen.set(entry, i);
  }
  for (const c of clients) {
    const received = receivedOf(c.role);
    expect(received.length, `${c.name} saw replies`).to.be.greaterThan(0);
    for (const r of received) {
      const at = Number(r.result);
      expect(Number.isInteger(at) && at >= 1, `${c.name} reply ${r.num}: result ${r.result} is a position`).to.equal(true);
      expect(log[at - 1], `${c.name} request ${r.num} was told position ${at}`).to.equal(`${c.message}${r.num}`);
    }
    const answered = Math.max(...received.map((r) => r.num));
    const last = statuses[0]!.clients.get(c.name)?.num ?? 0;
    expect(last, `the servers' last number of ${c.name}`).to.be.within(answered, answered + 1);
    const mine = log.filter((e) => e.startsWith(c.message));
    expect(mine, `${c.name}'s entries, in order, once each`).to.deep.equal(Array.from({ length: last }, (_, k) => `${c.message}${k + 1}`));
  }
  expect(log.length, 'the log holds the clients’ requests and nothing else').to.equal(
    clients.reduce((n, c) => n + (statuses[0]!.clients.get(c.name)?.num ?? 0), 0),
  );
}

describe('e2e: failover with real processes (app = log, durability = sync)', function () {
  this.timeout(60_000);

  afterEach(async () => {
    closeRawConns();
    await killAllAndCheck();
  });

  it('passive: kill -9 of the primary under two clients; a backup takes over, the old primary rejoins as a backup, logs agree', async () => {
    const clientSpecs = { C1: { interval: 0.1, message: 'c1_' }, C2: { interval: 0.1, message: 'c2_' } };
    const run = await startCluster('passive', clientSpecs);
    const { rm, gfd, lfds, pids } = run;
    const clients = Object.entries(clientSpecs).map(([name, spec]) => ({ name, message: spec.message, role: startClient(run, name) }));
    // Under load: each client has had a few replies from S1 before the kill.
    for (const c of clients) await receivedAbove(c.role, 4, 0, /^S1$/);

    const marks = { rm: rm.mark(), gfd: gfd.mark(), lfd: lfds[0]!.mark(), lfd2: lfds[1]!.mark(), clients: clients.map((c) => c.role.mark()) };
    const atKill = clients.map((c) => lastReceived(c.role));
    process.kill(pids[0]!, 'SIGKILL');

    await waitForLine(lfds[0]!, /LFD1: S1 failed \(connection lost\)$/, T, marks.lfd);
    await waitForLine(lfds[0]!, /LFD1: delete S1$/, T, marks.lfd);
    await waitForLine(gfd, /GFD: 2 members: S2, S3$/, T, marks.gfd);
    await waitForLine(rm, /RM: 2 members: S2, S3$/, T, marks.rm);
    const promoted = (await waitForLine(rm, /RM: primary is (S[23])$/, T, marks.rm)).match[1]!;
    // SPEC §6 Deletion: the serving replica whose name sorts first.
    expect(promoted).to.equal('S2');
    await waitForLine(lfds[1]!, /S2 is ready \[passive\] \[primary\]/, T, marks.lfd2);
    // The clients go on with the new primary, well past the number they were at.
    await Promise.all(clients.map((c, i) => receivedAbove(c.role, atKill[i]! + 3, marks.clients[i]!, /^S2$/)));

    // The RM orders `launch`; LFD1 starts S1 again and it comes back as a backup with the state.
    const newPid = await launchedPid(lfds[0]!, 'S1', T, marks.lfd);
    expect(newPid).to.not.equal(pids[0]);
    expect(isAlive(pids[0]!), 'the killed primary is gone').to.equal(false);
    await waitForLine(lfds[0]!, /S1 is ready \[passive\] \[backup\]/, T, marks.lfd);
    await waitForLine(rm, /RM: 3 members: S1, S2, S3$/, T, marks.rm);
    // With S1 back (a backup every update must reach, under sync), the clients still go on.
    const rejoined = clients.map((c) => ({ mark: c.role.mark(), last: lastReceived(c.role) }));
    await Promise.all(clients.map((c, i) => receivedAbove(c.role, rejoined[i]!.last + 3, rejoined[i]!.mark, /^S2$/)));

    for (const c of clients) await stopClient(c.role);
    const statuses = await settledStatuses(run);
    expect(statuses.map((s) => [s.server, s.mode, s.role, s.phase])).to.deep.equal([
      ['S1', 'passive', 'backup', 'ready'],
      ['S2', 'passive', 'primary', 'ready'],
      ['S3', 'passive', 'backup', 'ready'],
    ]);
    expect(statuses[0]!.pid, 'S1 is the relaunched process').to.equal(newPid);
    expect(new Set(statuses.map((s) => s.epoch)).size, 'one epoch everywhere').to.equal(1);
    checkLogs(statuses, clients);
    // Requests answered by S1 before the kill are in the promoted primary's log (sync durability).
    for (const [i, c] of clients.entries()) expect(statuses[1]!.clients.get(c.name)!.num).to.be.at.least(atKill[i]!);
  });

  for (const target of ['S2', 'S1'] as const) {
    const what = target === 'S1' ? 'the primary' : 'a backup';
    it(`passive: SIGSTOP of ${what} (${target}): its LFD finds it silent, kills it, reports delete; it is relaunched, logs agree`, async () => {
      const clientSpecs = { C1: { interval: 0.1, message: 'c1_' }, C2: { interval: 0.1, message: 'c2_' } };
      const run = await startCluster('passive', clientSpecs);
      const { rm, lfds, pids } = run;
      const clients = Object.entries(clientSpecs).map(([name, spec]) => ({ name, message: spec.message, role: startClient(run, name) }));
      for (const c of clients) await receivedAbove(c.role, 4, 0, /^S1$/);

      const v = Number(target.slice(1)) - 1;
      const [lfd, lfdName, pid] = [lfds[v]!, `LFD${v + 1}`, pids[v]!];
      const marks = { rm: rm.mark(), lfd: lfd.mark(), clients: clients.map((c) => c.role.mark()) };
      const atStop = clients.map((c) => lastReceived(c.role));
      process.kill(pid, 'SIGSTOP');

      await waitForLine(lfd, new RegExp(`${lfdName}: ${target} failed \\(no heartbeat answer in 0\\.6 s\\)$`), T, marks.lfd);
      // SIGKILL before `delete` (SPEC §6 Fencing); the LFD reports how its child ended.
      await waitForLine(lfd, new RegExp(`${lfdName}: ${target} exited \\(signal SIGKILL\\), pid ${pid}$`), T, marks.lfd);
      await waitForLine(lfd, new RegExp(`${lfdName}: delete ${target}$`), T, marks.lfd);
      await until(() => !isAlive(pid), T, () => `the hung ${target} (pid ${pid}) is still alive`);
      const survivors = ['S1', 'S2', 'S3'].filter((s) => s !== target);
      await waitForLine(rm, new RegExp(`RM: 2 members: ${survivors.join(', ')}$`), T, marks.rm);
      const primary = target === 'S1' ? 'S2' : 'S1';
      if (target === 'S1') await waitForLine(rm, /RM: primary is S2$/, T, marks.rm);
      await Promise.all(clients.map((c, i) => receivedAbove(c.role, atStop[i]! + 3, marks.clients[i]!, new RegExp(`^${primary}$`))));

      const newPid = await launchedPid(lfd, target, T, marks.lfd);
      expect(newPid).to.not.equal(pid);
      await waitForLine(lfd, new RegExp(`${target} is ready \\[passive\\] \\[backup\\]`), T, marks.lfd);
      await waitForLine(rm, /RM: 3 members: S1, S2, S3$/, T, marks.rm);
      const rejoined = clients.map((c) => ({ mark: c.role.mark(), last: lastReceived(c.role) }));
      await Promise.all(clients.map((c, i) => receivedAbove(c.role, rejoined[i]!.last + 3, rejoined[i]!.mark, new RegExp(`^${primary}$`))));

      for (const c of clients) await stopClient(c.role);
      const statuses = await settledStatuses(run);
      expect(statuses.map((s) => [s.server, s.role, s.phase])).to.deep.equal(
        ['S1', 'S2', 'S3'].map((s) => [s, s === primary ? 'primary' : 'backup', 'ready']),
      );
      expect(statuses[v]!.pid, `${target} is the relaunched process`).to.equal(newPid);
      checkLogs(statuses, clients);
    });
  }

  it('active: kill -9 of the sequencer under one client at a time; it recovers, logs agree', async () => {
    const clientSpecs = { C1: { interval: 0.1, message: 'c1_' }, C2: { interval: 0.1, message: 'c2_' } };
    const run = await startCluster('active', clientSpecs);
    const { rm, lfds, pids } = run;
    const c1 = { name: 'C1', message: 'c1_', role: startClient(run, 'C1') };
    await receivedAbove(c1.role, 4, 0);

    const marks = { rm: rm.mark(), lfd: lfds[0]!.mark(), client: c1.role.mark() };
    const atKill = lastReceived(c1.role);
    process.kill(pids[0]!, 'SIGKILL');

    await waitForLine(lfds[0]!, /LFD1: S1 failed \(connection lost\)$/, T, marks.lfd);
    await waitForLine(lfds[0]!, /LFD1: delete S1$/, T, marks.lfd);
    await waitForLine(rm, /RM: 2 members: S2, S3$/, T, marks.rm);
    await waitForLine(rm, /RM: sequencer is S2$/, T, marks.rm);
    await receivedAbove(c1.role, atKill + 3, marks.client, /^S[23]$/);

    const newPid = await launchedPid(lfds[0]!, 'S1', T, marks.lfd);
    await waitForLine(lfds[0]!, /S1 is ready \[active\] \[backup\]/, T, marks.lfd);
    await waitForLine(rm, /RM: 3 members: S1, S2, S3$/, T, marks.rm);
    // C1 learns of S1 and sends to it again.
    const rejoined = { mark: c1.role.mark(), last: lastReceived(c1.role) };
    await waitForLine(c1.role, /"event":"client\.sent".*"server":"S1"/, T, rejoined.mark);
    await receivedAbove(c1.role, rejoined.last + 3, rejoined.mark);
    await stopClient(c1.role);
    const between = await settledStatuses(run);
    checkLogs(between, [c1]);

    // Then the second client alone, on the recovered cluster.
    const c2 = { name: 'C2', message: 'c2_', role: startClient(run, 'C2') };
    await receivedAbove(c2.role, 5, 0);
    await stopClient(c2.role);
    const statuses = await settledStatuses(run);
    expect(statuses.map((s) => [s.server, s.mode, s.role, s.phase])).to.deep.equal([
      ['S1', 'active', 'backup', 'ready'],
      ['S2', 'active', 'primary', 'ready'],
      ['S3', 'active', 'backup', 'ready'],
    ]);
    expect(statuses[0]!.pid, 'S1 is the relaunched process').to.equal(newPid);
    checkLogs(statuses, [c1, c2]);
    // C1's entries come first: C2 started after C1 stopped.
    const log = logEntries(statuses[0]!.state);
    expect(log.findIndex((e) => e.startsWith('c2_'))).to.equal(statuses[0]!.clients.get('C1')!.num);
  });
});

/**
 * Beyond single faults: two failures close together, a fault of the primary's LFD instead of the
 * primary, a freeze shorter than the timeout (which must change nothing), and the primary killed
 * again and again under fast clients. Same end checks as above.
 */
describe('e2e: failover, double and repeated faults (passive, app = log, durability = sync)', function () {
  this.timeout(60_000);

  afterEach(async () => {
    closeRawConns();
    await killAllAndCheck();
  });

  const specs = { C1: { interval: 0.1, message: 'c1_' }, C2: { interval: 0.1, message: 'c2_' } };
  const startClients = (run: Running, which: Record<string, { message: string }> = specs) =>
    Object.entries(which).map(([name, spec]) => ({ name, message: spec.message, role: startClient(run, name) }));
  type Client = ReturnType<typeof startClients>[number];
  /** Each client gets three more replies after this point (from a server matching `from`). */
  const goOn = (clients: Client[], from?: RegExp) => {
    const at = clients.map((c) => ({ mark: c.role.mark(), last: lastReceived(c.role) }));
    return Promise.all(clients.map((c, i) => receivedAbove(c.role, at[i]!.last + 3, at[i]!.mark, from)));
  };
  const finish = async (run: Running, clients: Client[]) => {
    for (const c of clients) await stopClient(c.role);
    const statuses = await settledStatuses(run);
    checkLogs(statuses, clients);
    return statuses;
  };

  it('kill -9 of the primary, then of the new primary while the first one recovers: S3 takes over, both come back', async () => {
    const run = await startCluster('passive', specs);
    const { rm, lfds, pids } = run;
    const clients = startClients(run);
    for (const c of clients) await receivedAbove(c.role, 4, 0, /^S1$/);
    const m = { rm: rm.mark(), l1: lfds[0]!.mark(), l2: lfds[1]!.mark() };
    process.kill(pids[0]!, 'SIGKILL');
    await waitForLine(rm, /RM: primary is S2$/, T, m.rm);
    // S1 is relaunched and about to recover from S2 (the RM's send_checkpoint goes to S2) …
    await waitForLine(lfds[0]!, /S1 started on /, T, m.l1);
    process.kill(pids[1]!, 'SIGKILL');
    // … which dies: S3 is the only serving replica left; S1 must recover from it instead.
    await waitForLine(rm, /RM: primary is S3$/, T, m.rm);
    await waitForLine(lfds[0]!, /S1 is ready \[passive\] \[backup\]/, T, m.l1);
    await waitForLine(lfds[1]!, /S2 is ready \[passive\] \[backup\]/, T, m.l2);
    await waitForLine(rm, /RM: 3 members: S1, S2, S3$/, T, m.rm);
    await goOn(clients, /^S3$/);
    const statuses = await finish(run, clients);
    expect(statuses.map((s) => s.role)).to.deep.equal(['backup', 'backup', 'primary']);
  });

  it('kill -9 of both backups at once: the primary serves alone (sync waits only for the listed backups), both come back', async () => {
    const run = await startCluster('passive', specs);
    const { rm, lfds, pids } = run;
    const clients = startClients(run);
    for (const c of clients) await receivedAbove(c.role, 4, 0, /^S1$/);
    const m = { rm: rm.mark(), l2: lfds[1]!.mark(), l3: lfds[2]!.mark() };
    const alone = goOn(clients, /^S1$/);
    process.kill(pids[1]!, 'SIGKILL');
    process.kill(pids[2]!, 'SIGKILL');
    await waitForLine(rm, /RM: 1 members: S1$/, T, m.rm);
    await alone;
    await waitForLine(lfds[1]!, /S2 is ready \[passive\] \[backup\]/, T, m.l2);
    await waitForLine(lfds[2]!, /S3 is ready \[passive\] \[backup\]/, T, m.l3);
    await waitForLine(rm, /RM: 3 members: S1, S2, S3$/, T, m.rm);
    await goOn(clients, /^S1$/);
    const statuses = await finish(run, clients);
    expect(statuses.map((s) => s.role)).to.deep.equal(['primary', 'backup', 'backup']);
    expect(rm.lines.slice(m.rm).filter((l) => /RM: primary is/.test(l)), 'no new primary').to.deep.equal([]);
  });

  it('SIGSTOP of the primary for a fifth of the timeout, five times: nothing fails, nobody is relaunched', async () => {
    // A longer timeout than elsewhere, so that a loaded machine cannot turn a short freeze into a failure.
    const run = await startCluster('passive', specs, { heartbeat_timeout: 1.5 });
    const { rm, gfd, lfds, pids } = run;
    const clients = startClients(run);
    for (const c of clients) await receivedAbove(c.role, 4, 0, /^S1$/);
    const m = { rm: rm.mark(), gfd: gfd.mark(), lfds: lfds.map((l) => l.mark()) };
    for (let k = 0; k < 5; k++) {
      // 0.3 s frozen, plus at most 0.2 s since the last answer: well inside heartbeat_timeout (1.5 s).
      process.kill(pids[0]!, 'SIGSTOP');
      await new Promise((r) => setTimeout(r, 300));
      process.kill(pids[0]!, 'SIGCONT');
      await new Promise((r) => setTimeout(r, 400));
    }
    await goOn(clients, /^S1$/);
    const statuses = await finish(run, clients);
    expect(statuses[0]!.pid).to.equal(pids[0]);
    expect(rm.lines.slice(m.rm).filter((l) => /RM: (\d+ members|primary is)/.test(l))).to.deep.equal([]);
    expect(gfd.lines.slice(m.gfd).filter((l) => /GFD: \d+ members/.test(l))).to.deep.equal([]);
    for (const [i, l] of lfds.entries()) {
      expect(l.lines.slice(m.lfds[i]).filter((x) => /failed|delete|launching/.test(x)), `LFD${i + 1}`).to.deep.equal([]);
    }
  });

  it('kill -9 of whichever server is primary, five times in a row, under three clients sending every 20 ms', async () => {
    const fast = { C1: { interval: 0.02, message: 'c1_' }, C2: { interval: 0.02, message: 'c2_' }, C3: { interval: 0.02, message: 'c3_' } };
    const run = await startCluster('passive', fast);
    const { rm, lfds } = run;
    const clients = startClients(run, fast);
    for (const c of clients) await receivedAbove(c.role, 4, 0);
    /** The pid of the newest process LFDi launched. */
    const pidOf = (i: number) => {
      const found = lfds[i]!.lines.map((l) => /launching S\d \(pid (\d+)\)/.exec(l)).filter((x) => x !== null);
      return Number(found.at(-1)![1]);
    };
    let primary = 'S1';
    for (let k = 0; k < 5; k++) {
      const v = Number(primary.slice(1)) - 1;
      const m = { rm: rm.mark(), lfd: lfds[v]!.mark() };
      const overFailover = goOn(clients);
      process.kill(pidOf(v), 'SIGKILL');
      const next = (await waitForLine(rm, /RM: primary is (S\d)$/, T, m.rm)).match[1]!;
      expect(next, `failover ${k + 1}`).to.not.equal(primary);
      await overFailover;
      await launchedPid(lfds[v]!, primary, T, m.lfd);
      await waitForLine(lfds[v]!, new RegExp(`${primary} is ready \\[passive\\] \\[backup\\]`), T, m.lfd);
      await waitForLine(rm, /RM: 3 members: S1, S2, S3$/, T, m.rm);
      await goOn(clients, new RegExp(`^${next}$`));
      primary = next;
    }
    await finish(run, clients);
  });
});
