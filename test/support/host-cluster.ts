/**
 * A cluster on test hosts (`src/hosts/network.ts`) for the partition tests: the RM, the GFD and
 * each replica with its LFD on a host of its own, and `steadfast client` processes with histories
 * on the hosts a test names (`null`: the test process's own namespace, which reaches every host
 * whatever is cut: a client on both sides). Every client's answers come with their arrival times,
 * so a test can tell when a replica answered last.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkHistory } from '../../src/check/apps.js';
import { operationsOf, parseHistory } from '../../src/check/history.js';
import { clusterIni } from '../../src/sim/cluster.js';
import { HOST_PORTS as PORTS, type TestHost, type TestNetwork } from '../../src/hosts/network.js';
import type { Delay } from '../../src/hosts/delay-relay.js';
import { logEntries, queryStatus, startRole, tempDir, until, waitForLine, FAST, type Role, type ServerStatus } from './processes.js';

const SERVERS = ['S1', 'S2', 'S3'] as const;

export interface HostCluster {
  network: TestNetwork;
  file: string;
  rmHost: TestHost;
  gfdHost: TestHost;
  /** Each server's host (its LFD's too). */
  hostOf: Record<string, TestHost>;
  rm: Role;
  gfd: Role;
  clients: Map<string, Role>;
  historyFile(client: string): string;
}

/**
 * Five hosts: the RM on the first, the GFD on the second, S1–S3 with LFD1–LFD3 on the others;
 * `clients` maps each client name to the host it runs on. Resolves once every replica serves and
 * every client has been answered.
 */
export async function startHostCluster(
  network: TestNetwork,
  opts: { cluster?: Record<string, string | number>; clients: Record<string, TestHost | null>; delay?: Delay },
): Promise<HostCluster> {
  const [rmHost, gfdHost, ...replicaHosts] = network.hosts as [TestHost, TestHost, ...TestHost[]];
  const hostOf = Object.fromEntries(SERVERS.map((s, i) => [s, replicaHosts[i]!]));
  const dir = tempDir();
  const file = path.join(dir, 'cluster.ini');
  const clientKeys = Object.fromEntries(Object.keys(opts.clients).map((c) => [c, { message: `${c.toLowerCase()}_`, interval: 0.05 }]));
  writeFileSync(file, clusterIni({
    cluster: { ...FAST, app: 'log', ...opts.cluster },
    rm: { host: rmHost.address, port: PORTS.rm },
    gfd: { host: gfdHost.address, port: PORTS.gfd },
    servers: SERVERS.map((name) => ({ name, host: hostOf[name]!.address, port: PORTS.client, peerPort: PORTS.peer })),
    clients: clientKeys,
  }));
  // Every link delayed from the start: connections open before would stay direct.
  if (opts.delay) await network.delay(opts.delay, Object.values(PORTS));
  const on = (host: TestHost | null, args: string[]): Role =>
    startRole([...args, '--config', file], { cwd: dir, ...(host === null ? {} : { netns: host.ns }) });
  const rm = on(rmHost, ['rm']);
  const gfd = on(gfdHost, ['gfd']);
  SERVERS.forEach((s, i) => on(hostOf[s]!, ['lfd', '--name', `LFD${i + 1}`]));
  await waitForLine(rm, /RM: 3 members: S1, S2, S3/, 30_000);
  const historyFile = (client: string) => path.join(dir, `${client}.history`);
  const clients = new Map(Object.entries(opts.clients).map(([name, host]) => [name, on(host, ['client', '--name', name, '--history', historyFile(name)])]));
  for (const [name, role] of clients) await waitForLine(role, new RegExp(`Received <${name}, S\\d, \\d+, reply>`), 30_000);
  const cluster: HostCluster = { network, file, rmHost, gfdHost, hostOf, rm, gfd, clients, historyFile };
  await allServing(cluster);
  return cluster;
}

export async function statusOf(cluster: HostCluster, server: string, timeoutMs = 1000): Promise<ServerStatus | null> {
  return queryStatus(PORTS.client, server, timeoutMs, cluster.hostOf[server]!.address).catch(() => null);
}

/** Once every replica serves with one log: that log's state (as a status shows it). */
export async function allServing(cluster: HostCluster, timeoutMs = 30_000): Promise<string> {
  let states: string[] = [];
  let logs: string[][] = [];
  let phases: string[] = [];
  await until(async () => {
    const statuses = await Promise.all(SERVERS.map((s) => statusOf(cluster, s)));
    phases = statuses.map((st, i) => `${SERVERS[i]} ${st?.phase ?? 'down'}`);
    states = statuses.map((st) => st?.state ?? '');
    logs = states.map(logEntries);
    return statuses.every((st) => st?.phase === 'ready') && states.every((st) => st === states[0]);
  }, timeoutMs, () => `the replicas do not all serve one log: ${phases.join(', ')}; ${logs.map((l) => l.length).join(', ')} entries`);
  return states[0]!;
}

/** When each client's answers from `server` arrived (`performance.now()`), from `since` on. */
export function answersFrom(cluster: HostCluster, server: string, since = 0): number[] {
  const re = new RegExp(`Received <C\\d+, ${server}, \\d+, reply>`);
  return [...cluster.clients.values()].flatMap((role) => role.lines.flatMap((line, i) => (re.test(line) && role.times[i]! >= since ? [role.times[i]!] : [])));
}

/**
 * Stops the clients, then checks their histories against the log every replica serves:
 * linearizable (nothing answered lost or applied twice: every entry is unique, and each answer
 * names its position).
 */
export async function checkHistories(cluster: HostCluster): Promise<{ operations: number; answered: number }> {
  for (const role of cluster.clients.values()) role.child.kill('SIGKILL');
  await Promise.all([...cluster.clients.values()].map((r) => r.closed));
  const state = await allServing(cluster);
  const histories = [...cluster.clients.keys()].map((c) => parseHistory(readFileSync(cluster.historyFile(c), 'utf8'), c));
  const operations = operationsOf(...histories);
  const final = logEntries(state);
  const twice = final.filter((v, i) => final.indexOf(v) !== i);
  if (twice.length > 0) throw new Error(`applied twice: ${twice.slice(0, 5).join(', ')}`);
  const verdict = checkHistory('log', operations, { finalSnapshot: state });
  if (verdict.ok !== true) throw new Error(`the clients' history is not linearizable: ${verdict.reason}`);
  return { operations: operations.length, answered: operations.filter((o) => o.complete !== null).length };
}
