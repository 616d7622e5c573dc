/**
 * SPEC §7's eight steps, for one replication style, against a cluster of real processes, and the
 * checks run after each step with the clients paused.
 *
 * Pausing: the clients are stopped with SIGSTOP between steps and continued with SIGCONT (the
 * client has no pause command); a request in flight at that moment completes on the servers'
 * side, so the checks first wait (bounded) until the serving replicas agree.
 *
 * Every wait polls a condition (events the roles printed, status frames over TCP) until it holds
 * or the step's time is up; nothing waits a fixed time and hopes.
 */
import type { App } from '../../app/app.js';
import type { ClusterConfig } from '../../config/types.js';
import { encodeFrame } from '../../protocol/codec.js';
import type { Mode, RmStatusFrame, ServerStatusFrame } from '../../protocol/frames.js';
import { isAlive, pollUntil, processState, signalPid } from './liveness.js';
import { eventText } from './output.js';
import { queryLeaderRm, queryServer, reachable } from '../../transport/query.js';
import { StartError, startGfd, startLfd, startRm } from './start.js';
import type { RoleEvent, Supervisor } from './supervisor.js';

export class StepFailure extends Error {
  override name = 'StepFailure';
}

export interface ScenarioOptions {
  mode: Mode;
  config: ClusterConfig;
  app: App<any>;
  stepTimeoutMs: number;
  /** Answered requests each client must get in a "clients go on" wait. */
  progress: number;
}

export interface Step {
  title: string;
  run: () => Promise<void>;
}

/** Where a reply came from, as a client printed it. */
interface Answer {
  client: string;
  num: number;
  server: string;
  result: string;
  seq: number;
}

