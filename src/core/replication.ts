/**
 * The replication manager's decisions (SPEC §6 Assignment, Deletion), as pure functions from the
 * membership and one event to the next membership and the commands to send. The RM machine only
 * carries these out; tests can drive every path without a network.
 */
import type { LaunchFrame, Mode, ReadyFrame, RmStatusFrame, SendCheckpointFrame, ServerStatusFrame } from '../protocol/frames.js';
import { plant } from './switches.js';

export interface Member {
  /** Reported `serving` in the current epoch (only then named to clients). */
  serving: boolean;
  /** Serving once already: a later `serving` only confirms a `ready`. */
  recovered: boolean;
}

export interface Membership {
  mode: Mode;
  epoch: number;
  /** The passive primary or the active sequencer. */
  primary: string | null;
  members: Record<string, Member>;
  /** Servers deleted and sent `launch`, until they are added again: repeated deletes launch once. */
  launched: string[];
  /**
   * Serving members deleted while others served on, the latest last, until they join again: a
   * deletion may be a cut, not a death, so each may still hold the state as it was when it went.
   * Should every replica that served after them come back without it, the latest of these is the
   * best state left (see `Choosing.holders`).
   */
  lapsed: string[];
  /**
   * Members the GFD listed in a `members` whose process may have been replaced meanwhile: no
   * `ready` goes out until each one's status says what it is (a new, booting process named primary
   * would serve its empty state).
   */
  unverified: string[];
  /**
   * Every configured server: a fresh RM waits for each (or `heartbeat_timeout`) before it chooses,
   * and only these are launched again when they go (not one a reload removed).
   */
  configured: string[];
  /**
   * The epoch in which the passive primary reported `serving` (0: none yet). Clients are sent to a
   * new primary only once it has, in the current epoch: it hears its `ready` through the GFD and
   * its LFD, and a client told of it first would be refused (`not primary`) and wait to try again.
   * The same primary in a new epoch keeps it (`carryConfirmation`).
   */
  confirmed: number;
  /**
   * The servers have data folders (docs/durability.md): whenever no member serves, the RM names the
   * member with the furthest history on disk, not the first to join. False: state in memory only.
   */
  durable: boolean;
  /**
   * While no member serves and the RM does not know who holds the state (it started afresh, or,
   * with data folders, no member serves): what the members said of their state so far.
   */
  choosing: Choosing | null;
}

/**
 * How far a member's history on disk goes (the epoch it was last written in, the position), and
 * the highest epoch it took, from its `status`; whether it holds a state it served (serving or
 * suspended) and as primary; null: it did not answer in time.
 */
export type Reach = { epoch: number; position: number; taken: number; holds: boolean; primary: boolean } | null;

export interface Choosing {
  reports: Record<string, Reach>;
  /** The wait for configured servers that are not members is over (`heartbeat_timeout`). */
  due: boolean;
  /**
   * Without data folders: who may hold the state, freshest first: the replicas that served when the
   * last of them went, then each lapsed one (the latest deleted first). The RM waits for one of the
   * first group to come back holding its state (a partition ends); only once each came back without
   * it (a new process) does it turn to the next group, and so on; when none is left the state is
   * lost. Null with data folders.
   */
  holders: string[][] | null;
}

export type Command = ReadyFrame | SendCheckpointFrame | LaunchFrame;

export interface Decision {
  next: Membership;
  commands: Command[];
  /** Lines for the operator: every replica that served is gone (the state is lost, or is chosen from disk). */
  warnings: string[];
}

/**
 * A fresh RM knows nothing of what the servers hold: the GFD and the RM may both have restarted
 * while the replicas kept their state (a partition) and their epoch. So it chooses, as from disk:
 * it asks each member, waits for every configured server (or `heartbeat_timeout`), and names the one
 * with the most state in an epoch above every one they took (simulator seed 30306, long partitions).
 */
export function initialMembership(mode: Mode, configured: string[] = [], durable = false): Membership {
  return {
    mode, epoch: 0, primary: null, members: {}, launched: [], lapsed: [], unverified: [], configured, confirmed: 0, durable,
    choosing: { reports: {}, due: false, holders: null },
  };
}

export function memberNames(m: Membership): string[] {
  return Object.keys(m.members).sort();
}

export function servingNames(m: Membership): string[] {
  return memberNames(m).filter((s) => m.members[s]!.serving);
}

