/**
 * A whole-cluster restart with data folders (docs/durability.md): a passive `sync` cluster with a
 * `data_dir` (`app = log`, so the state is every request's text), filled to a state of a given
 * size; then, per trial, kill -9 of every process (the servers, the RM and the GFD at once, the
 * LFDs once they have reaped their servers), RM, GFD and LFDs started again, and the time from
 * that start until a client of the client library has a request answered. Along the way: when the
 * RM heard of all three members, when it named the primary (the furthest history on disk), when
 * every replica was serving again.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { connect } from '../src/client/index.js';
import { isAlive, killAll, startRole, until, waitForLine, writeConfig, type Role, type TestCluster } from '../test/support/processes.js';
import { at, DEFAULT_SETTINGS, rmStatus, stamp, untilTrue, WAIT_MS } from './cluster.js';
import { bodyOf, sleep } from './load.js';

export interface RestartState {
  /** `small`, `10 MB`: the row's name. */
  label: string;
  entries: number;
  entryBytes: number;
}

export interface RestartOptions {
  trials: number;
  states: readonly RestartState[];
  log: (line: string) => void;
}

export interface RestartTrial {
  trial: number;
  state: string;
  /** The log's bytes of request text before the trial (what the fill wrote and each earlier trial's request). */
  stateBytes: number;
  // Milliseconds after the first new process was started, until:
  /** the RM's `3 members` line (the GFD tells the RM only after its own start-up grace, heartbeat_timeout); */
  rmMembersMs: number;
  /** the RM's `primary is X` line; */
  rmPrimaryMs: number;
  /** the client's request answered (the figure); */
  firstReplyMs: number;
  /** the last of the three servers' `is ready` lines (the backups recovered from the primary). */
  allReadyMs: number;
  primary: string;
  /** From the RM's `has the furthest history on disk (epoch E, position P)` line; null without one. */
  furthest: { epoch: number; position: number } | null;
  /** The log app's reply: the request's position, which says nothing answered before was lost. */
  reply: string;
  expectedReply: string;
  /**
   * Processes of the cluster still running after the kill of everything (`pid: command`), killed
   * then by the bench: a server an LFD started again in the moment before it was killed itself.
   * The new LFD would attach to it rather than launch; the trial still counts, but says so.
   */
  survivors: string[];
}

export interface RestartResult {
  settings: Record<string, string | number>;
  trials: RestartTrial[];
  /** A state whose trials broke off (a wait timed out): the trials before it are kept. */
  errors: string[];
}

/** The roles of one start, every line stamped on arrival. */
interface Running {
  rm: Role;
  gfd: Role;
  lfds: Role[];
}

function start(config: TestCluster): Running {
  const run = (args: string[]) => stamp(startRole([...args, '--config', config.file, '--log-level', 'warn'], { cwd: config.dir }));
  return { rm: run(['rm']), gfd: run(['gfd']), lfds: [1, 2, 3].map((i) => run(['lfd', '--name', `LFD${i}`])) };
}

/** The pid of each server's latest launch, from its LFD's lines. */
function serverPids(r: Running): number[] {
  return r.lfds.flatMap((lfd) => {
    const launches = lfd.lines.map((l) => /launching S\d+ \(pid (\d+)\)/.exec(l)).filter((m) => m !== null);
    return launches.length > 0 ? [Number(launches.at(-1)![1])] : [];
  });
}

/**
 * kill -9 of the servers, the RM and the GFD in one instant; the LFDs only once they have reaped
 * their servers (killed first, an LFD's children would stay zombies that nobody reaps here), as
 * test/e2e/whole-crash.test.ts does. Returns the processes that outlived it (see `survivors`),
 * killed now.
 */
async function killEverything(r: Running, config: TestCluster, log: (line: string) => void): Promise<string[]> {
  const servers = serverPids(r);
  for (const pid of [...servers, r.rm.pid, r.gfd.pid]) process.kill(pid, 'SIGKILL');
  await until(() => servers.every((pid) => !isAlive(pid)), 5000, () => `servers ${servers.join(', ')} not reaped`);
  for (const lfd of r.lfds) process.kill(lfd.pid, 'SIGKILL');
  await Promise.all([r.rm, r.gfd, ...r.lfds].map((role) => role.closed));
  const left = running(config);
  if (left.length === 0) return [];
  // Orphans now (their LFD is gone); killed, what may be left of them is a zombie, which holds no
  // ports or files and has an empty command line.
  log(`  after the kill of everything still running: ${left.map((p) => `${p.pid}: ${p.cmd}`).join('; ')}\n${r.lfds.map((l) => l.tail(12)).join('\n')}`);
  for (const p of left) process.kill(p.pid, 'SIGKILL');
  await until(() => running(config).length === 0, 5000, () => `${left.map((p) => p.pid).join(', ')} did not die`);
  return left.map((p) => `${p.pid}: ${p.cmd}`);
}

