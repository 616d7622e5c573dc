/**
 * The invariants, checked while a run goes (safety) and once at its end, after the faults stopped
 * and the clients went quiet (agreement and liveness):
 *
 * - `one-primary-per-epoch`: no two server processes are ever primary (passive) or sequencer
 *   (active) of the same epoch, across power cuts too (unless a cut ended the first before any
 *   replica reported `serving` in the epoch: `forgotten`).
 * - `no-deposed-reply`: passive mode: once the primary of an epoch replied to a client, no primary
 *   of an older epoch replies any more; and a server that is not the primary never replies.
 * - `no-stale-serving`: a server thawed after its lease ran out answers no client and reports no
 *   `serving` before its expired lease took effect (suspended, or back to booting).
 * - `applied-once`: app = log: no replica's log ever holds a request twice (every request body is
 *   unique). kv requests repeat (two gets of one key), so there a request applied twice shows up
 *   in `linearizable` instead (a write applied again later undoes the writes between).
 * - `recovery-complete`: a replica that starts to serve has applied (or already had) every request
 *   it held while booting or recovering (SPEC §6 Assignment: "nothing is missed"); in active mode a
 *   request may instead wait for its position in the total order. A passive backup refuses held
 *   client requests, so only the updates it held count.
 * - `replicas-equal`: after quiescence the serving replicas hold the same state (the app's
 *   snapshot: the log, or the kv map in its canonical order) and client table (active mode too:
 *   the sequencer's total order makes the states equal). Any app alike: its snapshot is compared.
 * - `answered-kept`: app = log, passive with `durability = sync`, and active: every request a
 *   client saw answered is in the final log of every serving replica at the position its reply
 *   named. (kv: `linearizable` with the final map is its counterpart.)
 * - `relaunched-and-serving`: after quiescence every configured server runs as one process that
 *   serves and that its LFD watches (the LFD runs and names that process's pid).
 * - `rm-members-real`: after quiescence the RM's members are the servers really up, all serving.
 * - `no-crash`: no role machine threw.
 * - `deterministic`, `snapshot-restore`: the app audit (`app-audit.ts`) on the requests replicas apply.
 * - `linearizable`: active, and passive with `durability = sync`: the history of client operations
 *   (each request's first send to its first reply, or unknown if none came) with the final state of
 *   a serving replica is linearizable for the run's application (`src/check/apps.ts`: the log as a
 *   list, kv as a map checked per key; any other app, `status` too, with itself as the model:
 *   `checkWithApp`, `src/check/app-model.ts`).
 */
import type { ServerContext } from '../actors/server.js';
import type { App } from '../app/app.js';
import { checkHistory, checkWithApp } from '../check/apps.js';
import { describeState } from '../cli/chaos-describe.js';
import { HistoryRecorder } from '../check/history.js';
import type { LogEvent } from '../log/events.js';
import type { Frame, Phase } from '../protocol/frames.js';
import { APP_CHECKS, type AppCheck } from './app-audit.js';
import type { PendingBug } from './pending.js';
import { messageOf, type Observer, type ServerProc, type World } from './world.js';

export const INVARIANTS = [
  'one-primary-per-epoch',
  'no-deposed-reply',
  'no-stale-serving',
  'applied-once',
  'recovery-complete',
  'replicas-equal',
  'answered-kept',
  'linearizable',
  'relaunched-and-serving',
  'rm-members-real',
  'no-crash',
  ...APP_CHECKS,
] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface Violation {
  at: number;
  invariant: Invariant;
  detail: string;
}

interface Answer {
  client: string;
  num: number;
  body: string;
  result: string;
  server: string;
  at: number;
}

/**
 * What a thawed server with an expired lease must not send before it boots again: an answer to a
 * client or a `serving` report. (It may send one checkpoint first, when the checkpoint timer was due
 * before the lease's: thawed, a process runs its due timers in order. That checkpoint is fenced: a
 * backup drops it once it follows a newer primary, and otherwise no other primary exists yet.)
 */
const SERVES: ReadonlySet<Frame['kind']> = new Set(['reply', 'serving']);

