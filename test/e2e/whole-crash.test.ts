/**
 * Durable state with real processes (docs/durability.md): a cluster with a data_dir under load from
 * clients of the client library; at a random moment kill -9 every process (servers, RM and GFD at
 * once, the LFDs right after), start the cluster again, and so ten times per mode. Afterwards the
 * replicas agree, every request a client saw answered is in the final log exactly once at the
 * position it was told (`app = log`), and the clients' history across the restarts is linearizable.
 */
import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import { connect, type Client } from '../../src/client/index.js';
import type { Operation } from '../../src/check/history.js';
import { checkLog, logOperations } from '../../src/check/linearizability.js';
import { mulberry32 } from '../../src/random.js';
import {
  isAlive, killAllAndCheck, logEntries, queryStatus, startRole, until, waitForLine, writeConfig, type Role, type TestCluster,
} from '../support/processes.js';

const ROUNDS = 10;
const CLIENTS = 4;
const T = 20_000;

/** The cluster's roles as started: RM, GFD, LFD1–3 (each launches its server). */
interface Running {
  rm: Role;
  gfd: Role;
  lfds: Role[];
}

function start(cluster: TestCluster): Running {
  const run = (args: string[]) => startRole([...args, '--config', cluster.file], { cwd: cluster.dir });
  return { rm: run(['rm']), gfd: run(['gfd']), lfds: [1, 2, 3].map((i) => run(['lfd', '--name', `LFD${i}`])) };
}

/** The pid of each server's latest launch, from its LFD's lines. */
function serverPids(r: Running): number[] {
  return r.lfds.flatMap((lfd) => {
    const launches = lfd.lines.map((l) => /launching S\d \(pid (\d+)\)/.exec(l)).filter((m) => m !== null);
    return launches.length > 0 ? [Number(launches.at(-1)![1])] : [];
  });
}

/**
 * kill -9 of the servers, the RM and the GFD in one instant; the LFDs once they have reaped their
 * servers (killed first, an LFD's children would stay zombies that nobody reaps here).
 */
async function killEverything(r: Running): Promise<void> {
  const servers = serverPids(r);
  for (const pid of [...servers, r.rm.pid, r.gfd.pid]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (err) {
      throw new Error(`pid ${pid}: ${String(err)}\n${r.lfds.map((l) => l.tail(15)).join('\n')}`);
    }
  }
  await until(() => servers.every((pid) => !isAlive(pid)), 5000, () => `servers ${servers} not reaped`);
  for (const lfd of r.lfds) lfd.child.kill('SIGKILL');
  await Promise.all([r.rm, r.gfd, ...r.lfds].map((role) => role.closed));
}

/** Clients that each send one request after another and record every operation's span and reply. */
class Load {
  readonly ops: Operation[] = [];
  private running = true;
  private readonly loops: Promise<void>[];
  private readonly clients: Client[] = [];

  constructor(cluster: TestCluster, count: number) {
    this.loops = Array.from({ length: count }, (_, i) => this.loop(cluster, `W${i + 1}`));
  }

  answered(): number {
    return this.ops.filter((o) => o.complete !== null).length;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    await Promise.all(this.clients.map((c) => c.close()));
  }

  private async loop(cluster: TestCluster, name: string): Promise<void> {
    const client = await connect({ config: cluster.file, name });
    this.clients.push(client);
    const now = () => Math.round(performance.now() * 1000);
    for (let i = 1; this.running; i++) {
      const value = `${name}-${i}`;
      const op: Operation = { client: name, num: i, value, invoke: now(), complete: null, reply: null };
      this.ops.push(op);
      try {
        const answer = await client.submit(value, { timeoutMs: T });
        op.num = answer.num;
        op.reply = answer.reply;
        op.complete = now();
      } catch {
        // Timed out: its outcome is unknown (it may be in the log or not), which the checker allows.
      }
    }
  }
}

/** Every server's status once all three are ready with the same log. */
async function agreedLogs(cluster: TestCluster): Promise<string[]> {
  let logs: string[][] = [];
  await until(async () => {
    const statuses = await Promise.all(cluster.servers.map((s) => queryStatus(s.port, s.name).catch(() => null)));
    logs = statuses.map((st) => (st?.phase === 'ready' ? logEntries(st.state) : []));
    return statuses.every((st) => st?.phase === 'ready') && logs.every((l) => JSON.stringify(l) === JSON.stringify(logs[0]));
  }, T, () => `the replicas do not agree: ${logs.map((l) => l.length).join(', ')} entries`);
  return logs[0]!;
}

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