/**
 * Where clients should send: the serving primary (passive) or every serving replica (active); null
 * while a passive primary serves by the RM's count but has not said so in its epoch (`confirmed`):
 * clients keep the view they have until then.
 */
export function clientServers(m: Membership): string[] | null {
  if (m.mode === 'active') return servingNames(m);
  if (m.primary === null || !m.members[m.primary]?.serving) return [];
  return m.confirmed === m.epoch ? [m.primary] : null;
}

/**
 * A new epoch with the same primary needs no new `serving` before clients are sent there: the
 * primary serves on in its old epoch until its new `ready` comes.
 */
export function carryConfirmation(prev: Membership, next: Membership): Membership {
  const same = next.primary !== null && next.primary === prev.primary && prev.confirmed === prev.epoch;
  return same && next.confirmed !== next.epoch ? { ...next, confirmed: next.epoch } : next;
}

/**
 * The `ready` frame of every member in the current epoch, marked `serving` for a member the RM
 * counts as serving: a booting process that gets such a frame is not the one the RM means (it was
 * relaunched, or its lease ran out) and drops it, so a command delayed past a relaunch cannot make
 * a fresh, empty process the primary of an epoch another process served in.
 */
export function readyFrames(m: Membership): ReadyFrame[] {
  const names = memberNames(m);
  const primary = m.primary;
  if (primary === null) return [];
  const mark = (f: ReadyFrame): ReadyFrame => (m.members[f.server]?.serving ? { ...f, serving: true } : f);
  return names.map((server) =>
    mark(server === primary
      ? { kind: 'ready', server, mode: m.mode, role: 'primary', epoch: m.epoch, peers: names.filter((s) => s !== server) }
      : {
          kind: 'ready',
          server,
          mode: m.mode,
          role: 'backup',
          epoch: m.epoch,
          peers: m.mode === 'passive' ? [primary] : names.filter((s) => s !== server),
        }),
  );
}

/** Recovery orders for every member not yet serving, from a serving replica (the primary first). */
function recoveryOrders(m: Membership): SendCheckpointFrame[] {
  const serving = servingNames(m);
  const source = m.primary !== null && m.members[m.primary]?.serving ? m.primary : serving[0];
  if (source === undefined) return [];
  return memberNames(m)
    .filter((s) => !m.members[s]!.serving)
    .map((to) => ({ kind: 'sendCheckpoint', server: source, to }));
}

/**
 * The RM's periodic look at recoveries: `send_checkpoint` again for each member that did not serve
 * at the previous look (`waiting`) and still does not. A server takes a snapshot only once its
 * `ready` made it recover, so one that overtook the `ready` was dropped; an order may also be lost
 * with a link. Nothing while a member is unverified. Returns the members to look at next time.
 */
export function retryRecoveries(m: Membership, waiting: string[]): { waiting: string[]; commands: Command[] } {
  if (m.unverified.length > 0) return { waiting: [], commands: [] };
  const notServing = memberNames(m).filter((s) => !m.members[s]!.serving);
  const commands = recoveryOrders(m).filter((c) => waiting.includes(c.to));
  return { waiting: notServing, commands };
}

/** Every `ready` again, then recovery orders for those still recovering; nothing while a member is unverified. */
function announce(m: Membership): Command[] {
  if (m.unverified.length > 0) return [];
  return [...readyFrames(m), ...recoveryOrders(m)];
}

export function onAdd(m: Membership, server: string): Decision {
  if (m.members[server]) return { next: m, commands: [], warnings: [] };
  const launched = m.launched.filter((s) => s !== server);
  const next: Membership = {
    ...m,
    launched,
    lapsed: m.lapsed.filter((s) => s !== server),
    members: { ...m.members, [server]: { serving: false, recovered: false } },
    // Once the RM knows the epoch, the first replica after a loss serves with the state it holds, as
    // the primary of a new epoch; while the RM chooses, it first asks what each one holds.
    ...(m.primary !== null || m.choosing ? {} : { primary: server, epoch: m.epoch + 1 }),
  };
  return { next, commands: announce(next), warnings: [] };
}

