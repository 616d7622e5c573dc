/**
 * What a failure costs, with real processes at the default settings (heartbeat_freq 1 s,
 * heartbeat_timeout 3 s, checkpoint_freq 5 s, passive, durability sync), under load from
 * closed-loop clients that follow the RM (`follow.ts`):
 *
 * - crash: kill -9 of the primary. From the moment the SIGKILL is sent (performance.now() here;
 *   every role line is stamped on arrival): the LFD's `failed`, the RM's `delete` (its member count
 *   drops), `RM: primary is X`, the first reply from the new primary at any client and at every
 *   client (the client-visible gap), the LFD's `launching`, and the relaunched replica serving
 *   (its `is ready [passive] [backup]` line, after it took its checkpoint) and shown `ready` by the RM.
 * - hang: SIGSTOP of a backup → the RM's `delete` (the LFD finds no heartbeat answer within
 *   heartbeat_timeout, SIGKILLs the process, reports delete), then the relaunch as above.
 * - recovery with a 10 MB state (`app = log`, 100 entries of 100 KB): kill -9 of a backup → the
 *   relaunched replica serving.
 * - drain: SIGTERM to the primary (a graceful hand-over, docs/operations.md), measured as the crash
 *   is (its LFD prints no `failed`): what the clients see of a planned stop, beside an unplanned one.
 *
 * The kill comes at a random moment. Before each trial the victim has answered its LFD's
 * heartbeats for at least 2 × heartbeat_timeout + 0.5 s, so the LFDs' restart-storm guard (a server
 * that dies again sooner is started only after a delay) never applies: this measures the ordinary
 * relaunch.
 */
import { performance } from 'node:perf_hooks';
import { killAll, waitForLine, type Role } from '../test/support/processes.js';
import { at, startCluster, untilTrue, WAIT_MS, type BenchCluster } from './cluster.js';
import { followingChannel } from './follow.js';
import { sleep, startLoop } from './load.js';

export interface CrashTrial {
  trial: number;
  victim: string;
  newPrimary: string;
  /** Milliseconds after the SIGKILL (a drain: SIGTERM) was sent. NaN for a drain (no failure). */
  lfdFailedMs: number;
  rmDeleteMs: number;
  rmPrimaryMs: number;
  firstReplyMs: number;
  allRepliedMs: number;
  /** Each client's first reply from the new primary. */
  clientFirstReplyMs: number[];
  /** Longest silence of one client: its last reply before the kill → its first after. */
  maxClientGapMs: number;
  launchingMs: number;
  relaunchedReadyMs: number;
  rmShowsReadyMs: number;
}

export interface HangTrial {
  trial: number;
  victim: string;
  lfdFailedMs: number;
  rmDeleteMs: number;
  relaunchedReadyMs: number;
}

export interface RecoveryTrial {
  trial: number;
  victim: string;
  stateBytes: number;
  rmDeleteMs: number;
  launchingMs: number;
  relaunchedReadyMs: number;
  rmShowsReadyMs: number;
}

export interface FailoverOptions {
  crashTrials: number;
  drainTrials: number;
  hangTrials: number;
  bigTrials: number;
  loadClients: number;
  bodySize: number;
  /** The large state: entries × bytes each. */
  bigEntries: number;
  bigEntryBytes: number;
  log: (line: string) => void;
}

export interface FailoverResult {
  settings: Record<string, string | number>;
  loadClients: number;
  crash: CrashTrial[];
  /** SIGTERM to the primary: the same measures as a crash. */
  drain: CrashTrial[];
  hang: HangTrial[];
  bigSettings: Record<string, string | number>;
  big: RecoveryTrial[];
  /** A phase that broke off (a wait timed out): the trials before it are kept. */
  errors: string[];
}

const READY = (s: string) => new RegExp(`${s} is ready \\[passive\\] \\[backup\\]`);

/**
 * Waits until `victim` has run long enough for the restart-storm guard not to apply to its next
 * death: the LFD resets its count of deaths once the server has answered heartbeats for
 * 2 × heartbeat_timeout, timed from its first answer (the LFD's `add`), not from the launch.
 */
async function stable(cluster: BenchCluster, victim: string): Promise<void> {
  await cluster.allReady();
  const stableMs = 2 * Number(cluster.settings.heartbeat_timeout) * 1000 + 500;
  const added = cluster.addedAt.get(victim) ?? 0;
  const wait = added + stableMs - performance.now();
  if (wait > 0) await sleep(wait);
}

/** The backup a trial picks (they take turns), once it is stable, after a random moment. */
async function settledBackup(cluster: BenchCluster, trial: number): Promise<string> {
  const status = await cluster.status();
  const backups = [...status.phases.keys()].filter((s) => s !== status.primary).sort();
  const victim = backups[trial % backups.length]!;
  await stable(cluster, victim);
  await sleep(Math.random() * 1000);
  return victim;
}