interface Snapshot {
  rm: RmStatusFrame;
  statuses: ServerStatusFrame[];
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export class Scenario {
  readonly servers: string[];
  readonly clients: string[];
  /** Evidence lines of the step that runs, printed with its result. */
  evidence: string[] = [];
  private deadline = 0;
  private readonly app: App<any>;
  private readonly mode: Mode;
  private readonly config: ClusterConfig;
  /** Replicas killed so far, in order (the steps refer back to them). */
  private readonly killed: string[] = [];
  private primaryAtStart = '';

  constructor(
    private readonly sup: Supervisor,
    private readonly opts: ScenarioOptions,
  ) {
    this.config = opts.config;
    this.mode = opts.mode;
    this.app = opts.app;
    this.servers = opts.config.servers.map((s) => s.name);
    this.clients = opts.config.clients.map((c) => c.name);
  }

  private aborted = false;

  /** Ctrl-C: every wait ends at once (as a failure). */
  abort(): void {
    this.aborted = true;
  }

  /** Starts a step's clock. */
  begin(): void {
    this.evidence = [];
    this.deadline = Date.now() + this.opts.stepTimeoutMs;
  }

  note(line: string): void {
    this.evidence.push(line);
  }

  // -------------------------------------------------------------------------------------------
  // The steps

  steps(): Step[] {
    const [a, b, c] = this.servers as [string, string, string];
    const all = this.servers.join(', ');
    const seqWord = this.mode === 'active' ? 'sequencer' : 'primary';
    const common: Step[] = [
      { title: `RM starts (${this.mode})`, run: () => this.stepRm() },
      { title: 'GFD starts', run: () => this.stepGfd() },
      { title: `the LFDs launch ${all}; each serves, ${a} ${seqWord}; RM prints ${this.servers.length} members`, run: () => this.stepLfds() },
    ];
    if (this.mode === 'active') {
      return [
        ...common,
        { title: `${this.clients.join(', ')} get replies from all replicas, duplicates discarded`, run: () => this.stepClientsActive() },
        { title: `kill -9 ${b}: clients go on with the others, RM drops it, its LFD relaunches it`, run: () => this.stepKill(b, false) },
        { title: `${b} recovers and serves with the same state as the others`, run: () => this.stepRecovered(b) },
        { title: `kill -9 the recovered ${b} again: it comes back again`, run: () => this.stepKill(b, true) },
        { title: `kill -9 a second replica, ${c}: the rest serve and the clients go on`, run: () => this.stepKill(c, true) },
      ];
    }
    return [
      ...common,
      { title: `${this.clients.join(', ')} send to the primary, which checkpoints to its backups`, run: () => this.stepClientsPassive() },
      { title: 'kill -9 the primary: the RM promotes a backup, clients find the new primary', run: () => this.stepKillPrimary() },
      { title: 'the old primary is relaunched and rejoins as a backup with the current state', run: () => this.stepRejoin() },
      { title: 'kill -9 the recovered replica', run: () => this.stepKill(this.killed[0] ?? a, false) },
      { title: 'kill -9 the second backup: the primary serves alone until the others are back', run: () => this.stepKillSecondBackup() },
    ];
  }

  private async stepRm(): Promise<void> {
    const m = await this.guardStart(() => startRm(this.sup, this.config, 'RM', this.left()));
    const rm = await this.rmStatus();
    this.note(`RM (pid ${m.pid}) answers ${encodeFrame(rm)}`);
    if (rm.mode !== this.mode) throw new StepFailure(`RM runs in ${rm.mode} mode, not ${this.mode}`);
    if (this.live(rm).length !== 0) throw new StepFailure(`RM counts members already: ${this.membersText(rm)}`);
    await this.waitEvent('RM to print "RM: 0 members"', (e) => e.name === 'RM' && e.event === 'members' && (e.data.members as string[]).length === 0);
    this.note(`RM printed "${this.lastText('RM', 'members')}"`);
  }

  private async stepGfd(): Promise<void> {
    const m = await this.guardStart(() => startGfd(this.sup, this.config, 'GFD', this.left()));
    const at = reachable(this.config.gfds[0]!);
    this.note(`GFD (pid ${m.pid}) listens on ${at.host}:${at.port}`);
    await this.waitEvent('GFD to print "GFD: 0 members"', (e) => e.name === 'GFD' && e.event === 'members' && (e.data.members as string[]).length === 0);
    this.note(`GFD printed "${this.lastText('GFD', 'members')}"`);
    const rm = await this.rmStatus();
    if (this.live(rm).length !== 0) throw new StepFailure(`RM counts members already: ${this.membersText(rm)}`);
    this.note(`RM: ${this.membersText(rm)}`);
  }

  private async stepLfds(): Promise<void> {
    const [first, ...rest] = this.config.lfds;
    if (!first) throw new StepFailure('no LFD configured');
    // The first LFD alone, until its server is assigned: SPEC §7 has S1 as the primary (sequencer).
    await this.guardStart(() => startLfd(this.sup, this.config, first.name, this.left()));
    await this.until(`the RM to assign ${first.server}`, async () => {
      const rm = await this.rmStatus();
      return rm.primary === first.server && rm.members.some((m) => m.server === first.server && m.phase === 'ready') ? rm : undefined;
    });
    await this.guardStart(() => Promise.all(rest.map((l) => startLfd(this.sup, this.config, l.name, this.left()))));
    const rm = await this.until(`the RM to count ${this.servers.join(', ')} as ready`, async () => {
      const s = await this.rmStatus();
      const ready = s.members.filter((m) => m.phase === 'ready').map((m) => m.server);
      return same(ready, this.servers) ? s : undefined;
    });
    for (const l of this.config.lfds) {
      const pid = this.sup.servers.get(l.server)?.pid;
      this.note(`${l.name} (pid ${this.sup.pidOf(l.name)}) launched ${l.server} (pid ${pid})`);
    }
    if (rm.primary !== first.server) throw new StepFailure(`the RM's ${this.seqWord()} is ${rm.primary}, not ${first.server}`);
    this.primaryAtStart = rm.primary;
    await this.waitMembersPrinted('RM', this.servers);
    await this.waitMembersPrinted('GFD', this.servers);
    await this.settledCheck();
  }

  private async stepClientsPassive(): Promise<void> {
    const since = this.sup.mark();
    const primary = this.primaryAtStart;
    const backups = this.servers.filter((s) => s !== primary);
    for (const c of this.clients) this.note(`${c} started (pid ${this.sup.start(c, 'client').pid})`);
    await this.waitAnswers(since, this.opts.progress + 2, null);
    const elsewhere = this.answers(since).filter((a) => a.server !== primary);
    if (elsewhere.length > 0) {
      const x = elsewhere[0]!;
      throw new StepFailure(`${x.client}'s request ${x.num} was answered by ${x.server}, not by the primary ${primary}`);
    }
    this.note(`every reply came from the primary ${primary}`);
    // Periodic checkpoints with requests in them, to every backup.
    const empty = this.app.show(this.app.initial());
    for (const b of backups) {
      const e = await this.waitEvent(
        `${b} to take a checkpoint from ${primary} with requests in it`,
        (e) => e.name === b && e.event === 'checkpoint.taken' && e.data.from === primary && e.data.state !== empty,
        since,
      );
      this.note(`${b} took checkpoint #${String(e.data.number)} from ${primary}: "${eventText(e.data)}"`);
    }
    const sent = this.sup.events((e) => e.name === primary && e.event === 'checkpoint.sent', since);
    this.note(`${primary} sent ${sent.length} checkpoints during this step (every ${this.config.cluster.checkpointFreqMs / 1000} s to each backup)`);
    await this.settledCheck();
  }

  private async stepClientsActive(): Promise<void> {
    const since = this.sup.mark();
    for (const c of this.clients) this.note(`${c} started (pid ${this.sup.start(c, 'client').pid})`);
    await this.waitAnswers(since, this.opts.progress, null);
    // Replies from every replica: the first one kept, the later ones discarded as duplicates.
    await this.until('every client to hear from every replica and discard duplicates', async () => {
      for (const c of this.clients) {
        const heard = this.heardFrom(c, since);
        if (!this.servers.every((s) => heard.has(s))) return undefined;
        if (this.duplicates(c, since).length === 0) return undefined;
      }
      return true;
    }, () => this.clients.map((c) => `${c} heard from ${[...this.heardFrom(c, since)].join(', ') || 'nobody'}, ${this.duplicates(c, since).length} duplicates`).join('; '));
    for (const c of this.clients) {
      const first = new Map<string, number>();
      for (const a of this.answers(since).filter((a) => a.client === c)) first.set(a.server, (first.get(a.server) ?? 0) + 1);
      const dups = this.duplicates(c, since);
      this.note(
        `${c}: first replies from ${[...first].map(([s, n]) => `${s} x${n}`).join(', ')}; ${dups.length} later replies discarded ` +
          `(e.g. "${eventText(dups[0]!.data)}")`,
      );
    }
    await this.settledCheck();
  }

  /** Kills `victim`; the clients go on without it; the RM drops it; its LFD relaunches it. */
  private async stepKill(victim: string, waitForReturn: boolean): Promise<void> {
    this.resumeClients();
    const since = this.sup.mark();
    const base = this.lastAnswered();
    const pid = await this.kill(victim);
    const survivors = this.servers.filter((s) => s !== victim);
    await this.waitDropped(victim, since);
    await this.waitGoOn(base, since, survivors);
    const launch = await this.waitEvent(`${victim}'s LFD to launch it again`, (e) => e.event === 'lfd.launching' && e.data.server === victim && e.data.pid !== pid, since);
    this.note(`${launch.source} relaunched ${victim}: "${eventText(launch.data)}"`);
    if (waitForReturn) await this.waitBack(victim, since);
    await this.settledCheck();
  }

  private async stepKillPrimary(): Promise<void> {
    this.resumeClients();
    const before = await this.rmStatus();
    const victim = before.primary;
    if (victim === null) throw new StepFailure('the RM names no primary');
    const expected = before.members.filter((m) => m.phase === 'ready' && m.server !== victim).map((m) => m.server).sort()[0];
    const since = this.sup.mark();
    const base = this.lastAnswered();
    await this.kill(victim);
    const rm = await this.until('the RM to name a new primary', async () => {
      const s = await this.rmStatus();
      return s.primary !== null && s.primary !== victim ? s : undefined;
    });
    const promoted = this.sup.events((e) => e.name === 'RM' && e.event === 'rm.primary', since).pop();
    this.note(`RM promoted ${rm.primary} in epoch ${rm.epoch}${promoted ? `: "${eventText(promoted.data)}"` : ''}`);
    if (rm.primary !== expected) throw new StepFailure(`the RM promoted ${rm.primary}, not ${expected} (the serving backup whose name sorts first)`);
    if (rm.epoch <= before.epoch) throw new StepFailure(`the new primary's epoch ${rm.epoch} is not above ${before.epoch}`);
    await this.waitDropped(victim, since);
    await this.waitGoOn(base, since, [rm.primary]);
    this.note(`the clients found ${rm.primary}: their replies now come from it`);
    await this.settledCheck();
  }

  private async stepRejoin(): Promise<void> {
    this.resumeClients();
    const old = this.killed[this.killed.length - 1]!;
    const killedAt = this.killMarks.get(old) ?? 0;
    const launch = await this.waitEvent(`${old}'s LFD to launch it again`, (e) => e.event === 'lfd.launching' && e.data.server === old, killedAt);
    this.note(`${launch.source} relaunched ${old}: "${eventText(launch.data)}"`);
    await this.waitBack(old, killedAt, 'backup');
    await this.settledCheck();
  }

  private async stepKillSecondBackup(): Promise<void> {
    this.resumeClients();
    const before = await this.rmStatus();
    const primary = before.primary;
    if (primary === null) throw new StepFailure('the RM names no primary');
    const recovered = this.killed[this.killed.length - 1];
    const victim = this.servers.filter((s) => s !== primary && s !== recovered).pop();
    if (!victim) throw new StepFailure('no second backup to kill');
    const since = this.sup.mark();
    const base = this.lastAnswered();
    await this.kill(victim);
    await this.waitDropped(victim, since);
    await this.waitGoOn(base, since, [primary]);
    this.note(`the primary ${primary} goes on serving the clients`);
    const alone = this.sup.events((e) => e.name === 'RM' && e.event === 'members' && same(e.data.members as string[], [primary]), since);
    this.note(alone.length > 0
      ? `the primary served alone for a while: RM printed "${eventText(alone[0]!.data)}"`
      : `${recovered} was back before ${victim} was dropped, so the primary always had a backup`);
    // Until the others are back: every replica ready again, the clients going on.
    for (const s of this.servers.filter((s) => s !== primary)) await this.waitBack(s, this.killMarks.get(s) ?? since, 'backup');
    await this.settledCheck();
  }

  private async stepRecovered(server: string): Promise<void> {
    this.resumeClients();
    await this.waitBack(server, this.killMarks.get(server) ?? 0);
    await this.settledCheck();
  }

  /** The final check, with the clients stopped: every answer any client ever saw. */
  async finalCheck(): Promise<void> {
    for (const c of this.clients) this.sup.signal(c, 'SIGTERM');
    for (const c of this.clients) {
      const m = this.sup.members.get(c);
      if (!m) continue;
      const closed = await Promise.race([m.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), this.left()))]);
      if (!closed) throw new StepFailure(`${c} (pid ${m.pid}) did not stop on SIGTERM`);
      if (m.exit?.code !== 0) throw new StepFailure(`${c} exited with ${m.exit?.signal ?? `code ${m.exit?.code}`}, not 0`);
    }
    this.note(`the clients stopped (exit 0); ${this.answers(0).length} requests were answered in all`);
    await this.settledCheck(false);
  }

  // -------------------------------------------------------------------------------------------
  // Waiting

  private left(): number {
    return Math.max(1, this.deadline - Date.now());
  }

  /** Polls `probe` until it returns a value (not undefined) or the step's time is up. */
  private async until<T>(what: string, probe: () => Promise<T | undefined>, detail: () => string = () => ''): Promise<T> {
    let value: T | undefined;
    let lastError = '';
    const ok = await pollUntil(
      async () => {
        if (this.aborted) return true;
        try {
          value = await probe();
          lastError = '';
          return value !== undefined;
        } catch (err) {
          lastError = (err as Error).message;
          return false;
        }
      },
      this.left(),
      50,
    );
    if (this.aborted) throw new StepFailure('interrupted');
    if (ok) return value as T;
    const d = [detail(), lastError].filter((x) => x !== '').join('; ');
    throw new StepFailure(`timed out waiting for ${what}${d ? ` (${d})` : ''}`);
  }

  private waitEvent(what: string, pred: (e: RoleEvent) => boolean, since = 0): Promise<RoleEvent> {
    return this.until(what, async () => this.sup.events(pred, since)[0]);
  }

  private async guardStart<T>(start: () => Promise<T>): Promise<T> {
    try {
      return await start();
    } catch (err) {
      if (err instanceof StartError) throw new StepFailure(err.message);
      throw err;
    }
  }

  private async rmStatus(): Promise<RmStatusFrame> {
    return queryLeaderRm(this.config, Math.min(2000, this.left()));
  }

  private async serverStatus(name: string): Promise<ServerStatusFrame> {
    const at = reachable(this.config.servers.find((s) => s.name === name)!);
    return queryServer(at.host, at.port, name, Math.min(2000, this.left()), this.config.cluster.tls);
  }

  private async waitMembersPrinted(who: 'RM' | 'GFD', members: string[]): Promise<void> {
    const e = await this.waitEvent(`${who} to print ${members.length} members: ${members.join(', ')}`, (e) => e.name === who && e.event === 'members' && same(e.data.members as string[], members));
    this.note(`${who} printed "${eventText(e.data)}"`);
  }

  /** The LFD reports the failure, the GFD and the RM drop the server. */
  private async waitDropped(victim: string, since: number): Promise<void> {
    const failed = await this.waitEvent(`${victim}'s LFD to report it failed`, (e) => e.event === 'lfd.failed' && e.data.server === victim, since);
    this.note(`${failed.source} printed "${eventText(failed.data)}"`);
    for (const who of ['GFD', 'RM'] as const) {
      const e = await this.waitEvent(`${who} to drop ${victim}`, (e) => e.name === who && e.event === 'members' && !(e.data.members as string[]).includes(victim), since);
      this.note(`${who} printed "${eventText(e.data)}"`);
    }
  }

  /**
   * `server` is back: relaunched (a new pid), counted ready by the RM, ready itself in the RM's
   * epoch (with `role` when given), and the clients go on afterwards (and, in active mode, reach it).
   */
  private async waitBack(server: string, since: number, role?: 'backup' | 'primary'): Promise<void> {
    const oldPid = this.killedPids.get(server);
    const rm = await this.until(`the RM to count ${server} ready again`, async () => {
      const s = await this.rmStatus();
      return s.members.some((m) => m.server === server && m.phase === 'ready') ? s : undefined;
    });
    const st = await this.until(`${server} to serve in epoch ${rm.epoch}`, async () => {
      const s = await this.serverStatus(server);
      return s.phase === 'ready' && s.epoch >= rm.epoch ? s : undefined;
    });
    if (oldPid !== undefined && st.pid === oldPid) throw new StepFailure(`${server} still runs as the killed pid ${oldPid}`);
    if (role && st.role !== role) throw new StepFailure(`${server} came back as ${st.role}, not ${role}`);
    const how = this.sup.events((e) => e.name === server && (e.event === 'server.recovered' || e.event === 'checkpoint.taken'), since)[0];
    this.note(`${server} is back as pid ${st.pid}: ${st.mode} ${st.role}, ${st.phase}, epoch ${st.epoch}${how ? `; "${eventText(how.data)}"` : ''}`);
    const mark = this.sup.mark();
    const base = this.lastAnswered();
    if (this.mode === 'active') {
      await this.until(`every client to hear from ${server} again`, async () => (this.clients.every((c) => this.heardFrom(c, mark).has(server)) ? true : undefined));
      this.note(`every client hears from ${server} again`);
    }
    await this.waitGoOn(base, mark, null);
  }

  private readonly killMarks = new Map<string, number>();
  private readonly killedPids = new Map<string, number>();

  private async kill(server: string): Promise<number> {
    const proc = this.sup.servers.get(server);
    if (!proc || !isAlive(proc.pid)) throw new StepFailure(`${server} is not running`);
    this.killMarks.set(server, this.sup.mark());
    this.killedPids.set(server, proc.pid);
    this.killed.push(server);
    signalPid(proc.pid, 'SIGKILL');
    this.note(`kill -9 ${server} (pid ${proc.pid})`);
    await this.until(`${server} (pid ${proc.pid}) to die`, async () => (isAlive(proc.pid) ? undefined : true));
    return proc.pid;
  }

  // -------------------------------------------------------------------------------------------
  // Clients

  private answers(since: number): Answer[] {
    return this.sup.events((e) => e.event === 'client.received', since).map((e) => {
      const r = e.data.request as { client: string; num: number; server: string };
      return { client: r.client, num: r.num, server: r.server, result: String(e.data.result), seq: e.seq };
    });
  }

  private duplicates(client: string, since: number): RoleEvent[] {
    return this.sup.events((e) => e.event === 'client.duplicate' && e.name === client, since);
  }

  /** Servers a client got a reply from (kept or discarded) since `since`. */
  private heardFrom(client: string, since: number): Set<string> {
    const heard = new Set(this.answers(since).filter((a) => a.client === client).map((a) => a.server));
    for (const d of this.duplicates(client, since)) heard.add(String(d.data.server));
    return heard;
  }

  /** Each client's highest answered number so far. */
  private lastAnswered(): Map<string, number> {
    const last = new Map(this.clients.map((c) => [c, 0]));
    for (const a of this.answers(0)) last.set(a.client, Math.max(last.get(a.client) ?? 0, a.num));
    return last;
  }

  /** Each client gets `n` answers since `since` (from one of `from`, when given). */
  private async waitAnswers(since: number, n: number, from: string[] | null): Promise<void> {
    const count = (c: string) => this.answers(since).filter((a) => a.client === c && (from === null || from.includes(a.server))).length;
    await this.until(`each client to get ${n} replies${from ? ` from ${from.join(' or ')}` : ''}`, async () => (this.clients.every((c) => count(c) >= n) ? true : undefined), () =>
      this.clients.map((c) => `${c}: ${count(c)}`).join(', '),
    );
  }

  /** The clients go on: each is answered `progress` more numbers past `base`, by one of `from`. */
  private async waitGoOn(base: Map<string, number>, since: number, from: string[] | null): Promise<void> {
    const top = (c: string) => Math.max(0, ...this.answers(since).filter((a) => a.client === c && (from === null || from.includes(a.server))).map((a) => a.num));
    const need = (c: string) => (base.get(c) ?? 0) + this.opts.progress;
    await this.until(`the clients to go on${from ? ` with ${from.join(', ')}` : ''}`, async () => (this.clients.every((c) => top(c) >= need(c)) ? true : undefined), () =>
      this.clients.map((c) => `${c} at ${top(c)}, needs ${need(c)}`).join(', '),
    );
    this.note(`the clients go on: ${this.clients.map((c) => `${c} ${base.get(c) ?? 0} → ${top(c)}`).join(', ')}`);
  }

  pauseRunningClients(): Promise<void> {
    return this.pauseClients();
  }

  private async pauseClients(): Promise<void> {
    const pids = this.clients.map((c) => this.sup.pidOf(c)).filter((p): p is number => p !== null);
    for (const pid of pids) signalPid(pid, 'SIGSTOP');
    const ok = await pollUntil(() => pids.every((p) => processState(p) !== 'running'), Math.min(2000, this.left()), 10);
    if (!ok) throw new StepFailure('the clients did not stop on SIGSTOP');
  }

  resumeClients(): void {
    for (const c of this.clients) {
      const pid = this.sup.pidOf(c);
      if (pid !== null) signalPid(pid, 'SIGCONT');
    }
  }

  // -------------------------------------------------------------------------------------------
  // The checks after a step

  /**
   * With the clients paused: waits (bounded) until the replicas the RM counts ready agree, then
   * checks what they agree on: the same state and client table (active mode too: the sequencer's
   * total order, docs/ordering.md). With `app = log`: every log holds exactly the requests of its
   * client table, once each, and every request a client saw answered is in it, at the position it
   * was told.
   */
  async settledCheck(pause = true): Promise<void> {
    if (pause) await this.pauseClients();
    let why = '';
    const snap = await this.until<Snapshot>('the serving replicas to agree', async () => {
      const rm = await this.rmStatus();
      const serving = rm.members.filter((m) => m.phase === 'ready').map((m) => m.server);
      if (serving.length === 0) return void (why = 'no replica serves');
      const statuses = await Promise.all(serving.map((s) => this.serverStatus(s)));
      const d = this.disagreement(rm, statuses);
      if (d !== null) return void (why = d);
      return { rm, statuses };
    }, () => why);
    this.note(`RM: ${this.membersText(snap.rm)}`);
    const gfd = this.sup.events((e) => e.name === 'GFD' && e.event === 'members').pop();
    if (gfd) this.note(`GFD: last printed "${eventText(gfd.data)}"`);
    for (const s of snap.statuses) this.note(this.statusText(s));
    const answers = this.answers(0);
    const progress = this.lastAnswered();
    if (answers.length > 0) {
      this.note(`clients: ${this.clients.map((c) => `${c} answered up to #${progress.get(c)}`).join(', ')} (${answers.length} answers in all)`);
    }
    this.note(`checks: ${this.verify(snap, answers).join('; ')}`);
  }

  /** The members the RM counts (its status lists every configured server, `down` when not one). */
  private live(rm: RmStatusFrame): string[] {
    return rm.members.filter((m) => m.phase !== 'down').map((m) => m.server);
  }

  private disagreement(rm: RmStatusFrame, statuses: ServerStatusFrame[]): string | null {
    const first = statuses[0]!;
    for (const s of statuses) {
      if (s.phase !== 'ready') return `${s.server} is ${s.phase}`;
      if (s.epoch !== rm.epoch) return `${s.server} is in epoch ${s.epoch}, the RM in ${rm.epoch}`;
      if (this.numbers(s) !== this.numbers(first)) return `client tables differ: ${statuses.map((x) => `${x.server} ${this.numbers(x) || '-'}`).join(', ')}`;
      if (s.state !== first.state) return `states differ: ${statuses.map((x) => `${x.server} ${this.shown(x)}`).join(', ')}`;
    }
    return null;
  }

  /** The checks on the agreed state; throws StepFailure; returns what was checked. */
  private verify(snap: Snapshot, answers: Answer[]): string[] {
    const names = snap.statuses.map((s) => s.server).join(', ');
    const done: string[] = [`states and client tables equal on ${names}`];
    const inState = this.mode === 'active' || this.config.cluster.durability === 'sync';
    if (this.config.cluster.app !== 'log') {
      for (const s of snap.statuses) {
        // The status app: the state is the last request applied, the saved replies are the requests.
        for (const c of s.clients) {
          if (c.reply !== this.body(c.client, c.num)) throw new StepFailure(`${s.server}'s saved reply for ${c.client} ${c.num} is '${c.reply}', not '${this.body(c.client, c.num)}'`);
        }
        if (s.clients.length > 0 && !s.clients.some((c) => this.body(c.client, c.num) === s.state)) {
          throw new StepFailure(`${s.server}'s state '${s.state}' is none of its clients' last requests`);
        }
        for (const a of answers) {
          const num = s.clients.find((c) => c.client === a.client)?.num ?? 0;
          if (inState && num < a.num) throw new StepFailure(`${a.client}'s request ${a.num} was answered, but ${s.server}'s client table has ${a.client} at ${num}`);
        }
      }
      done.push('every state is the last request of a client in its table');
      if (inState && answers.length > 0) done.push(`every answered request is in every client table`);
      return done;
    }
    for (const s of snap.statuses) {
      const entries = this.app.restore(s.state) as string[];
      const where = new Map<string, number[]>();
      entries.forEach((body, i) => where.set(body, [...(where.get(body) ?? []), i + 1]));
      for (const [body, at] of where) {
        if (at.length > 1) throw new StepFailure(`${s.server}'s log holds '${body}' ${at.length} times (positions ${at.join(', ')}): a request applied twice`);
      }
      // Exactly the requests of the client table: 1…last of each client, nothing else. (Under
      // durability = checkpoint a failover may lose the last requests: then only "not twice".)
      let expected = 0;
      for (const c of s.clients) {
        for (let n = 1; n <= c.num; n++) {
          const body = this.body(c.client, n);
          if (inState && !where.has(body)) throw new StepFailure(`${s.server}'s client table has ${c.client} at ${c.num}, but its log misses request ${n} ('${body}')`);
        }
        expected += c.num;
        if (entries[Number(c.reply) - 1] !== this.body(c.client, c.num)) {
          throw new StepFailure(`${s.server}'s saved reply for ${c.client} ${c.num} is position ${c.reply}, which holds '${entries[Number(c.reply) - 1]}'`);
        }
      }
      if (inState && entries.length !== expected) {
        const strays = entries.filter((b) => !s.clients.some((c) => { const n = this.numberOf(c.client, b); return n !== null && n <= c.num; }));
        throw new StepFailure(`${s.server}'s log has ${entries.length} entries, its client table accounts for ${expected}: ${strays.slice(0, 3).join(', ')}`);
      }
      for (const a of answers) {
        const body = this.body(a.client, a.num);
        const at = where.get(body);
        if (inState && !at) throw new StepFailure(`${a.client}'s request ${a.num} was answered by ${a.server} (position ${a.result}), but '${body}' is not in ${s.server}'s log`);
        if (at && at[0] !== Number(a.result)) {
          throw new StepFailure(`${a.client}'s request ${a.num} was answered by ${a.server} with position ${a.result}, but it is at position ${at[0]} in ${s.server}'s log`);
        }
      }
    }
    done.push(inState
      ? 'every log holds each request of its client table exactly once (none applied twice, none missing)'
      : 'no request applied twice (durability = checkpoint: a failover may lose the last requests, so none are required)');
    if (answers.length > 0) {
      if (inState) done.push(`all ${answers.length} answered requests are in every log, each at the position its client was told`);
    }
    return done;
  }

  // -------------------------------------------------------------------------------------------
  // Text

  private seqWord(): string {
    return this.mode === 'active' ? 'sequencer' : 'primary';
  }

  private body(client: string, num: number): string {
    const message = this.config.clients.find((c) => c.name === client)?.message ?? '';
    return `${message}${num}`;
  }

  private numberOf(client: string, body: string): number | null {
    const message = this.config.clients.find((c) => c.name === client)?.message ?? '';
    if (!body.startsWith(message)) return null;
    const rest = body.slice(message.length);
    return /^[1-9][0-9]*$/.test(rest) ? Number(rest) : null;
  }

  private numbers(s: ServerStatusFrame): string {
    return s.clients.map((c) => `${c.client}:${c.num}`).join(' ');
  }

  private shown(s: ServerStatusFrame): string {
    try {
      const state = this.app.restore(s.state);
      if (this.config.cluster.app !== 'log') return `'${this.app.show(state)}'`;
      const entries = state as string[];
      return `${entries.length} entries${entries.length > 0 ? ` (last '${entries[entries.length - 1]}')` : ''}`;
    } catch {
      return `'${s.state}'`;
    }
  }

  private statusText(s: ServerStatusFrame): string {
    return `${s.server} (pid ${s.pid}): ${s.mode ?? '-'} ${s.role ?? '-'}, ${s.phase}, epoch ${s.epoch}, checkpoint ${s.checkpoint}, ` +
      `state ${this.shown(s)}, clients ${this.numbers(s) || '-'}`;
  }

  private membersText(rm: RmStatusFrame): string {
    const members = rm.members.map((m) => `${m.server}:${m.phase}`).join(' ') || 'none';
    return `${rm.mode}, ${this.seqWord()} ${rm.primary ?? '-'}, epoch ${rm.epoch}, members ${members}`;
  }

  private lastText(name: string, event: string): string {
    const e = this.sup.events((e) => e.name === name && e.event === event).pop();
    return e ? eventText(e.data) : '';
  }
}