export function onDelete(m: Membership, server: string): Decision {
  // Only a configured server is started again: not one a reload removed, even after an RM restart.
  const launch: Command[] = m.configured.includes(server) ? [{ kind: 'launch', server }] : [];
  if (!m.members[server]) {
    // A repeated delete of one failure, or of a server never added: launch at most once.
    if (m.launched.includes(server)) return { next: m, commands: [], warnings: [] };
    return { next: { ...m, launched: [...m.launched, server] }, commands: launch, warnings: [] };
  }
  const { next, warnings } = withoutMember(m, server, []);
  return settle({ next: { ...next, launched: [...m.launched, server] }, commands: [...announce(next), ...launch], warnings });
}

/**
 * A reload of the configuration (docs/operations.md): `configured` is the new list of servers; those
 * it no longer names are never launched again (the RM drains those that are members), and one named
 * again is.
 */
export function onReconfigure(m: Membership, configured: string[]): Membership {
  return { ...m, configured, launched: m.launched.filter((s) => configured.includes(s)) };
}

/**
 * A member drained (`<S1, 4, S2;S3, leaving>`): it takes no more requests, and `handedTo` hold all it
 * answered. It goes as on a deletion, with a successor among `handedTo` when there is one, but no
 * `launch`: its process is still there, to stop once a primary serves (docs/operations.md). When it
 * has stopped, its LFD reports it deleted and the RM orders its relaunch as after any exit.
 */
export function onLeave(m: Membership, server: string, handedTo: string[]): Decision {
  if (!m.members[server]) return { next: m, commands: [], warnings: [] };
  const { next, warnings } = withoutMember(m, server, handedTo);
  return settle({ next, commands: announce(next), warnings });
}

/** The membership without `server`, a successor named if it was the primary (one of `preferred` if any serves). */
function withoutMember(m: Membership, server: string, preferred: string[]): { next: Membership; warnings: string[] } {
  const { [server]: _, ...members } = m.members;
  let next: Membership = { ...m, members, choosing: withoutReport(m.choosing, server) };
  const warnings: string[] = [];
  const holders = servingNames(m);
  if (m.members[server]!.serving && holders.length > 1) next = { ...next, lapsed: [...m.lapsed, server] };
  if (m.primary === server && m.durable && servingNames(next).length === 0) {
    // The others' histories on disk may go further than what they serve from: choose among them.
    next = startChoosing(next, {});
    if (m.members[server]!.serving) warnings.push('no replica serves any more: the RM names the one whose history on disk goes furthest');
  } else if (servingNames(next).length === 0 && holders.length > 0) {
    // The replicas that served may be cut off, not gone: a member that never held the state (a new
    // process) must not start over from its own while one of them may come back with it.
    next = startChoosing(next, {}, [holders, ...[...next.lapsed].reverse().map((s) => [s])]);
    warnings.push(`no replica serves any more: the RM waits for one that held the state (${holders.join(', ')}) before it names a primary`);
  } else if (m.primary === server) {
    const serving = servingNames(next);
    const successor = preferred.find((s) => serving.includes(s)) ?? serving[0] ?? memberNames(next)[0] ?? null;
    if (successor !== null && serving.length === 0) {
      warnings.push(`no replica serves any more: the state is lost; ${successor} starts from its own`);
      // It will serve with what it holds, as if it were the first.
      next = { ...next, members: { ...next.members, [successor]: { serving: false, recovered: false } } };
    } else if (successor === null && m.members[server]!.serving) {
      warnings.push('no replica serves any more: the state is lost; the next server to join starts from its own');
    }
    next = { ...next, primary: successor, epoch: successor === null || plant.promoteWithoutEpoch ? next.epoch : next.epoch + 1 };
  }
  return { next, warnings };
}

function withoutReport(c: Choosing | null, server: string): Choosing | null {
  if (!c || !(server in c.reports)) return c;
  const { [server]: _, ...reports } = c.reports;
  return { ...c, reports };
}

/** No member serves: none is primary until the RM has chosen the furthest history (or found a holder). */
function startChoosing(m: Membership, reports: Record<string, Reach>, holders: string[][] | null = null): Membership {
  const members = Object.fromEntries(memberNames(m).map((s) => [s, { serving: false, recovered: false }]));
  return { ...m, members, primary: null, choosing: { reports, due: false, holders } };
}

/** A member's answer to the question how far its history goes (null: none in time). */
export function onReport(m: Membership, server: string, status: ServerStatusFrame | null): Decision {
  if (!m.choosing || !m.members[server]) return { next: m, commands: [], warnings: [] };
  // Waiting for a holder, an answer that did not come says nothing: it is asked again.
  if (m.choosing.holders && status === null) return { next: m, commands: [], warnings: [] };
  const reports = { ...m.choosing.reports, [server]: reachOf(status, m.mode) };
  return settle({ next: { ...m, choosing: { ...m.choosing, reports } }, commands: [], warnings: [] });
}