/** Signals the backup a trial picks and waits for the RM's delete: the trial's victim, its LFD, line marks from before the signal, its time, and the delete's. */
async function signalBackup(cluster: BenchCluster, trial: number, signal: 'SIGSTOP' | 'SIGKILL') {
  const victim = await settledBackup(cluster, trial);
  const lfd = cluster.lfdOf(victim);
  const marks = { rm: cluster.rm.mark(), lfd: lfd.mark() };
  const t0 = performance.now();
  kill(cluster.pids.get(victim)!, signal);
  const rmDelete = await lineAt(cluster.rm, /RM: 2 members/, marks.rm);
  return { victim, lfd, marks, t0, rmDelete };
}

const kill = (pid: number, sig: NodeJS.Signals) => process.kill(pid, sig);

/** The index of the first line at or after `since` matching `re`, with its arrival time. */
async function lineAt(role: Role, re: RegExp, since: number): Promise<number> {
  const m = await waitForLine(role, re, WAIT_MS, since);
  return at(role, m.index);
}

/** After a kill: when the victim's LFD launched it again, when the new process served, when the RM showed it ready. */
async function relaunchTimes(cluster: BenchCluster, lfd: Role, victim: string, since: number): Promise<{ launching: number; ready: number; rmReadyAt: number }> {
  const launching = await lineAt(lfd, new RegExp(`launching ${victim} \\(pid`), since);
  const rmReady = untilTrue(async () => (await cluster.status()).phases.get(victim) === 'ready', WAIT_MS, `RM shows ${victim} ready`);
  const ready = await lineAt(lfd, READY(victim), since);
  return { launching, ready, rmReadyAt: await rmReady };
}

async function crashTrials(cluster: BenchCluster, opts: FailoverOptions, out: FailoverResult): Promise<void> {
  const channels = await Promise.all(Array.from({ length: opts.loadClients }, (_, i) => followingChannel(cluster.config.file, `F${i + 1}`, opts.bodySize, 3000)));
  // Per client: the last reply's time and server, and the first reply from a given server after a time.
  const last: { at: number; server: string }[] = channels.map(() => ({ at: 0, server: '' }));
  const waiters = new Set<() => void>();
  const loop = startLoop(channels, 1, (client, server, t) => {
    last[client] = { at: t, server };
    for (const w of [...waiters]) w();
  });
  const replied = (check: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`timed out: ${what}`));
      }, WAIT_MS);
      const w = () => {
        if (!check()) return;
        clearTimeout(timer);
        waiters.delete(w);
        resolve();
      };
      waiters.add(w);
      w();
    });
  try {
    const primaryTrials = [
      ...Array.from({ length: opts.crashTrials }, (_, i) => ({ trial: i + 1, signal: 'SIGKILL' as const })),
      ...Array.from({ length: opts.drainTrials }, (_, i) => ({ trial: i + 1, signal: 'SIGTERM' as const })),
    ];
    for (const { trial, signal } of primaryTrials) {
      const victim = (await cluster.status()).primary;
      await stable(cluster, victim);
      await replied(() => last.every((l) => l.server === victim), `every client served by ${victim}`);
      await sleep(Math.random() * 100);
      const lfd = cluster.lfdOf(victim);
      const marks = { rm: cluster.rm.mark(), lfd: lfd.mark(), lfds: cluster.lfds.map((l) => l.mark()) };
      const before = last.map((l) => l.at);
      const t0 = performance.now();
      kill(cluster.pids.get(victim)!, signal);
      const rmDelete = await lineAt(cluster.rm, /RM: 2 members/, marks.rm);
      const failed = signal === 'SIGKILL' ? await lineAt(lfd, new RegExp(`: ${victim} failed \\(`), marks.lfd) : NaN;
      const primaryLine = await waitForLine(cluster.rm, /RM: primary is (S\d+)$/, WAIT_MS, marks.rm);
      const newPrimary = primaryLine.match[1]!;
      // Each client's first reply from the new primary after the kill.
      const firsts: number[] = channels.map(() => NaN);
      await replied(() => {
        last.forEach((l, i) => {
          if (Number.isNaN(firsts[i]!) && l.server === newPrimary && l.at > t0) firsts[i] = l.at;
        });
        return firsts.every((f) => !Number.isNaN(f));
      }, `every client served by ${newPrimary}`);
      const { launching, ready, rmReadyAt } = await relaunchTimes(cluster, lfd, victim, marks.lfd);
      const t: CrashTrial = {
        trial,
        victim,
        newPrimary,
        lfdFailedMs: failed - t0,
        rmDeleteMs: rmDelete - t0,
        rmPrimaryMs: at(cluster.rm, primaryLine.index) - t0,
        firstReplyMs: Math.min(...firsts) - t0,
        allRepliedMs: Math.max(...firsts) - t0,
        clientFirstReplyMs: firsts.map((f) => f - t0),
        maxClientGapMs: Math.max(...firsts.map((f, i) => f - before[i]!)),
        launchingMs: launching - t0,
        relaunchedReadyMs: ready - t0,
        rmShowsReadyMs: rmReadyAt - t0,
      };
      (signal === 'SIGKILL' ? out.crash : out.drain).push(t);
      opts.log(
        `  ${signal === 'SIGKILL' ? 'crash' : 'drain'} ${trial}: ${signal === 'SIGKILL' ? 'kill -9' : 'SIGTERM'} ${victim} → RM delete ${t.rmDeleteMs.toFixed(0)} ms, ` +
          `${newPrimary} replies ${t.firstReplyMs.toFixed(0)}–${t.allRepliedMs.toFixed(0)} ms (longest silence ${t.maxClientGapMs.toFixed(0)} ms), ` +
          `${victim} serving again ${t.relaunchedReadyMs.toFixed(0)} ms`,
      );
    }
    for (let trial = 1; trial <= opts.hangTrials; trial++) {
      const { victim, lfd, marks, t0, rmDelete } = await signalBackup(cluster, trial, 'SIGSTOP');
      const failed = await lineAt(lfd, new RegExp(`: ${victim} failed \\(`), marks.lfd);
      const ready = await lineAt(lfd, READY(victim), marks.lfd);
      const t: HangTrial = { trial, victim, lfdFailedMs: failed - t0, rmDeleteMs: rmDelete - t0, relaunchedReadyMs: ready - t0 };
      out.hang.push(t);
      opts.log(`  hang ${trial}: SIGSTOP ${victim} → RM delete ${t.rmDeleteMs.toFixed(0)} ms, serving again ${t.relaunchedReadyMs.toFixed(0)} ms`);
    }
  } finally {
    loop.stop();
    for (const c of channels) c.close();
  }
}

