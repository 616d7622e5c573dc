/**
 * Standby RMs and GFDs through a local etcd (docs/coordination.md): a passive `sync` cluster with
 * RM1, RM2, GFD1 and GFD2 at the default timings, under closed-loop load from library clients; per
 * trial, kill -9 of the leading RM alone, of the leading RM and the primary together, or of the
 * leading GFD and the primary together. Measured from the kill: when the standby says it leads,
 * when a server first takes a `ready` of a new epoch, and the longest time in which no client
 * request completed (the gap the clients see).
 */
import { performance } from 'node:perf_hooks';
import { startLocalEtcd, stopLocalEtcd } from '../src/coordination/local-etcd.js';
import { Load } from '../test/support/durable-cluster.js';
import { primaryNow, startDetectors, startGfd, startRm, writeHaConfig, type HaCluster } from '../test/support/ha-cluster.js';
import { killAll, queryStatus, until, waitForLine, type Role } from '../test/support/processes.js';
import { at, DEFAULT_SETTINGS, stamp, WAIT_MS } from './cluster.js';
import { sleep } from './load.js';

export type TakeoverKind = 'rm' | 'rm+primary' | 'gfd+primary';

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
  /**
   * A server first serving in an epoch above the one before the kill: with the primary killed, the
   * new primary's `is ready` line; otherwise (the primary keeps its role and prints nothing) its
   * status, polled every 10 ms.
   */
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

/**
 * When a server first says it is in an epoch above `epoch` (a server prints `is ready` only when
 * its role changes, so its status is asked, every 10 ms). Each server is asked on its own: one
 * that is starting again can take up to the question's timeout to answer, and must not hold up
 * the answer of one that serves already.
 */
async function firstReadyAbove(cluster: HaCluster, epoch: number): Promise<number> {
  const deadline = performance.now() + WAIT_MS;
  let first: number | null = null;
  await Promise.all(cluster.servers.map(async (s) => {
    while (first === null && performance.now() < deadline) {
      const st = await queryStatus(s.port, s.name, 500).catch(() => null);
      if (st !== null && st.phase === 'ready' && st.epoch > epoch) first ??= performance.now();
      else await sleep(10);
    }
  }));
  if (first === null) throw new Error(`no server ready in an epoch above ${epoch} within ${WAIT_MS} ms`);
  return first;
}

/** A leader and its standby (two RMs, or two GFDs), and how to start one again. */
interface Pair {
  roles: Map<string, Role>;
  leader: string;
  start: (name: string) => Role;
  /**
   * How long one started again takes to be a full standby: a GFD's grace (`heartbeat_timeout`, in
   * which its LFDs come back; elected within it, it tells the RM nothing until it is over).
   */
  settleMs: number;
}

/**
 * When a new primary of an epoch above `epoch` printed that it is ready, in the lines of the LFDs
 * (which carry their servers' lines) from `marks` on. Its line rather than its status: a status
 * carries the whole state, which has grown large by then, and asking for it every 10 ms would
 * slow the servers it measures and answer late.
 */
async function primaryReadyAbove(lfds: Role[], marks: number[], epoch: number): Promise<number> {
  const READY = / is ready \[passive\] \[primary\] \(epoch (\d+)\)/;
  let first: number | null = null;
  await until(() => {
    lfds.forEach((lfd, i) => {
      for (let line = marks[i]!; line < lfd.lines.length; line++) {
        const m = READY.exec(lfd.lines[line]!);
        if (m !== null && Number(m[1]) > epoch) first = Math.min(first ?? Infinity, at(lfd, line));
      }
    });
    return first !== null;
  }, WAIT_MS, () => `no primary ready in an epoch above ${epoch}`);
  return first!;
}

/** Kills the pair's leader (and the primary, for `…+primary`); the killed one comes back as the standby. */
async function trial(cluster: HaCluster, lfds: Role[], pair: Pair, load: Load, kind: TakeoverKind, n: number): Promise<TakeoverTrial> {
  const before = load.answered();
  await until(() => load.answered() >= before + 20, WAIT_MS, () => 'no load before the kill');
  const primary = await primaryNow(cluster);
  if (primary === null) throw new Error('no primary before the kill');
  const status = await queryStatus(cluster.server(primary).port, primary);
  const { roles, leader } = pair;
  const standby = [...roles.keys()].find((name) => name !== leader)!;
  const next = roles.get(standby)!;
  const mark = next.mark();
  const lfdMarks = lfds.map((lfd) => lfd.mark());
  const killedAt = performance.now();
  process.kill(roles.get(leader)!.pid, 'SIGKILL');
  if (kind !== 'rm') process.kill(status.pid, 'SIGKILL');
  const led = await waitForLine(next, new RegExp(`${standby}: leading`), WAIT_MS, mark);
  const ready = kind === 'rm' ? await firstReadyAbove(cluster, status.epoch) : await primaryReadyAbove(lfds, lfdMarks, status.epoch);
  await sleep(2000);
  const gapMs = longestGap(completions(load), killedAt - 1000, ready + 2000);
  await roles.get(leader)!.closed;
  roles.set(leader, stamp(pair.start(leader)));
  await waitForLine(roles.get(leader)!, new RegExp(`${leader}: standby, leader is ${standby}`), WAIT_MS);
  await sleep(pair.settleMs);
  pair.leader = standby;
  return { kind, trial: n, leadsMs: at(next, led.index) - killedAt, firstReadyMs: ready - killedAt, gapMs };
}

export async function runTakeover(opts: TakeoverOptions): Promise<TakeoverResult> {
  const settings = { ...DEFAULT_SETTINGS, ...SETTINGS, lease_ttl: LEASE_TTL_S };
  const out: TakeoverResult = { settings, trials: [], errors: [] };
  const etcd = await startLocalEtcd(1);
  let load: Load | null = null;
  try {
    const cluster = await writeHaConfig(etcd, { gfds: 2, cluster: { ...DEFAULT_SETTINGS, ...SETTINGS }, leaseTtlS: LEASE_TTL_S });
    const rms = new Map<string, Role>([['RM1', stamp(startRm(cluster, 'RM1'))]]);
    await waitForLine(rms.get('RM1')!, /RM1: leading/, WAIT_MS);
    rms.set('RM2', stamp(startRm(cluster, 'RM2')));
    await waitForLine(rms.get('RM2')!, /RM2: standby, leader is RM1/, WAIT_MS);
    const detectors = startDetectors(cluster);
    const gfds = new Map([...detectors.gfds].map(([name, role]) => [name, stamp(role)]));
    const lfds = detectors.lfds.map(stamp);
    const gfdLeader = await Promise.race([...gfds].map(([name, role]) => waitForLine(role, new RegExp(`${name}: leading`), WAIT_MS).then(() => name)));
    await until(async () => (await primaryNow(cluster)) !== null, WAIT_MS, () => 'no primary');
    load = new Load(cluster, opts.loadClients, { prefix: 'B' });
    const pairs: Record<'rm' | 'gfd', Pair> = {
      rm: { roles: rms, leader: 'RM1', start: (name) => startRm(cluster, name), settleMs: 0 },
      gfd: { roles: gfds, leader: gfdLeader, start: (name) => startGfd(cluster, name), settleMs: DEFAULT_SETTINGS.heartbeat_timeout * 1000 },
    };
    for (const kind of ['rm', 'rm+primary', 'gfd+primary'] as const) {
      for (let n = 1; n <= opts.trials; n++) {
        const t = await trial(cluster, lfds, pairs[kind === 'gfd+primary' ? 'gfd' : 'rm'], load, kind, n);
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