/** Processes (not zombies) whose command line names this cluster's ini file. */
function running(config: TestCluster): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // A zombie's command line is empty.
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.includes(config.file)) out.push({ pid: Number(entry), cmd: args.slice(2, 5).join(' ') });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const allReady = (config: TestCluster) =>
  untilTrue(async () => {
    const s = await rmStatus(config.rmPort);
    return s.phases.size === 3 && [...s.phases.values()].every((p) => p === 'ready');
  }, WAIT_MS, 'all three servers ready');

/** Sends `count` requests of `bytes` each, one after the other, as client `name`. */
async function fill(config: TestCluster, name: string, count: number, bytes: number): Promise<void> {
  const client = await connect({ config: config.file, name });
  try {
    for (let i = 1; i <= count; i++) await client.submit(bodyOf(bytes, i), { timeoutMs: WAIT_MS });
  } finally {
    await client.close();
  }
}

/** One state: a fresh cluster filled to it, then `trials` restarts. */
async function runState(state: RestartState, opts: RestartOptions, out: RestartResult): Promise<void> {
  const config = await writeConfig({ cluster: { ...DEFAULT_SETTINGS, ...SETTINGS } });
  let roles = start(config);
  await waitForLine(roles.rm, /RM: primary is S\d+$/, WAIT_MS);
  await fill(config, 'FILL', state.entries, state.entryBytes);
  let entries = state.entries;
  let bytes = state.entries * state.entryBytes;
  opts.log(`  restart, ${state.label}: filled with ${state.entries} requests of ${state.entryBytes} bytes`);
  for (let trial = 1; trial <= opts.trials; trial++) {
    await allReady(config);
    // A random moment, so that the kill falls anywhere in the periodic checkpoints' snapshot writes.
    await sleep(Math.random() * 1000);
    const survivors = await killEverything(roles, config, opts.log);
    const t0 = performance.now();
    const r = (roles = start(config));
    const body = `restart-${trial}`;
    const client = await connect({ config: config.file, name: `R${trial}` });
    const answer = await client.submit(body, { timeoutMs: WAIT_MS }).finally(() => client.close());
    const replied = performance.now();
    const members = await waitForLine(r.rm, /RM: 3 members/, WAIT_MS);
    const primary = await waitForLine(r.rm, /RM: primary is (S\d+)$/, WAIT_MS);
    const furthest = r.rm.lines.map((l) => /has the furthest history on disk \(epoch (\d+), position (\d+)\)/.exec(l)).find((m) => m !== null);
    const ready = await Promise.all(r.lfds.map((lfd) => waitForLine(lfd, /S\d+ is ready \[passive\]/, WAIT_MS).then((m) => at(lfd, m.index))));
    entries += 1;
    const t: RestartTrial = {
      trial,
      state: state.label,
      stateBytes: bytes,
      rmMembersMs: at(r.rm, members.index) - t0,
      rmPrimaryMs: at(r.rm, primary.index) - t0,
      firstReplyMs: replied - t0,
      allReadyMs: Math.max(...ready) - t0,
      primary: primary.match[1]!,
      furthest: furthest ? { epoch: Number(furthest[1]), position: Number(furthest[2]) } : null,
      reply: answer.reply,
      expectedReply: String(entries),
      survivors,
    };
    bytes += body.length;
    out.trials.push(t);
    opts.log(
      `  restart ${trial}, ${state.label}: RM 3 members ${t.rmMembersMs.toFixed(0)} ms, primary ${t.primary} ${t.rmPrimaryMs.toFixed(0)} ms, ` +
        `answered ${t.firstReplyMs.toFixed(0)} ms, all serving ${t.allReadyMs.toFixed(0)} ms` +
        (survivors.length > 0 ? `, ${survivors.length} processes had outlived the kill` : '') +
        (t.reply !== t.expectedReply ? `, REPLY ${t.reply} where ${t.expectedReply} was due (a request lost or applied twice)` : ''),
    );
  }
}

const SETTINGS = { mode: 'passive', durability: 'sync', app: 'log', data_dir: 'data' } as const;

export async function runRestart(opts: RestartOptions): Promise<RestartResult> {
  const out: RestartResult = { settings: { ...DEFAULT_SETTINGS, ...SETTINGS }, trials: [], errors: [] };
  for (const state of opts.states) {
    try {
      await runState(state, opts, out);
    } catch (err) {
      const first = ((err as Error).stack ?? (err as Error).message).split('\n').slice(0, 8).join('\n');
      out.errors.push(`restart, ${state.label}: ${first}`);
      opts.log(`  restart, ${state.label} broke off: ${first}`);
    } finally {
      await killAll();
    }
  }
  return out;
}