export class Checker implements Observer {
  readonly violations: Violation[] = [];
  /** Primary (or sequencer) of each epoch: process key, and the power cuts before it took the epoch. */
  private readonly primaries = new Map<number, { key: string; cuts: number }>();
  /** Epochs some replica reported `serving` in (with a data folder, only once its disk has the epoch). */
  private readonly announced = new Set<number>();
  /** Power cuts so far. Everything here goes on across them: a cut is not a new history. */
  powerCuts = 0;
  /** The newest epoch whose primary replied to a client, and who and when. */
  private served: { epoch: number; key: string; at: number } | null = null;
  private readonly logs = new WeakMap<string[], Set<string>>();
  readonly answers: Answer[] = [];
  /** Every client operation, timed in simulated microseconds in the order the clients saw things. */
  readonly history = new HistoryRecorder();
  private lastTick = -1;
  /** Thawed after the lease ran out and not yet back to booting. */
  private readonly stale = new Set<ServerProc>();
  private readonly reported = new Set<string>();
  private readonly phases = new WeakMap<ServerProc, Phase | null>();
  /** What each server held in its latest snapshot while booting or recovering. */
  private readonly held = new WeakMap<ServerProc, ServerContext['held']>();
  private lastPrimary: string | null = null;
  /** Completed failovers (another process became primary) and recoveries (recovering → ready). */
  failovers = 0;
  recoveries = 0;
  warnings: string[] = [];
  /** Pending bugs (`pending.ts`, `detected`) whose trigger this run hit, with when and where. */
  readonly pendingHits: { bug: PendingBug; at: number; detail: string }[] = [];
  /** Every request string sent under each (client, number), by any process of that client. */
  private readonly sentUnder = new Map<string, Set<string>>();
  world!: World;
  /** Told the number of requests sent so far, after each new one. */
  onSent: ((sent: number) => void) | null = null;

  constructor(private readonly onViolation: (v: Violation) => void) {}

  private get now(): number {
    return this.world.now;
  }

  violate(invariant: Invariant, detail: string, once?: string): void {
    if (once !== undefined) {
      if (this.reported.has(once)) return;
      this.reported.add(once);
    }
    const v = { at: this.now, invariant, detail };
    this.violations.push(v);
    this.onViolation(v);
  }

  // ---------------------------------------------------------------------------------------------
  // While the run goes

  /** Simulated microseconds, strictly increasing, so two events of one millisecond keep their order. */
  private tick(): number {
    this.lastTick = Math.max(this.lastTick + 1, this.now * 1000);
    return this.lastTick;
  }

  print(who: string, proc: ServerProc | null, event: LogEvent): void {
    switch (event.event) {
      case 'client.sent': {
        const body = event.body ?? messageOf(event.name) + event.request.num;
        const key = `${event.name} ${event.request.num}`;
        this.sentUnder.set(key, (this.sentUnder.get(key) ?? new Set()).add(body));
        const before = this.history.operations.length;
        this.history.invoked(event.name, event.request.num, body, this.tick());
        if (this.history.operations.length > before) this.onSent?.(this.history.operations.length);
        break;
      }
      case 'client.received': {
        const { num, server } = event.request;
        const under = this.sentUnder.get(`${event.name} ${num}`);
        if (under !== undefined && under.size > 1) {
          // One process never changes a number's request: an earlier process of this client sent another.
          this.pendingHits.push({ bug: 'restarted-client-reuses-number', at: this.now, detail: `${event.name}:${num} answered, sent as ${[...under].join(' and as ')}` });
        }
        // `body` as a log client sends it: `answered-kept` (app = log only) looks for it in the log.
        this.answers.push({ client: event.name, num, body: messageOf(event.name) + num, result: event.result, server, at: this.now });
        this.history.completed(event.name, num, event.result, this.tick(), event.failed === true);
        break;
      }
      case 'server.heartbeat':
        if (proc) proc.lastLease = this.now;
        break;
      case 'note':
        if (who === 'RM' && event.level === 'warn') this.warnings.push(`${(this.now / 1000).toFixed(3)} s ${event.text}`);
        break;
      default:
        break;
    }
  }

  serverChanged(proc: ServerProc, phase: Phase | null, ctx: ServerContext): void {
    const before = this.phases.get(proc);
    if (before !== phase) {
      this.phases.set(proc, phase);
      if (before === 'recovering' && phase === 'ready') this.recoveries += 1;
    }
    if (phase === 'booting' || phase === 'suspended') this.stale.delete(proc);
    const held = this.held.get(proc);
    if (phase === 'ready' && held && held.length > 0) this.checkReleased(proc, held, ctx);
    this.held.set(proc, phase === 'ready' ? [] : ctx.held);
    if (phase !== 'ready' || ctx.role !== 'primary') return;
    let holder = this.primaries.get(ctx.epoch);
    if (holder && holder.key !== proc.key && this.forgotten(ctx.epoch, holder.cuts)) {
      this.world.note('check', `epoch ${ctx.epoch} given out again: ${holder.key} had it, but a power cut ended it before anything of it reached a disk`);
      holder = undefined;
    }
    if (holder === undefined) {
      this.primaries.set(ctx.epoch, { key: proc.key, cuts: this.powerCuts });
      // A failover completed: a different process than the last primary now serves as primary.
      if (this.lastPrimary !== null && this.lastPrimary !== proc.key) this.failovers += 1;
      this.lastPrimary = proc.key;
    } else if (holder.key !== proc.key) {
      this.violate('one-primary-per-epoch', `${proc.key} and ${holder.key} are both ${ctx.mode === 'active' ? 'sequencer' : 'primary'} of epoch ${ctx.epoch}`, `epoch ${ctx.epoch}`);
    }
  }

