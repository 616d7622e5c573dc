/**
 * A local etcd of one or more members on free loopback ports, each with a temporary data folder:
 * what the tests, `steadfast chaos --coordinator etcd` and the benchmarks start (Debian's
 * `etcd-server` provides the binary). Members are killed by pid; `stopLocalEtcd` removes them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { freePorts } from '../transport/query.js';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  process: ChildProcess;
  dir: string;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Every member's client URL, as `[etcd] endpoints` takes them. */
  endpoints: string[];
}

/** Whether an `etcd` binary runs here. */
export function haveEtcd(): boolean {
  return spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Starts `size` members and resolves once the cluster answers (within `timeoutMs`). */
export async function startLocalEtcd(size = 1, timeoutMs = 20_000): Promise<EtcdCluster> {
  const ports = await freePorts(2 * size);
  const names = Array.from({ length: size }, (_, i) => `etcd${i + 1}`);
  const peerUrl = (i: number) => `http://127.0.0.1:${ports[2 * i + 1]}`;
  const initial = names.map((n, i) => `${n}=${peerUrl(i)}`).join(',');
  const members = names.map((name, i): EtcdMember => {
    const dir = mkdtempSync(join(tmpdir(), `steadfast-${name}-`));
    const clientUrl = `http://127.0.0.1:${ports[2 * i]}`;
    const child = spawn(
      'etcd',
      [
        '--name', name,
        '--data-dir', dir,
        '--listen-client-urls', clientUrl,
        '--advertise-client-urls', clientUrl,
        '--listen-peer-urls', peerUrl(i),
        '--initial-advertise-peer-urls', peerUrl(i),
        '--initial-cluster', initial,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', `steadfast-${process.pid}-${ports[0]}`,
        '--log-level', 'error',
      ],
      { stdio: 'ignore' },
    );
    return { name, clientUrl, process: child, dir };
  });
  const cluster: EtcdCluster = { members, endpoints: members.map((m) => m.clientUrl) };
  await untilServing(cluster, timeoutMs);
  return cluster;
}

async function untilServing(cluster: EtcdCluster, timeoutMs: number): Promise<void> {
  const client = new Etcd3({ hosts: cluster.endpoints });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const exited = cluster.members.find((m) => m.process.exitCode !== null || m.process.signalCode !== null);
      if (exited) throw new Error(`etcd member ${exited.name} exited at start (code ${exited.process.exitCode})`);
      try {
        await client.put('steadfast-probe').value('up');
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`etcd did not answer within ${timeoutMs} ms: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.close();
  }
}

/** Kills one member by pid (kill -9) and waits until it is gone. */
export async function killEtcdMember(m: EtcdMember): Promise<void> {
  if (m.process.exitCode !== null || m.process.signalCode !== null) return;
  const gone = new Promise((r) => m.process.once('exit', r));
  m.process.kill('SIGKILL');
  await gone;
}

/** Every member killed, and its folder removed. */
export async function stopLocalEtcd(cluster: EtcdCluster): Promise<void> {
  for (const m of cluster.members) {
    await killEtcdMember(m);
    rmSync(m.dir, { recursive: true, force: true });
  }
}
