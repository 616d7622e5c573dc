/**
 * Standby RMs through a local etcd (docs/coordination.md): a passive `sync` cluster with RM1 and
 * RM2 at the default timings, under closed-loop load from library clients; per trial, kill -9 of
 * the leading RM alone, or of the leading RM and the primary together. Measured from the kill:
 * when the standby says it leads, when a server first takes a `ready` of the new leader's epoch,
 * and the longest time in which no client request completed (the gap the clients see).
 */
import { performance } from 'node:perf_hooks';
import { startLocalEtcd, stopLocalEtcd } from '../src/coordination/local-etcd.js';
import { Load } from '../test/support/durable-cluster.js';
import { primaryNow, startDetectors, startRm, writeHaConfig, type HaCluster } from '../test/support/ha-cluster.js';
import { killAll, queryStatus, until, waitForLine, type Role } from '../test/support/processes.js';
import { at, DEFAULT_SETTINGS, stamp, untilTrue, WAIT_MS } from './cluster.js';
import { sleep } from './load.js';

export type TakeoverKind = 'rm' | 'rm+primary';

export interface TakeoverOptions {
  trials: number;
  loadClients: number;
  log: (line: string) => void;
}

export interface TakeoverTrial {
  kind: TakeoverKind;
  trial: number;
  /** The standby's `leading` line. */
  leadsMs: number;
  /** A server first serving in an epoch above the one before the kill (its status, polled every 10 ms). */
  firstReadyMs: number;
  /** The longest stretch without a completed request, from a second before the kill to two after the first ready. */
  gapMs: number;
}

export interface TakeoverResult {
  settings: Record<string, string | number>;
  trials: TakeoverTrial[];
  errors: string[];
}

const SETTINGS = { mode: 'passive', durability: 'sync', app: 'log' } as const;
const LEASE_TTL_S = 2;

/** Completion times (ms) of the load's requests, sorted. */
function completions(load: Load): number[] {
  return load.ops.flatMap((o) => (o.complete === null ? [] : [o.complete / 1000])).sort((a, b) => a - b);
}

/** The longest stretch in [from, to] without a completion (its ends count as edges). */
function longestGap(times: number[], from: number, to: number): number {
  const inside = [from, ...times.filter((t) => t > from && t < to), to];
  let gap = 0;
  for (let i = 1; i < inside.length; i++) gap = Math.max(gap, inside[i]! - inside[i - 1]!);
  return gap;
}

/** When a server first says it is in an epoch above `epoch` (a server prints `is ready` only when its role changes, so its status is asked). */
function firstReadyAbove(cluster: HaCluster, epoch: number): Promise<number> {
  return untilTrue(async () => {
    const statuses = await Promise.all(cluster.servers.map((s) => queryStatus(s.port, s.name, 500).catch(() => null)));
    return statuses.some((st) => st !== null && st.phase === 'ready' && st.epoch > epoch);
  }, WAIT_MS, 'a ready in a new epoch', 10);
}

async function trial(cluster: HaCluster, rms: Map<string, Role>, load: Load, kind: TakeoverKind, n: number, leader: string): Promise<TakeoverTrial> {
  const before = load.answered();
  await until(() => load.answered() >= before + 20, WAIT_MS, () => 'no load before the kill');
  const primary = await primaryNow(cluster);
  if (primary === null) throw new Error('no primary before the kill');
  const status = await queryStatus(cluster.server(primary).port, primary);
  const standby = leader === 'RM1' ? 'RM2' : 'RM1';
  const next = rms.get(standby)!;
  const mark = next.mark();
  const killedAt = performance.now();
  process.kill(rms.get(leader)!.pid, 'SIGKILL');
  if (kind === 'rm+primary') process.kill(status.pid, 'SIGKILL');
  const led = await waitForLine(next, new RegExp(`${standby}: leading`), WAIT_MS, mark);
  const ready = await firstReadyAbove(cluster, status.epoch);
  await sleep(2000);
  const gapMs = longestGap(completions(load), killedAt - 1000, ready + 2000);
  await rms.get(leader)!.closed;
  rms.set(leader, stamp(startRm(cluster, leader)));
  await waitForLine(rms.get(leader)!, new RegExp(`${leader}: standby, leader is ${standby}`), WAIT_MS);
  return { kind, trial: n, leadsMs: at(next, led.index) - killedAt, firstReadyMs: ready - killedAt, gapMs };
}

export async function runTakeover(opts: TakeoverOptions): Promise<TakeoverResult> {
  const settings = { ...DEFAULT_SETTINGS, ...SETTINGS, lease_ttl: LEASE_TTL_S };
  const out: TakeoverResult = { settings, trials: [], errors: [] };
  const etcd = await startLocalEtcd(1);
  let load: Load | null = null;
  try {
    const cluster = await writeHaConfig(etcd, { cluster: { ...DEFAULT_SETTINGS, ...SETTINGS }, leaseTtlS: LEASE_TTL_S });
    const rms = new Map<string, Role>([['RM1', stamp(startRm(cluster, 'RM1'))]]);
    await waitForLine(rms.get('RM1')!, /RM1: leading/, WAIT_MS);
    rms.set('RM2', stamp(startRm(cluster, 'RM2')));
    await waitForLine(rms.get('RM2')!, /RM2: standby, leader is RM1/, WAIT_MS);
    startDetectors(cluster);
    await until(async () => (await primaryNow(cluster)) !== null, WAIT_MS, () => 'no primary');
    load = new Load(cluster, opts.loadClients, { prefix: 'B' });
    let leader = 'RM1';
    for (const kind of ['rm', 'rm+primary'] as const) {
      for (let n = 1; n <= opts.trials; n++) {
        const t = await trial(cluster, rms, load, kind, n, leader);
        leader = leader === 'RM1' ? 'RM2' : 'RM1';
        out.trials.push(t);
        opts.log(`  takeover ${kind} ${n}: leads ${t.leadsMs.toFixed(0)} ms, first ready ${t.firstReadyMs.toFixed(0)} ms, client gap ${t.gapMs.toFixed(0)} ms`);
      }
    }
  } catch (err) {
    const first = ((err as Error).stack ?? (err as Error).message).split('\n').slice(0, 8).join('\n');
    out.errors.push(`takeover: ${first}`);
    opts.log(`  takeover broke off: ${first}`);
  } finally {
    await load?.stop().catch(() => undefined);
    await killAll();
    await stopLocalEtcd(etcd);
  }
  return out;
}