/** A status without a position (no data folder) ranks below every history on disk. */
const reachOf = (status: ServerStatusFrame | null | undefined, mode: Mode): Reach =>
  status == null
    ? null
    : {
        epoch: status.durable?.epoch ?? status.epoch,
        position: status.durable?.position ?? -1,
        taken: status.durable?.taken ?? status.epoch,
        holds: status.mode === mode && (status.phase === 'ready' || status.phase === 'suspended'),
        primary: status.role === 'primary',
      };

/**
 * The wait for configured servers that did not join is over: the members that did are enough. With
 * none yet the wait is not over (the timer starts again with the first).
 */
export function onChoiceDue(m: Membership): Decision {
  if (!m.choosing || memberNames(m).length === 0) return { next: m, commands: [], warnings: [] };
  return settle({ next: { ...m, choosing: { ...m.choosing, due: true } }, commands: [], warnings: [] });
}

/** The members that have not said how far their history goes yet (the RM asks each for its status). */
export function awaitingReports(m: Membership): string[] {
  return m.choosing ? memberNames(m).filter((s) => !(s in m.choosing!.reports)) : [];
}

/**
 * Furthest first: any state before none (a history on disk, or one held in memory), then the highest
 * epoch, then the highest position, then a primary; a member that did not answer last.
 */
const rank = (r: Reach): number[] =>
  r === null ? [-1, -1, -2, 0] : [Number(r.holds || r.position >= 0), r.epoch, r.position, Number(r.primary)];

/** The best of `names` by their reports (`rank`), then by name. */
function furthest(names: string[], reports: Record<string, Reach>): string {
  const order = (a: number[], b: number[]) => b.reduce((d, x, i) => d || x - a[i]!, 0);
  return [...names].sort((a, b) => order(rank(reports[a] ?? null), rank(reports[b] ?? null)) || a.localeCompare(b))[0]!;
}

/**
 * Chooses once every member answered and every configured server is a member (or the wait is due):
 * the furthest history serves first as the primary of a new epoch and the others recover from it,
 * so a whole-cluster restart keeps whatever any replica had made durable.
 */
function settle(d: Decision): Decision {
  const m = d.next;
  const names = memberNames(m);
  if (!m.choosing || names.length === 0) return d;
  if (m.choosing.holders) return settleHolders(d, m.choosing.holders);
  if (awaitingReports(m).length > 0) return d;
  if (!m.choosing.due && !m.configured.every((s) => m.members[s])) return d;
  const primary = furthest(names, m.choosing.reports);
  return named(d, primary, {}, choiceLine(m, primary, m.choosing.reports[primary] ?? null));
}

/**
 * The choice made: `primary` serves first, in an epoch above every one any member took (even one it
 * never wrote a request in: no epoch twice), and every `ready` goes out.
 */
function named(d: Decision, primary: string, change: Partial<Membership>, lines: string[]): Decision {
  const m = d.next;
  const taken = memberNames(m).map((s) => m.choosing?.reports[s]?.taken ?? 0);
  const next: Membership = { ...m, ...change, primary, epoch: Math.max(m.epoch, ...taken) + 1, choosing: null };
  return { next, commands: [...d.commands, ...announce(next)], warnings: [...d.warnings, ...lines] };
}

/** What the choice says: nothing for a fresh cluster (nothing on any disk, nobody holding a state). */
function choiceLine(m: Membership, primary: string, reach: Reach): string[] {
  if (!m.durable) return reach?.holds ? [`${primary} holds the state (epoch ${reach.epoch}): it serves first, the others recover from it`] : [];
  if (reach === null || reach.position < 0) return [`no member said how far its history goes: ${primary} serves first`];
  if (reach.position > 0) return [`${primary} has the furthest history on disk (epoch ${reach.epoch}, position ${reach.position}): it serves first, the others recover from it`];
  return [];
}

/**
 * Without data folders: the first holder of the freshest group back with its state serves first
 * (the best of them, if several answered), the others recover from it. Once each of a group came
 * back without it, the next group's turn; once every group did, the state is lost: the furthest
 * member left serves its own.
 */
