/**
 * A real etcd for the tests (`src/coordination/local-etcd.ts`; `.ci/run` installs Debian's
 * `etcd-server` when missing): one member or three, stopped by `stopEtcd` (call it in `afterEach`).
 */
import { Etcd3 } from 'etcd3';
import { haveEtcd, killEtcdMember, startLocalEtcd, stopLocalEtcd, type EtcdCluster, type EtcdMember } from '../../src/coordination/local-etcd.js';

export type { EtcdCluster, EtcdMember };
export const killMember = killEtcdMember;

const running: EtcdCluster[] = [];

/** In `before`: skips the suite where etcd is missing, except under CI, where that is a failure. */
export function requireEtcd(suite: Mocha.Context): void {
  if (haveEtcd()) return;
  if (process.env.CI) throw new Error('etcd is missing (.ci/run installs Debian\'s etcd-server)');
  console.log('      skipped: etcd is not installed (Debian package etcd-server)');
  suite.skip();
}

/** Starts `size` members and resolves once the cluster answers (within `timeoutMs`). */
export async function startEtcd(size = 1, timeoutMs = 20_000): Promise<EtcdCluster> {
  const cluster = await startLocalEtcd(size, timeoutMs);
  running.push(cluster);
  return cluster;
}

/** The member that is etcd's own (raft) leader now: the one whose id its status names as leader. */
export async function etcdLeader(cluster: EtcdCluster): Promise<EtcdMember> {
  for (const m of cluster.members) {
    const client = new Etcd3({ hosts: m.clientUrl });
    try {
      const status = await client.maintenance.status();
      if (status.leader === status.header.member_id) return m;
    } finally {
      client.close();
    }
  }
  throw new Error('no etcd member says it leads');
}

/** Every etcd member started since the last call: killed, and its folder removed. */
export async function stopEtcd(): Promise<void> {
  for (const cluster of running.splice(0)) await stopLocalEtcd(cluster);
}
