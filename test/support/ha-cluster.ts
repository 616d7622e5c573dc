/**
 * A cluster of real processes with standby RMs (and GFDs) through a real etcd (`coordinator = etcd`,
 * docs/coordination.md), for the e2e tests of leadership: the ini, and which RM leads or is
 * primary as their own lines and status answers say.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { checkLog, logOperations } from '../../src/check/linearizability.js';
import { freePorts } from '../../src/transport/query.js';
import type { EtcdCluster } from './etcd.js';
import { agreedLogs, type Load } from './durable-cluster.js';
import { queryStatus, startRole, until, writeConfig, type ClusterOptions, type Role, type TestCluster } from './processes.js';

export interface HaCluster extends TestCluster {
  /** The RMs RM1…RMn and their ports. */
  rms: { name: string; port: number }[];
  /** The GFDs: `GFD` alone (one `[gfd]`), or GFD1…GFDn. */
  gfds: { name: string; port: number }[];
  leaseTtlS: number;
}

/**
 * `writeConfig`'s cluster with `rms` named RMs (default 2) instead of one, and `gfds` named GFDs
 * when more than one (default: the one `[gfd]`), coordinated by `etcd`.
 */
export async function writeHaConfig(etcd: EtcdCluster, opts: ClusterOptions & { rms?: number; gfds?: number; leaseTtlS?: number } = {}): Promise<HaCluster> {
  const cluster = await writeConfig(opts);
  const [rmCount, gfdCount] = [opts.rms ?? 2, opts.gfds ?? 1];
  const taken = new Set([cluster.rmPort, cluster.gfdPort, ...cluster.servers.flatMap((s) => [s.port, s.peerPort])]);
  const more = (await freePorts(2 * (rmCount + gfdCount))).filter((p) => !taken.has(p));
  const rms = Array.from({ length: rmCount }, (_, i) => ({ name: `RM${i + 1}`, port: i === 0 ? cluster.rmPort : more.pop()! }));
  const gfds = gfdCount === 1
    ? [{ name: 'GFD', port: cluster.gfdPort }]
    : Array.from({ length: gfdCount }, (_, i) => ({ name: `GFD${i + 1}`, port: i === 0 ? cluster.gfdPort : more.pop()! }));
  const leaseTtlS = opts.leaseTtlS ?? 2;
  let text = readFileSync(cluster.file, 'utf8');
  for (const [kind, named] of [['rm', rms], ['gfd', gfdCount === 1 ? null : gfds]] as const) {
    if (named === null) continue;
    const bare = new RegExp(`\\[${kind}\\]\\nhost = (\\S+)\\nport = \\d+\\n`).exec(text);
    if (bare === null) throw new Error(`writeHaConfig: no [${kind}] section to replace`);
    text = text.replace(bare[0], named.map((r) => `[${kind}.${r.name}]\nhost = ${bare[1]}\nport = ${r.port}\n`).join(''));
  }
  const etcdSection = `[etcd]\nendpoints = ${etcd.endpoints.join(',')}\nprefix = /steadfast-e2e-${cluster.rmPort}/\nlease_ttl = ${leaseTtlS}\n`;
  writeFileSync(cluster.file, text.replace('[cluster]\n', '[cluster]\ncoordinator = etcd\n') + etcdSection);
  return { ...cluster, rms, gfds, leaseTtlS };
}

export function startRm(cluster: HaCluster, name: string): Role {
  return startRole(['rm', '--name', name, '--config', cluster.file], { cwd: cluster.dir });
}

export function startGfd(cluster: HaCluster, name: string): Role {
  return startRole(['gfd', ...(cluster.gfds.length > 1 ? ['--name', name] : []), '--config', cluster.file], { cwd: cluster.dir });
}

/** The GFDs (by name) and LFD1…n (each launches its server). */
export function startDetectors(cluster: HaCluster): { gfds: Map<string, Role>; lfds: Role[] } {
  const gfds = new Map(cluster.gfds.map((g) => [g.name, startGfd(cluster, g.name)]));
  const lfds = cluster.servers.map((_, i) => startRole(['lfd', '--name', `LFD${i + 1}`, '--config', cluster.file], { cwd: cluster.dir }));
  return { gfds, lfds };
}

/** The server that says it is the primary (passive), or null when none does. */
export async function primaryNow(cluster: HaCluster): Promise<string | null> {
  const statuses = await Promise.all(cluster.servers.map((s) => queryStatus(s.port, s.name, 1000).catch(() => null)));
  return statuses.find((st) => st?.role === 'primary' && st.phase === 'ready')?.server ?? null;
}

/** Five more answers come, within 20 s. */
export async function progress(load: Load, what: string): Promise<void> {
  const before = load.answered();
  await until(() => load.answered() >= before + 5, 20_000, () => `${what}: no answers (${load.answered()})`);
}

/** The load stopped: every answered request once in the agreed log, where it was told; the history linearizable. */
export async function expectNothingLost(cluster: TestCluster, load: Load): Promise<void> {
  await load.stop();
  const final = await agreedLogs(cluster);
  const answered = load.ops.filter((o) => o.reply !== null);
  expect(final.filter((v, i) => final.indexOf(v) !== i), 'applied twice').to.deep.equal([]);
  const lost = answered.filter((o) => final[Number(o.reply) - 1] !== o.value).map((o) => `${o.value} told ${o.reply}`);
  expect(lost, 'answered but not at the position told').to.deep.equal([]);
  const verdict = checkLog(logOperations(load.ops), { final });
  expect(verdict.ok, JSON.stringify(verdict)).to.equal(true);
}