function settleHolders(d: Decision, groups: string[][]): Decision {
  const m = d.next;
  const { reports } = m.choosing!;
  const gone = (s: string) => reports[s] != null && !reports[s]!.holds;
  let back: string[] = [];
  const without: string[] = [];
  for (const group of groups) {
    back = group.filter((s) => reports[s]?.holds);
    if (back.length > 0) break;
    if (!group.every(gone)) return d;
    without.push(...group);
  }
  if (back.length === 0) {
    const primary = furthest(memberNames(m).filter((s) => s in reports), reports);
    return named(d, primary, { lapsed: [] }, [`no replica that held the state came back with it (${without.join(', ')}): the state is lost; ${primary} starts from its own`]);
  }
  const primary = furthest(back, reports);
  return named(d, primary, {}, [without.length === 0
    ? `${primary} held the state and is back: it serves first, the others recover from it`
    : `the replicas that served last came back without the state (${without.join(', ')}); ${primary} held it when it was deleted and is back: it serves first, and what they answered without it may be lost`]);
}

export function onServing(m: Membership, server: string, epoch: number): Decision {
  const member = m.members[server];
  // While the RM chooses from disk nobody serves: a recovery that completes meanwhile (from a primary
  // now gone) is done again from the chosen one, whose history may go further.
  if (!member || epoch !== m.epoch || m.choosing) return { next: m, commands: [], warnings: [] };
  // The primary says it serves in this epoch: from now on clients are sent to it.
  const confirmed = server === m.primary ? epoch : m.confirmed;
  if (member.serving) return { next: confirmed === m.confirmed ? m : { ...m, confirmed }, commands: [], warnings: [] };
  const next: Membership = { ...m, confirmed, members: { ...m.members, [server]: { serving: true, recovered: true } } };
  // A recovered replica joins everybody's peer lists as serving; a first primary just confirms.
  const recovered = server !== m.primary || member.recovered;
  return { next, commands: recovered ? announce(next) : recoveryOrders(next), warnings: [] };
}

/**
 * The GFD's whole set (SPEC §6 Restarts): what it lacks was deleted, what it adds was added, every
 * configured server that is not a member is launched, and the members it still lists are asked
 * for their status (see `unverified`) before every `ready` goes again.
 */
export function onMembers(m: Membership, servers: string[], epoch: number, configured: string[]): Decision {
  let current: Membership = { ...m, epoch: Math.max(m.epoch, epoch) };
  const warnings: string[] = [];
  const kept = memberNames(current).filter((s) => servers.includes(s));
  for (const gone of memberNames(current).filter((s) => !servers.includes(s))) {
    const d = onDelete(current, gone);
    current = d.next;
    warnings.push(...d.warnings);
  }
  for (const added of servers.filter((s) => !current.members[s])) current = onAdd(current, added).next;
  const missing = configured.filter((s) => !current.members[s]);
  current = { ...current, launched: [...new Set([...current.launched, ...missing])], unverified: kept };
  const launches: Command[] = missing.map((server) => ({ kind: 'launch', server }));
  return settle({ next: current, commands: [...announce(current), ...launches], warnings });
}

/** A status answer (null: none in time) for an unverified member: a booting process rejoins. */
export function onVerified(m: Membership, server: string, status: ServerStatusFrame | null): Decision {
  const next: Membership = { ...m, unverified: m.unverified.filter((s) => s !== server) };
  if (status?.phase === 'booting' && next.members[server]) return onRejoin(next, server);
  return { next, commands: announce(next), warnings: [] };
}

/** A counted server said `add` again and its status says `booting`: a new process under an old name. */
export function onRejoin(m: Membership, server: string): Decision {
  if (!m.members[server]) return onAdd(m, server);
  const deleted = onDelete(m, server);
  // Delete without `launch`: the new process is already running.
  const next = { ...deleted.next, launched: deleted.next.launched.filter((s) => s !== server) };
  const added = onAdd(next, server);
  return { next: added.next, commands: added.commands, warnings: deleted.warnings };
}

/**
 * A counted server reported `add` again (its LFD, or its LFD's link to the GFD, came back), with
 * its `status` (null: none in time). Booting: a new process (`onRejoin`). Otherwise the same
 * process, which may have missed what was passed down while its LFD could not take it: its `ready`
 * and the recovery orders it was to carry out or wait for go again (`ready` is idempotent at a
 * server, and its answer `serving` also stands in for one lost on the way up; a suspended server
 * serves again on it). A server counted as serving whose status says `recovering` starts its
 * assignment over, as a new process would.
 */