async function bigStateTrials(opts: FailoverOptions, out: FailoverResult): Promise<void> {
  // Without a warm spare: the run's one figure of a relaunch that starts node and loads the modules.
  const cluster = await startCluster({ mode: 'passive', durability: 'sync', app: 'log' }, {}, null, false);
  out.bigSettings = cluster.settings;
  // Fill: one client, one entry after the other, following the RM (a failover while the state
  // grows must not leave it waiting on a dead primary).
  const ch = await followingChannel(cluster.config.file, 'FILL', opts.bigEntryBytes, 10_000);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`filling the log timed out (${ch.errors.slice(0, 3).join('; ')})`)), 180_000);
    const loop = startLoop([ch], 1, () => {
      if (loop.completed + 1 >= opts.bigEntries) {
        loop.stop();
        clearTimeout(timer);
        resolve();
      }
    });
    loop.measure(true);
  });
  ch.close();
  const stateBytes = opts.bigEntries * opts.bigEntryBytes;
  opts.log(`  filled the log: ${opts.bigEntries} entries of ${opts.bigEntryBytes} bytes`);
  for (let trial = 1; trial <= opts.bigTrials; trial++) {
    const { victim, lfd, marks, t0, rmDelete } = await signalBackup(cluster, trial, 'SIGKILL');
    const { launching, ready, rmReadyAt } = await relaunchTimes(cluster, lfd, victim, marks.lfd);
    const t: RecoveryTrial = {
      trial,
      victim,
      stateBytes,
      rmDeleteMs: rmDelete - t0,
      launchingMs: launching - t0,
      relaunchedReadyMs: ready - t0,
      rmShowsReadyMs: rmReadyAt - t0,
    };
    out.big.push(t);
    opts.log(`  10 MB ${trial}: kill -9 ${victim} → serving again ${t.relaunchedReadyMs.toFixed(0)} ms (RM shows ready ${t.rmShowsReadyMs.toFixed(0)} ms)`);
  }
  await killAll();
}

export async function runFailover(opts: FailoverOptions): Promise<FailoverResult> {
  const cluster = await startCluster({ mode: 'passive', durability: 'sync' });
  const out: FailoverResult = { settings: cluster.settings, loadClients: opts.loadClients, crash: [], drain: [], hang: [], bigSettings: {}, big: [], errors: [] };
  const broke = (phase: string) => (err: Error) => {
    const first = (err.stack ?? err.message).split('\n').slice(0, 8).join('\n');
    out.errors.push(`${phase}: ${first}`);
    opts.log(`  ${phase} broke off: ${first}`);
  };
  // Crash and hang trials on clusters of their own, so that one broken off leaves the other whole.
  try {
    await crashTrials(cluster, { ...opts, hangTrials: 0 }, out).catch(broke('crash trials'));
  } finally {
    await killAll();
  }
  try {
    if (opts.hangTrials > 0) {
      const fresh = await startCluster({ mode: 'passive', durability: 'sync' });
      await crashTrials(fresh, { ...opts, crashTrials: 0, drainTrials: 0 }, out).catch(broke('hang trials'));
    }
  } catch (err) {
    broke('hang trials')(err as Error);
  } finally {
    await killAll();
  }
  try {
    if (opts.bigTrials > 0) await bigStateTrials(opts, out).catch(broke('large-state trials'));
  } finally {
    await killAll();
  }
  return out;
}