  /**
   * An epoch that a power cut ended before any replica reported `serving` in it left nothing on a
   * disk (a replica records the epoch there first, and answers nothing before it): the RM, which
   * learns epochs from the disks, may give it out again, and no history or frame of the first can
   * meet the second.
   */
  private forgotten(epoch: number, cutsBefore: number): boolean {
    return cutsBefore < this.powerCuts && !this.announced.has(epoch);
  }

  serverSends(proc: ServerProc, frame: Frame): void {
    if (frame.kind === 'serving') this.announced.add(frame.epoch);
    if (this.stale.has(proc) && SERVES.has(frame.kind)) {
      this.violate('no-stale-serving', `${proc.key} sends ${frame.kind} after a thaw, before its expired lease suspended it`, `stale ${proc.key}`);
    }
    if (frame.kind !== 'reply') return;
    const ctx = proc.actor.getSnapshot().context as ServerContext;
    if (ctx.mode !== 'passive') return;
    const what = `reply ${frame.client}:${frame.num}`;
    if (ctx.role !== 'primary') {
      this.violate('no-deposed-reply', `${proc.key} (${ctx.role ?? 'unassigned'}, epoch ${ctx.epoch}) sends ${what} but is not the primary`, `nonprimary ${proc.key}`);
      return;
    }
    const served = this.served;
    if (served === null || ctx.epoch > served.epoch) {
      this.served = { epoch: ctx.epoch, key: proc.key, at: this.now };
    } else if (ctx.epoch < served.epoch) {
      this.violate(
        'no-deposed-reply',
        `${proc.key}, primary of epoch ${ctx.epoch}, sends ${what} after ${served.key}, primary of epoch ${served.epoch}, served at ${(served.at / 1000).toFixed(3)} s`,
        `deposed ${proc.key} ${served.epoch}`,
      );
    }
  }

  applied(proc: ServerProc, log: string[], body: string): void {
    let seen = this.logs.get(log);
    if (!seen) {
      seen = new Set(log);
      this.logs.set(log, seen);
      if (seen.size !== log.length) {
        this.violate('applied-once', `${proc.key} holds a log with a request twice (from a snapshot)`, `dupsnap ${proc.key}`);
      }
    }
    if (seen.has(body)) {
      this.violate('applied-once', `${proc.key} applies ${body} again (already entry ${log.indexOf(body) + 1} of ${log.length})`, `dup ${proc.key} ${body}`);
    }
    seen.add(body);
  }

  appCheckFailed(proc: ServerProc, check: AppCheck, detail: string): void {
    this.violate(check, `${proc.key}: ${detail}`);
  }

  /** Everything held is applied, skipped as already had, or (active) waiting for its position. */
  private checkReleased(proc: ServerProc, held: ServerContext['held'], ctx: ServerContext): void {
    const backup = ctx.mode === 'passive' && ctx.role === 'backup';
    for (const req of held) {
      if (backup && !req.update) continue;
      const done = (ctx.clients.get(req.client)?.num ?? 0) >= req.num;
      const waiting =
        ctx.waiting.some((w) => w.client === req.client && w.num === req.num) ||
        ctx.order.unordered.some((w) => w.client === req.client && w.num === req.num);
      if (!done && !waiting) {
        const from = req.update ? `update from ${req.update.primary}` : req.origin ? 'request' : 'forward';
        this.violate(
          'recovery-complete',
          `${proc.key} serves (${ctx.mode} ${ctx.role}, epoch ${ctx.epoch}) but lost ${req.client}:${req.num} (${from}) that it held: its table has ${req.client} at ${ctx.clients.get(req.client)?.num ?? 'none'}`,
          `held ${proc.key}`,
        );
        return;
      }
    }
  }

