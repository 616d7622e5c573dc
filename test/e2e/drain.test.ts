/**
 * A planned hand-over end to end (issue 21, docs/operations.md): `steadfast drain` of the passive
 * primary (`app = log`, `durability = sync`) under eight clients of the client library. No request
 * fails, the three logs agree, every answer is at the position its client was told, each client's
 * requests are there once each and in order, the drained server stops and comes back as a backup.
 * The longest silence any client saw is printed (docs/operations.md compares it with a kill -9).
 */
import { expect } from 'chai';
import { connect, type Client } from '../../src/client/index.js';
import { agreedLog, answeredMore, checkAnswers, load, longestSilence } from '../support/load.js';
import { killAllAndCheck, queryStatus, startRole, until, waitForLine, writeConfig } from '../support/processes.js';

const T = 15_000;
const CLIENTS = 8;
/** The silences compared: from the drain (or the kill), this long. */
const WINDOW_MS = 3000;

describe('e2e: drain (a planned hand-over)', function () {
  this.timeout(90_000);
  const clients: Client[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await killAllAndCheck();
  });

  it('passive primary under 8 clients: no error, nothing lost or applied twice, the drained one back as a backup', async () => {
    const cluster = await writeConfig({ cluster: { mode: 'passive', app: 'log', durability: 'sync', heartbeat_freq: 0.2, heartbeat_timeout: 1 } });
    const cfg = ['--config', cluster.file];
    const rm = startRole(['rm', ...cfg]);
    startRole(['gfd', ...cfg]);
    const lfds = [1, 2, 3].map((i) => startRole(['lfd', '--name', `LFD${i}`, ...cfg]));
    await waitForLine(rm, /RM: 3 members: S1, S2, S3$/, T);
    // Whichever server joined first (the three start at once).
    const first = (await waitForLine(rm, /RM: primary is (S\d)$/, T)).match[1]!;
    for (let i = 0; i < CLIENTS; i++) clients.push(await connect({ config: cluster.file, name: `L${i + 1}` }));
    const running = load(clients);
    await until(async () => running.answers.every((a) => a.length >= 20), T, () => 'every client answered 20 times');

    /** Waits until `ms` after `from`, and until every client was answered 10 more times. */
    const goOn = async (from: number, ms: number) => {
      await answeredMore(running, 10);
      await until(async () => performance.now() >= from + ms, T, () => `${ms} ms after it`);
    };

    const drainAt = performance.now();
    const drain = startRole(['drain', first, ...cfg]);
    const done = await waitForLine(drain, new RegExp(`^${first} drained: its process \\(pid \\d+\\) stopped; passive primary (S\\d), epoch \\d+$`), T);
    expect((await drain.closed).code, drain.tail()).to.equal(0);
    expect(done.match[1]).to.not.equal(first);
    await waitForLine(lfds[Number(first.slice(1)) - 1]!, new RegExp(`${first} is ready \\[passive\\] \\[backup\\]`), T);
    await goOn(drainAt, WINDOW_MS);

    // The same load across a kill -9 of the new primary: the baseline of this run.
    const primary = cluster.servers.find((x) => x.name === done.match[1])!;
    const killAt = performance.now();
    process.kill((await queryStatus(primary.port, primary.name)).pid, 'SIGKILL');
    await goOn(killAt, WINDOW_MS);
    await running.stop();

    checkAnswers(await agreedLog(cluster.servers), running, clients);
    const silence = (from: number) => longestSilence(running, from, from + WINDOW_MS).toFixed(1);
    console.log(`      longest client silence within ${WINDOW_MS} ms: ${silence(drainAt)} ms from the drain, ${silence(killAt)} ms from a kill -9 of the primary`);
  });
});
