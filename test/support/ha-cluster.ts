/**
 * A cluster of real processes with standby RMs through a real etcd (`coordinator = etcd`,
 * docs/coordination.md), for the e2e tests of leadership: the ini, and which RM leads or is
 * primary as their own lines and status answers say.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { freePorts } from '../../src/transport/query.js';
import type { EtcdCluster } from './etcd.js';
import { queryStatus, startRole, writeConfig, type ClusterOptions, type Role, type TestCluster } from './processes.js';

export interface HaCluster extends TestCluster {
  /** The RMs RM1…RMn and their ports. */
  rms: { name: string; port: number }[];
  leaseTtlS: number;
}

/** `writeConfig`'s cluster with `rms` named RMs (default 2) instead of one, coordinated by `etcd`. */
export async function writeHaConfig(etcd: EtcdCluster, opts: ClusterOptions & { rms?: number; leaseTtlS?: number } = {}): Promise<HaCluster> {
  const cluster = await writeConfig(opts);
  const taken = new Set([cluster.rmPort, cluster.gfdPort, ...cluster.servers.flatMap((s) => [s.port, s.peerPort])]);
  const more = (await freePorts(2 * (opts.rms ?? 2))).filter((p) => !taken.has(p));
  const rms = Array.from({ length: opts.rms ?? 2 }, (_, i) => ({ name: `RM${i + 1}`, port: i === 0 ? cluster.rmPort : more[i]! }));
  const leaseTtlS = opts.leaseTtlS ?? 2;
  const text = readFileSync(cluster.file, 'utf8');
  const bare = /\[rm\]\nhost = (\S+)\nport = \d+\n/.exec(text);
  if (bare === null) throw new Error('writeHaConfig: no [rm] section to replace');
  const named = rms.map((r) => `[rm.${r.name}]\nhost = ${bare[1]}\nport = ${r.port}\n`).join('');
  const etcdSection = `[etcd]\nendpoints = ${etcd.endpoints.join(',')}\nprefix = /steadfast-e2e-${cluster.rmPort}/\nlease_ttl = ${leaseTtlS}\n`;
  writeFileSync(cluster.file, text.replace('[cluster]\n', '[cluster]\ncoordinator = etcd\n').replace(bare[0], named) + etcdSection);
  return { ...cluster, rms, leaseTtlS };
}

export function startRm(cluster: HaCluster, name: string): Role {
  return startRole(['rm', '--name', name, '--config', cluster.file], { cwd: cluster.dir });
}

/** The GFD and LFD1…n (each launches its server). */
export function startDetectors(cluster: HaCluster): { gfd: Role; lfds: Role[] } {
  const run = (args: string[]) => startRole([...args, '--config', cluster.file], { cwd: cluster.dir });
  return { gfd: run(['gfd']), lfds: cluster.servers.map((_, i) => run(['lfd', '--name', `LFD${i + 1}`])) };
}

/** The server that says it is the primary (passive), or null when none does. */
export async function primaryNow(cluster: HaCluster): Promise<string | null> {
  const statuses = await Promise.all(cluster.servers.map((s) => queryStatus(s.port, s.name, 1000).catch(() => null)));
  return statuses.find((st) => st?.role === 'primary' && st.phase === 'ready')?.server ?? null;
}