  actorError(who: string, err: unknown): void {
    this.violate('no-crash', `${who} crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }

  /** A hung server runs again: if its lease ran out meanwhile, it must be suspended (or boot) before it serves. */
  thawed(proc: ServerProc): void {
    const lease = this.world.config.cluster.heartbeatTimeoutMs;
    if (proc.lastLease !== null && this.now >= proc.lastLease + lease && proc.phase !== 'booting' && proc.phase !== 'suspended') this.stale.add(proc);
  }

  // ---------------------------------------------------------------------------------------------
  // At the end, after quiescence

  /** The history with the final state of a serving replica (the primary's where there is one). */
  private checkLinearizable(contexts: { server: string; ctx: ServerContext }[]): void {
    const app = this.world.sim.app;
    const model = this.world.options.app;
    const holder = contexts.find((c) => c.ctx.role === 'primary') ?? contexts[0];
    const finalSnapshot = holder ? model.snapshot(holder.ctx.state) : undefined;
    const ops = this.history.operations;
    const v = app === 'log' || app === 'kv' ? checkHistory(app, ops, { finalSnapshot }) : checkWithApp(model, ops, { finalSnapshot });
    if (v.ok === true) return;
    const unknown = ops.filter((o) => o.complete === null).length;
    this.violate(
      'linearizable',
      `${v.ok === false ? 'not linearizable' : 'undecided'} (${app}: ${v.method} check of ${ops.length} operations, ${unknown} unknown` +
        `${finalSnapshot !== undefined ? `, with ${holder!.server}'s final ${app === 'log' || app === 'kv' ? describeState(app, finalSnapshot) : `state ${model.show(model.restore(finalSnapshot))}`}` : ''}): ${inSeconds(v.reason)}`,
    );
  }

  final(): void {
    const w = this.world;
    const mode = w.config.cluster.mode;
    const up: string[] = [];
    const contexts: { server: string; ctx: ServerContext }[] = [];
    for (const server of w.servers) {
      const live = w.procs.live(server);
      const proc = w.procs.current(server);
      if (live.length !== 1 || !proc) {
        const running = live.map((p) => p.key).join(', ') || 'none';
        const latest = w.procs.of(server).at(-1);
        this.violate(
          'relaunched-and-serving',
          `${server}: ${live.length} processes running (${running}); the latest launched, ${latest?.key ?? 'none'}, ${latest?.alive ? 'runs' : `ended (${latest?.how})`}`,
        );
        continue;
      }
      if (proc.phase !== 'ready' || proc.hungSince !== null) {
        this.violate('relaunched-and-serving', `${proc.key} is ${proc.hungSince !== null ? 'hung' : (proc.phase ?? 'stopped')}, not serving`);
        continue;
      }
      const lfd = w.lfds.get(`LFD${server.slice(1)}`);
      if (w.isByHand(server)) {
        // `--no-launch`: its LFD only watches it; it must be alive and watching.
        const watching = lfd?.alive ? (lfd.actor.getSnapshot() as { matches(v: unknown): boolean }).matches({ watch: { connected: 'alive' } }) : false;
        if (!watching) this.violate('relaunched-and-serving', `${proc.key} serves but its --no-launch LFD does not watch it`);
        up.push(server);
        contexts.push({ server, ctx: proc.actor.getSnapshot().context as ServerContext });
        continue;
      }
      const watched = lfd?.alive ? (lfd.actor.getSnapshot() as { value: { process?: unknown }; context: { pid: number | null } }) : null;
      const running = watched !== null && typeof watched.value.process === 'object' && 'running' in (watched.value.process as object);
      if (!watched || !running || watched.context.pid !== proc.pid) {
        this.violate(
          'relaunched-and-serving',
          `${proc.key} serves but its LFD ${!watched ? 'is down' : `is ${JSON.stringify(watched.value.process).replace(/"/g, '')} with pid ${watched.context.pid}`}`,
        );
      }
      up.push(server);
      const ctx = proc.actor.getSnapshot().context as ServerContext;
      contexts.push({ server, ctx });
    }

    const rm = w.rm?.alive ? (w.rm.actor.getSnapshot().context as { membership: { members: Record<string, { serving: boolean }> } }) : null;
    if (!rm) this.violate('rm-members-real', 'the RM is not running');
    else {
      const members = Object.keys(rm.membership.members).sort();
      const serving = members.filter((s) => rm.membership.members[s]!.serving);
      if (members.join() !== up.join() || serving.join() !== up.join()) {
        this.violate('rm-members-real', `RM members [${members.join(', ')}], serving [${serving.join(', ')}]; servers up and serving [${up.join(', ')}]`);
      }
    }

    // Agreement among the serving replicas: the app's snapshot (kv's is canonical), the client
    // table, in its order too (which client the bounded table forgets next), and the position in
    // the history that a durable replica will report.
    const app = w.options.app;
    const shown = (c: ServerContext) =>
      `${app.snapshot(c.state)} | ${c.clients.entries().map((e) => `${e.client}:${e.num}:${e.reply}`).join(' ')} | at ${c.applied}`;
    if (contexts.length > 1) {
      const [first, ...rest] = contexts;
      const a = shown(first!.ctx);
      for (const other of rest) {
        const b = shown(other.ctx);
        if (a !== b) this.violate('replicas-equal', `${first!.server} and ${other.server} differ: ${diff(first!.ctx, other.ctx, app)}`);
      }
    }

    // Durability: what clients saw answered is kept (app = log: a reply names the entry's position).
    const sync = mode === 'passive' && w.config.cluster.durability === 'sync';
    // Active: every serving replica (they are equal when `replicas-equal` passed; each is checked).
    const checked = w.sim.app !== 'log' ? [] : sync ? [contexts.find((c) => c.ctx.role === 'primary') ?? contexts[0]] : mode === 'active' ? contexts : [];
    for (const primary of checked) {
      if (primary) {
        const log = primary.ctx.state as string[];
        let missing = 0;
        let example = '';
        for (const a of this.answers) {
          const at = Number(a.result);
          if (log[at - 1] !== a.body) {
            missing += 1;
            if (example === '') {
              const where = log.indexOf(a.body);
              example = `${a.client}:${a.num} answered by ${a.server} at ${(a.at / 1000).toFixed(3)} s as entry ${a.result}, but entry ${a.result} is ${log[at - 1] ?? 'missing'} and ${a.body} is ${where < 0 ? 'not in the log' : `entry ${where + 1}`}`;
            }
          }
        }
        if (missing > 0) {
          this.violate('answered-kept', `${missing} answered requests not where their reply said (${primary.server}'s log of ${log.length}); first: ${example}`);
          break;
        }
      }
    }