export function onRereport(m: Membership, server: string, status: ServerStatusFrame | null): Decision {
  const member = m.members[server];
  if (!member || status === null) return { next: m, commands: [], warnings: [] };
  if (status.phase === 'booting' || (status.phase === 'recovering' && member.serving)) return onRejoin(m, server);
  const commands = announce(m).filter(
    (c) => c.server === server || (c.kind === 'sendCheckpoint' && c.to === server),
  );
  return { next: m, commands, warnings: [] };
}

/**
 * A restarted RM's first view (SPEC §6 Restarts): the members from the GFD, each one's mode, role
 * and epoch from its `status` (null: it did not answer). It keeps the primary of the highest epoch,
 * opens an epoch above every one it has seen, sends every `ready` again and launches what is missing.
 */
export function onRestart(
  m: Membership,
  servers: string[],
  gfdEpoch: number,
  statuses: Record<string, ServerStatusFrame | null>,
  configured: string[],
): Decision {
  const known = servers.map((s) => statuses[s]).filter((st): st is ServerStatusFrame => st != null);
  // Every status that came counts for the epoch, a deleted member's too: its process may still run
  // in that epoch and would drop a `ready` of a lower one (simulator seed 30660, long partitions).
  const answered = Object.values(statuses).filter((st): st is ServerStatusFrame => st != null);
  const seen = Math.max(m.epoch, gfdEpoch, ...answered.map((st) => Math.max(st.epoch, st.durable?.taken ?? 0)));
  const ready = (s: string) => statuses[s]?.phase === 'ready' && statuses[s]?.mode === m.mode;
  // Who holds the state, best first: the latest epoch, its primary before its backups, serving
  // before suspended (a suspended replica keeps its state; one not chosen recovers, as it may have
  // missed updates while deleted). Never a booting process while one of them is there.
  const holders = known
    .filter((st) => st.mode === m.mode && (st.phase === 'ready' || st.phase === 'suspended'))
    .sort((a, b) =>
      b.epoch - a.epoch ||
      Number(b.role === 'primary') - Number(a.role === 'primary') ||
      Number(b.phase === 'ready') - Number(a.phase === 'ready') ||
      a.server.localeCompare(b.server));
  const primary = holders[0]?.server ?? [...servers].sort()[0] ?? null;
  const serving = (s: string) => ready(s) || (s === primary && holders.length > 0);
  const members: Record<string, Member> = Object.fromEntries(
    servers.map((s) => [s, { serving: serving(s), recovered: serving(s) }]),
  );
  // Members that all boot are a fresh cluster, not a loss.
  const hadState = known.some((st) => st.phase !== 'booting');
  const warnings =
    primary !== null && !serving(primary) && hadState
      ? [`no member serves: the state is lost; ${primary} starts from its own`]
      : [];
  const launched = configured.filter((s) => !servers.includes(s));
  const launches: Command[] = launched.map((server) => ({ kind: 'launch', server }));
  if (m.durable && !servers.some(ready)) {
    // Every replica restarted: the one whose history on disk goes furthest serves first.
    const reports = Object.fromEntries(servers.map((s) => [s, reachOf(statuses[s], m.mode)]));
    const next = startChoosing({ ...m, members, epoch: seen, launched, unverified: [] }, reports);
    return settle({ next, commands: launches, warnings: [] });
  }
  // A member serves: it keeps serving, and nothing is chosen from disk (that would demote it). A
  // primary that was one already takes clients at once: it serves on in its epoch until its `ready`.
  const epoch = primary === null ? seen : seen + 1;
  const confirmed = primary !== null && ready(primary) && statuses[primary]?.role === 'primary' ? epoch : m.confirmed;
  const next: Membership = { ...m, members, primary, epoch, confirmed, launched, unverified: [], choosing: null };
  return { next, commands: [...announce(next), ...launches], warnings };
}

export function statusFrame(m: Membership, configured: string[], from: string): RmStatusFrame {
  return {
    kind: 'rmStatus',
    from,
    mode: m.mode,
    primary: m.primary,
    epoch: m.epoch,
    members: configured.map((server) => {
      const member = m.members[server];
      return { server, phase: !member ? 'down' : member.serving ? 'ready' : 'recovering' };
    }),
  };
}
