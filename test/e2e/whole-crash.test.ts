/**
 * Durable state with real processes (docs/durability.md): a cluster with a data_dir under load from
 * clients of the client library; at a random moment kill -9 every process (servers, RM and GFD at
 * once, the LFDs right after), start the cluster again, and so ten times per mode. Afterwards the
 * replicas agree, every request a client saw answered is in the final log exactly once at the
 * position it was told (`app = log`), and the clients' history across the restarts is linearizable.
 */
import { expect } from 'chai';
import { checkLog, logOperations } from '../../src/check/linearizability.js';
import { mulberry32 } from '../../src/random.js';
import { agreedLogs, killEverything, Load, start } from '../support/durable-cluster.js';
import { killAllAndCheck, until, waitForLine, writeConfig } from '../support/processes.js';

const ROUNDS = 10;
const CLIENTS = 4;
const T = 20_000;

describe('e2e: kill -9 of every process, ten times, with a data_dir', function () {
  this.timeout(240_000);
  afterEach(killAllAndCheck);

  for (const mode of ['passive', 'active'] as const) {
    it(`${mode}: every answered request survives, once, where it was told; the history is linearizable`, async () => {
      const cluster = await writeConfig({ cluster: { mode, app: 'log', durability: 'sync', data_dir: 'data' } });
      const seed = Number(process.env.SEED ?? Date.now() % 100_000);
      const random = mulberry32(seed);
      let running = start(cluster);
      await waitForLine(running.rm, /RM: 3 members: S1, S2, S3/, T);
      const load = new Load(cluster, CLIENTS);
      const restarts: string[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const before = load.answered();
        await until(() => load.answered() >= before + 5, T, () => `round ${round}: no answers (${load.answered()})`);
        // A random moment within the load (SEED=… replays the moments).
        await new Promise((r) => setTimeout(r, Math.floor(random() * 400)));
        await killEverything(running);
        running = start(cluster);
        const chose = await waitForLine(running.rm, /RM: (primary|sequencer) is (S\d)/, T);
        restarts.push(chose.match[2]!);
      }
      const last = load.answered();
      await until(() => load.answered() >= last + 5, T, () => 'no answers after the last restart');
      await load.stop();
      const final = await agreedLogs(cluster);

      const answered = load.ops.filter((o) => o.reply !== null);
      expect(answered.length, 'answered requests').to.be.greaterThan(ROUNDS * 5);
      expect(final.filter((v, i) => final.indexOf(v) !== i), 'applied twice').to.deep.equal([]);
      const lost = answered.filter((o) => final[Number(o.reply) - 1] !== o.value).map((o) => `${o.value} told ${o.reply}`);
      expect(lost, 'answered but not at the position told').to.deep.equal([]);
      const verdict = checkLog(logOperations(load.ops), { final });
      expect(verdict.ok, `seed ${seed}: ${JSON.stringify(verdict)}`).to.equal(true);
      expect(restarts).to.have.length(ROUNDS);
    });
  }
});
