/**
 * A whole steadfast cluster of real processes for the bench: RM, GFD, LFD1–LFD3 (each launching its
 * server), on free loopback ports from a generated ini file (test/support/processes.ts, shared with the e2e tests), every role
 * at `--log-level warn` so that per-request lines cost nothing. Every line a role prints is stamped
 * with its arrival time here (`performance.now()`), finer than the roles' one-second `[HH:MM:SS]`.
 */
import { performance } from 'node:perf_hooks';
import { queryRm } from '../src/transport/query.js';
import type { TlsOptions } from '../src/transport/tcp.js';
import {
  launchedPid,
  startRole,
  waitForLine,
  writeConfig,
  type Role,
  type TestCluster,
} from '../test/support/processes.js';
import { sleep } from './load.js';

/** Bound on one awaited line or condition. */
export const WAIT_MS = 30_000;

/** SPEC §2 defaults; the bench states them beside every figure. */
export const DEFAULT_SETTINGS = { heartbeat_freq: 1, heartbeat_timeout: 3, checkpoint_freq: 5 } as const;

export interface RmStatus {
  mode: string;
  primary: string;
  epoch: number;
  phases: Map<string, string>;
}

const stamps = new Map<Role, number[]>();

/** Stamps each line of `role` as it arrives. */
export function stamp(role: Role): Role {
  const times: number[] = [];
  stamps.set(role, times);
  role.watch(() => {
    const now = performance.now();
    while (times.length < role.lines.length) times.push(now);
  });
  return role;
}

/** Arrival time of line `index` of `role`. */
export function at(role: Role, index: number): number {
  const t = stamps.get(role)?.[index];
  if (t === undefined) throw new Error(`no stamp for line ${index} of ${role.label}`);
  return t;
}

export async function rmStatus(port: number, tls: TlsOptions | null = null): Promise<RmStatus> {
  const f = await queryRm('127.0.0.1', port, 2000, tls);
  return { mode: f.mode, primary: f.primary ?? '-', epoch: f.epoch, phases: new Map(f.members.map((m) => [m.server, m.phase])) };
}

/** Polls `cond` every `everyMs` until it holds; returns the time it first held. */
export async function untilTrue(cond: () => Promise<boolean>, timeoutMs: number, what: string, everyMs = 20): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await cond().catch(() => false)) return performance.now();
    if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(everyMs);
  }
}

export interface BenchCluster {
  config: TestCluster;
  settings: Record<string, string | number>;
  rm: Role;
  gfd: Role;
  lfds: Role[];
  /** Current pid of each server, kept up to date by `track`. */
  pids: Map<string, number>;
  /** When each server's LFD last reported it (`add`): its first heartbeat answer, where the LFD's restart-storm guard starts timing a stable run. */
  addedAt: Map<string, number>;
  /** `--config FILE --log-level warn`, for more roles (a `steadfast client`). */
  args: string[];
  status(): Promise<RmStatus>;
  allReady(): Promise<number>;
  lfdOf(server: string): Role;
}

/**
 * Starts RM, LFDs (which launch S1–S3) and GFD, and waits until the RM shows all three ready. The
 * LFDs keep a warm spare (`--spare`, how a relaunch is fast) unless `spare` is false.
 */
export async function startCluster(
  settings: Record<string, string | number>,
  clients: Record<string, Record<string, string | number>> = {},
  tls: TlsOptions | null = null,
  spare = true,
): Promise<BenchCluster> {
  const config = await writeConfig({ cluster: { ...DEFAULT_SETTINGS, ...settings }, clients });
  const args = ['--config', config.file, '--log-level', 'warn'];
  const rm = stamp(startRole(['rm', ...args]));
  await waitForLine(rm, /RM: 0 members$/, WAIT_MS);
  const lfds = [1, 2, 3].map((i) => stamp(startRole(['lfd', '--name', `LFD${i}`, ...args, ...(spare ? ['--spare'] : [])])));
  const pids = new Map<string, number>();
  const addedAt = new Map<string, number>();
  // Every launch, the first and each relaunch, updates the server's pid; every `add`, the time it
  // was first heard from.
  for (const lfd of lfds) {
    let seen = 0;
    lfd.watch(() => {
      for (; seen < lfd.lines.length; seen++) {
        const m = /launching (S\d+) \(pid (\d+)\)/.exec(lfd.lines[seen]!);
        if (m) pids.set(m[1]!, Number(m[2]));
        const added = /: add (S\d+)$/.exec(lfd.lines[seen]!);
        if (added) addedAt.set(added[1]!, at(lfd, seen));
      }
    });
  }
  await Promise.all(lfds.map((lfd, i) => launchedPid(lfd, `S${i + 1}`, WAIT_MS)));
  const gfd = stamp(startRole(['gfd', ...args]));
  await waitForLine(rm, /RM: 3 members: S1, S2, S3$/, WAIT_MS);
  const status = () => rmStatus(config.rmPort, tls);
  const allReady = () =>
    untilTrue(async () => {
      const s = await status();
      return s.phases.size === 3 && [...s.phases.values()].every((p) => p === 'ready');
    }, WAIT_MS, 'all three servers ready');
  await allReady();
  return {
    config,
    settings: { ...DEFAULT_SETTINGS, ...settings },
    args,
    rm,
    gfd,
    lfds,
    pids,
    addedAt,
    status,
    allReady,
    lfdOf: (server) => lfds[Number(server.slice(1)) - 1]!,
  };
}