    // Passive `durability = checkpoint` may lose answered requests by design (SPEC §1).
    if (sync || mode === 'active') this.checkLinearizable(contexts);
  }
}

/** Times in the history are simulated microseconds; reasons read better in seconds. */
function inSeconds(reason: string): string {
  return reason.replace(/\[(\d+), (\d+|∞)\]/g, (_, a: string, b: string) => `[${(Number(a) / 1e6).toFixed(6)} s, ${b === '∞' ? '∞' : `${(Number(b) / 1e6).toFixed(6)} s`}]`);
}

/** Where two replicas differ, in a few words. */
function diff(a: ServerContext, b: ServerContext, app: App<any>): string {
  const clients = [...new Set([...a.clients.entries(), ...b.clients.entries()].map((e) => e.client))].sort();
  const differs = (c: string) => a.clients.get(c)?.num !== b.clients.get(c)?.num || a.clients.get(c)?.reply !== b.clients.get(c)?.reply;
  const tables = clients.filter(differs).map((c) => `${c} ${a.clients.get(c)?.num ?? '-'}/${b.clients.get(c)?.num ?? '-'}`);
  if (tables.length > 0) return `client tables ${tables.join(', ')}`;
  if (a.applied !== b.applied) return `positions ${a.applied} / ${b.applied}`;
  const order = (c: ServerContext) => c.clients.entries().map((e) => e.client).join(' ');
  if (order(a) !== order(b)) return `client tables in another order: ${order(a)} / ${order(b)}`;
  if (a.state instanceof Map && b.state instanceof Map) {
    const ma = a.state as Map<string, unknown>;
    const mb = b.state as Map<string, unknown>;
    const keys = [...new Set([...ma.keys(), ...mb.keys()])].sort().filter((k) => JSON.stringify(ma.get(k)) !== JSON.stringify(mb.get(k)));
    return `kv maps differ at ${keys.map((k) => `${k} (${JSON.stringify(ma.get(k) ?? null)} / ${JSON.stringify(mb.get(k) ?? null)})`).join(', ')}`;
  }
  if (!Array.isArray(a.state) || !Array.isArray(b.state)) return `states ${app.show(a.state)} / ${app.show(b.state)}`;
  const la = a.state as string[];
  const lb = b.state as string[];
  const i = la.findIndex((x, k) => lb[k] !== x);
  return `logs of ${la.length} and ${lb.length} entries, first difference at entry ${(i < 0 ? Math.min(la.length, lb.length) : i) + 1}`;
}
