/**
 * A planned hand-over end to end (issue 21, docs/operations.md): `steadfast drain S1` on a passive
 * primary (`app = log`, `durability = sync`) under eight clients of the client library. No request
 * fails, the three logs agree, every answer is at the position its client was told, each client's
 * requests are there once each and in order, S1 stops and comes back as a backup. The longest
 * silence any client saw is printed (docs/operations.md compares it with a kill -9 failover).
 */
import { expect } from 'chai';
import { connect, type Client } from '../../src/client/index.js';
import { killAllAndCheck, logEntries, queryStatus, startRole, until, waitForLine, writeConfig, type ServerStatus } from '../support/processes.js';

const T = 15_000;
const CLIENTS = 8;
/** The silences compared: from the drain (or the kill), this long. */
const WINDOW_MS = 3000;

interface Load {
  /** Per client: the positions it was told, in order, and when (performance.now()). */
  answers: { body: string; position: number; at: number }[][];
  errors: string[];
  stop(): Promise<void>;
}

/** The longest time any client went without an answer between `from` and `to` (performance.now()). */
function longestSilence(run: Load, from: number, to: number): number {
  let longest = 0;
  for (const answers of run.answers) {
    const times = answers.map((a) => a.at).filter((t) => t >= from && t <= to);
    for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i]! - times[i - 1]!);
  }
  return longest;
}

/** Every client sends one request after another until stopped, timing the gaps between answers. */
function load(clients: Client[]): Load {
  let running = true;
  const out: Load = { answers: clients.map(() => []), errors: [], stop: async () => {} };
  const loops = clients.map(async (c, i) => {
    for (let n = 1; running; n++) {
      const body = `${c.name}_${n}`;
      try {
        const reply = await c.request(body, { timeoutMs: T });
        out.answers[i]!.push({ body, position: Number(reply), at: performance.now() });
      } catch (err) {
        out.errors.push(`${c.name} ${body}: ${(err as Error).message}`);
        return;
      }
    }
  });
  out.stop = async () => {
    running = false;
    await Promise.all(loops);
  };
  return out;
}

describe('e2e: drain (a planned hand-over)', function () {
  this.timeout(90_000);
  const clients: Client[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await killAllAndCheck();
  });

  it('passive primary under 8 clients: no error, nothing lost or applied twice, S1 back as a backup', async () => {
    const cluster = await writeConfig({ cluster: { mode: 'passive', app: 'log', durability: 'sync', heartbeat_freq: 0.2, heartbeat_timeout: 1 } });
    const cfg = ['--config', cluster.file];
    const rm = startRole(['rm', ...cfg]);
    startRole(['gfd', ...cfg]);
    const lfds = [1, 2, 3].map((i) => startRole(['lfd', '--name', `LFD${i}`, ...cfg]));
    await waitForLine(rm, /RM: 3 members: S1, S2, S3$/, T);
    await waitForLine(rm, /RM: primary is S1$/, T);
    for (let i = 0; i < CLIENTS; i++) clients.push(await connect({ config: cluster.file, name: `L${i + 1}` }));
    const running = load(clients);
    await until(async () => running.answers.every((a) => a.length >= 20), T, () => 'every client answered 20 times');

    /** Waits until `ms` after `from`, and until every client was answered 10 more times. */
    const goOn = async (from: number, ms: number) => {
      const counts = running.answers.map((a) => a.length);
      await until(async () => performance.now() >= from + ms && running.answers.every((a, i) => a.length >= counts[i]! + 10), T, () => 'every client answered 10 more times');
    };

    const drainAt = performance.now();
    const drain = startRole(['drain', 'S1', ...cfg]);
    const done = await waitForLine(drain, /^S1 drained: its process \(pid \d+\) stopped; passive primary (S[23]), epoch \d+$/, T);
    expect((await drain.closed).code, drain.tail()).to.equal(0);
    await waitForLine(lfds[0]!, /S1 is ready \[passive\] \[backup\]/, T);
    await goOn(drainAt, WINDOW_MS);

    // The same load across a kill -9 of the new primary: the baseline of this run.
    const primary = cluster.servers.find((x) => x.name === done.match[1])!;
    const killAt = performance.now();
    process.kill((await queryStatus(primary.port, primary.name)).pid, 'SIGKILL');
    await goOn(killAt, WINDOW_MS);
    await running.stop();

    expect(running.errors, 'requests that failed').to.deep.equal([]);
    let statuses: ServerStatus[] = [];
    await until(
      async () => {
        statuses = await Promise.all(cluster.servers.map((s) => queryStatus(s.port, s.name)));
        return statuses.every((s) => s.phase === 'ready' && s.state === statuses[0]!.state);
      },
      T,
      () => `replicas disagree: ${statuses.map((s) => `${s.server} ${s.phase} ${logEntries(s.state).length}`).join(', ')}`,
    );
    const log = logEntries(statuses[0]!.state);
    expect(new Set(log).size, 'no entry twice').to.equal(log.length);
    for (const [i, c] of clients.entries()) {
      for (const a of running.answers[i]!) expect(log[a.position - 1], `${a.body} at the position it was told`).to.equal(a.body);
      const mine = log.filter((e) => e.startsWith(`${c.name}_`));
      expect(mine, `${c.name}'s entries, in order, once each`).to.deep.equal(running.answers[i]!.map((a) => a.body));
    }
    const silence = (from: number) => longestSilence(running, from, from + WINDOW_MS).toFixed(1);
    console.log(`      longest client silence within ${WINDOW_MS} ms: ${silence(drainAt)} ms from the drain, ${silence(killAt)} ms from a kill -9 of the primary`);
  });
});
