/**
 * A cluster of real processes with data folders (docs/durability.md), for the durability e2e
 * tests: start it, kill -9 all of it, load it with library clients that record their history, and
 * read the servers' logs once they agree.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect, type Client } from '../../src/client/index.js';
import type { Operation } from '../../src/check/history.js';
import { isGone, logEntries, queryStatus, startRole, until, type Role, type TestCluster } from './processes.js';

const T = 20_000;

/** The cluster's roles as started: RM, GFD, LFD1–3 (each launches its server). */
export interface Running {
  rm: Role;
  gfd: Role;
  lfds: Role[];
}

export function start(cluster: TestCluster): Running {
  const run = (args: string[]) => startRole([...args, '--config', cluster.file], { cwd: cluster.dir });
  return { rm: run(['rm']), gfd: run(['gfd']), lfds: [1, 2, 3].map((i) => run(['lfd', '--name', `LFD${i}`])) };
}

/**
 * The pid of each server's latest process, from its LFD's lines: one it launched, or one it found
 * running (an LFD killed a moment after its server may have launched it again).
 */
export function serverPids(r: Running): number[] {
  return r.lfds.flatMap((lfd) => {
    const launches = lfd.lines.map((l) => /(?:launching|attached to) S\d \(pid (\d+)\)/.exec(l)).filter((m) => m !== null);
    return launches.length > 0 ? [Number(launches.at(-1)![1])] : [];
  });
}

/**
 * kill -9 of the servers, the RM and the GFD in one instant; the LFDs once they have reaped their
 * servers (killed first, an LFD's children would stay zombies that nobody reaps here). An LFD may
 * launch its server again in that moment: that one is killed too, an orphan (its zombie is gone
 * enough).
 */
export async function killEverything(r: Running): Promise<void> {
  const servers = serverPids(r);
  const marks = r.lfds.map((lfd) => lfd.mark());
  for (const pid of [...servers, r.rm.pid, r.gfd.pid]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (err) {
      throw new Error(`pid ${pid}: ${String(err)}\n${r.lfds.map((l) => l.tail(15)).join('\n')}`);
    }
  }
  await until(() => servers.every(isGone), 5000, () => `servers ${servers} not reaped`);
  for (const lfd of r.lfds) lfd.child.kill('SIGKILL');
  await Promise.all([r.rm, r.gfd, ...r.lfds].map((role) => role.closed));
  const late = r.lfds.flatMap((lfd, i) => lfd.lines.slice(marks[i]).flatMap((l) => /launching S\d \(pid (\d+)\)/.exec(l)?.[1] ?? []).map(Number));
  for (const pid of late) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  await until(() => late.every(isGone), 5000, () => `late launches ${late} still run`);
}

/** Clients that each send one request after another and record every operation's span and reply. */
export class Load {
  readonly ops: Operation[] = [];
  private running = true;
  private readonly loops: Promise<void>[];
  private readonly clients: Client[] = [];
  private readonly size: number;

  /**
   * `count` clients named `${prefix}1`…; `size`: each request's length, padded with `x` (requests
   * stay unique by their start, as long as each load has a prefix of its own).
   */
  constructor(cluster: TestCluster, count: number, opts: { prefix?: string; size?: number } = {}) {
    this.size = opts.size ?? 0;
    this.loops = Array.from({ length: count }, (_, i) => this.loop(cluster, `${opts.prefix ?? 'W'}${i + 1}`));
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
      const value = `${name}-${i}-`.padEnd(this.size, 'x');
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

/** The log of the servers (default: all), once each of them is ready with the same log. */
export async function agreedLogs(cluster: TestCluster, names = cluster.servers.map((s) => s.name)): Promise<string[]> {
  let logs: string[][] = [];
  await until(async () => {
    const statuses = await Promise.all(names.map((name) => queryStatus(cluster.server(name).port, name).catch(() => null)));
    logs = statuses.map((st) => (st?.phase === 'ready' ? logEntries(st.state) : []));
    return statuses.every((st) => st?.phase === 'ready') && logs.every((l) => JSON.stringify(l) === JSON.stringify(logs[0]));
  }, T, () => `the replicas do not agree: ${logs.map((l) => l.length).join(', ')} entries`);
  return logs[0]!;
}


/** A server's log files in its data folder, oldest first. */
export function logFiles(cluster: TestCluster, server: string): string[] {
  const dir = path.join(cluster.dir, 'data', server);
  return readdirSync(dir).filter((n) => n.startsWith('log.')).sort().map((n) => path.join(dir, n));
}
