/**
 * Helpers for whole-cluster failure tests (failover, recovery, restart): start RM, GFD and three
 * LFDs whose servers run through the in-process launcher; collect what every client was answered;
 * stop the clients and compare the answers with every serving replica's log (`app = log`: a reply
 * is the position of the request's entry, so "applied once" and "not lost" are visible); freeze and
 * thaw an actor as SIGSTOP / SIGCONT would.
 */
import { expect } from 'chai';
import type { AnyActorRef } from 'xstate';
import type { ClientRecord } from '../../src/core/client-table.js';
import type { MemoryNetwork } from '../../src/transport/memory.js';
import { describeBoth, Harness, MESSAGE, SERVERS, phaseOf, type ClientActor, type GfdActor, type LfdActor, type Role, type RmActor, type ServerActor } from './harness.js';

export interface Cluster {
  rm: Role<RmActor>;
  gfd: Role<GfdActor>;
  lfds: Record<string, Role<LfdActor>>;
}

export const LFDS = ['LFD1', 'LFD2', 'LFD3'] as const;

/** The RM's view of one server: a member that reported `serving` in the current epoch. */
export function rmServing(rm: Role<RmActor>, server: string): boolean {
  return rm.actor.getSnapshot().context.membership.members[server]?.serving === true;
}

/** Servers started by hand (watched by an LFD with `--no-launch`), per harness. */
const byHand = new WeakMap<Harness, Map<string, Role<ServerActor>>>();

/** The running server machine of a server: launched by its LFD, or started by hand. */
export function serverRole(h: Harness, server: string): Role<ServerActor> | null {
  const launched = h.current(server)?.role;
  if (launched) return launched;
  const manual = byHand.get(h)?.get(server);
  return manual && manual.actor.getSnapshot().status === 'active' ? manual : null;
}

export function phaseOfServer(h: Harness, server: string) {
  const role = serverRole(h, server);
  return role ? phaseOf(role) : null;
}

/** Every configured server runs, is ready, and the RM and the GFD count it (the RM as serving). */
export function allBack(h: Harness, rm: Role<RmActor>): boolean {
  return (
    SERVERS.every((s) => phaseOfServer(h, s) === 'ready' && rmServing(rm, s)) &&
    h.members('RM')?.length === SERVERS.length &&
    h.members('GFD')?.length === SERVERS.length
  );
}

/** Kills `server`'s process, waits until its LFD launched a new one and all three serve again, and returns the new one. */
export async function relaunched(h: Harness, rm: Role<RmActor>, server: string): Promise<NonNullable<ReturnType<Harness['current']>>> {
  const launches = h.launched(server).length;
  h.current(server)!.kill();
  await h.until(() => h.launched(server).length === launches + 1 && allBack(h, rm), `a new ${server} serving`, 8000);
  return h.current(server)!;
}

/**
 * RM, GFD and LFD1–LFD3, each launching its server; resolves once all three serve. The servers of
 * the LFDs in `byHand` are started by hand instead, their LFDs with `--no-launch` (they watch the
 * process and report it, but cannot kill or start it).
 */
export async function startCluster(h: Harness, opts: { byHand?: string[] } = {}): Promise<Cluster> {
  const rm = h.rm();
  const gfd = h.gfd();
  const manual = new Map<string, Role<ServerActor>>();
  byHand.set(h, manual);
  const lfds: Record<string, Role<LfdActor>> = {};
  LFDS.forEach((l, i) => {
    const launch = !(opts.byHand ?? []).includes(l);
    if (!launch) manual.set(SERVERS[i]!, h.server(SERVERS[i]!));
    lfds[l] = h.lfd(l, launch);
  });
  await h.until(() => allBack(h, rm), 'three serving members', 8000);
  return { rm, gfd, lfds };
}

/** What one request of a client carries: request n is `message` + n. */
export const bodyOf = (client: string, num: number) => `${MESSAGE[client]}${num}`;

export interface Answer {
  client: string;
  num: number;
  /** The reply: the 1-based position of the request's entry in the log of the replica that answered. */
  result: string;
  server: string;
  at: number;
  seq: number;
}

/** Every answered request of every client (all processes of that name), from `client.received`. */
export function answers(h: Harness, client?: string): Answer[] {
  return h
    .logged('client.received', client)
    .map((l) => ({ client: l.by, num: l.event.request.num, result: l.event.result, server: l.event.request.server, at: l.at, seq: l.seq }));
}

export const received = (h: Harness, client: string) => h.logged('client.received', client).length;

/** Wait until every client in `clients` has `n` more answers than now. */
export async function moreAnswers(h: Harness, clients: string[], n = 3, ms = 5000): Promise<void> {
  const base = Object.fromEntries(clients.map((c) => [c, received(h, c)]));
  await h.until(() => clients.every((c) => received(h, c) >= base[c]! + n), `${n} more answers for ${clients.join(', ')}`, ms);
}

export interface ReplicaView {
  server: string;
  pid: number;
  log: string[];
  clients: Record<string, ClientRecord>;
  epoch: number;
}

/** A server machine's log and client table (`context.state` is the log array with `app = log`). */
export function viewOf(server: string, pid: number, role: Role<ServerActor>): ReplicaView {
  const c = role.actor.getSnapshot().context;
  return { server, pid, log: [...(c.state as string[])], clients: Object.fromEntries(c.clients.entries().map(({ client, ...r }) => [client, r])), epoch: c.epoch };
}

/** The running, ready replicas (launched through an LFD). */
export function servingReplicas(h: Harness): ReplicaView[] {
  return SERVERS.flatMap((s) => {
    const role = serverRole(h, s);
    return role && phaseOf(role) === 'ready' ? [viewOf(s, role.actor.getSnapshot().context.pid, role)] : [];
  });
}

const sameView = (a: ReplicaView, b: ReplicaView) =>
  JSON.stringify(a.log) === JSON.stringify(b.log) && JSON.stringify(a.clients) === JSON.stringify(b.clients);

/**
 * Stop the clients (their requests in flight are still applied or not, but never answered), then
 * wait until every serving replica holds the same log and client table.
 */
export async function settle(h: Harness, clients: Role<ClientActor>[], ms = 3000): Promise<ReplicaView[]> {
  for (const c of clients) c.stop();
  await h.until(() => {
    const views = servingReplicas(h);
    return views.length > 0 && views.every((v) => sameView(v, views[0]!));
  }, 'equal logs at every serving replica', ms);
  return servingReplicas(h);
}

/**
 * SPEC §6 Exactly once, seen from outside: in every replica given, no entry twice; every answered
 * request's entry exactly once, at the position the client was told; each client's last answered
 * number in the client table.
 */
export function checkAnswered(h: Harness, views: ReplicaView[], what: string): void {
  expect(views.length, `${what}: serving replicas`).to.be.greaterThan(0);
  const all = answers(h);
  for (const v of views) {
    const where = `${what}: ${v.server} (pid ${v.pid})`;
    const twice = v.log.filter((e, i) => v.log.indexOf(e) !== i);
    expect(twice, `${where}: entries applied twice`).to.deep.equal([]);
    for (const a of all) {
      const body = bodyOf(a.client, a.num);
      expect(v.log.indexOf(body) + 1, `${where}: ${a.client} ${a.num} (answered by ${a.server} with position ${a.result})`).to.equal(Number(a.result));
    }
    for (const c of new Set(all.map((a) => a.client))) {
      const last = Math.max(...all.filter((a) => a.client === c).map((a) => a.num));
      expect(v.clients[c]?.num ?? 0, `${where}: ${c}'s last number in the client table`).to.be.at.least(last);
    }
  }
}

/**
 * No process of any server printed `after processing` twice for one (client, number) on the same
 * state: a checkpoint or recovery it took in between replaced the state it had applied it to (a
 * backup that applied an update its old primary never got acknowledged, then took the new
 * primary's checkpoint without it, applies the client's resend again, once).
 */
export function appliedOncePerProcess(h: Harness): void {
  for (const s of SERVERS) {
    const applied = new Map<number | null, Set<string>>();
    for (const l of h.logs) {
      if (l.by !== s) continue;
      if (l.event.event === 'checkpoint.taken' || l.event.event === 'server.recovered') applied.set(l.pid, new Set());
      if (l.event.event !== 'server.after') continue;
      const key = `${l.event.request.client}:${l.event.request.num}`;
      const keys = applied.get(l.pid) ?? new Set<string>();
      expect(keys.has(key), `${s} (pid ${l.pid}) applied ${key} twice to one state`).to.equal(false);
      applied.set(l.pid, keys.add(key));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Freezing: SIGSTOP and SIGCONT for an actor in this process

/**
 * Freeze an actor as SIGSTOP freezes a process: every event it would take (frames its transport
 * children deliver, its own timers firing) waits, and nothing it would do happens. Its transport
 * children keep running, as the kernel keeps a stopped process's sockets: connections stay open,
 * data arrives and waits. (This replaces the actor's internal `_send`, the one door through which
 * xstate's system delivers every event, sent or scheduled.)
 *
 * `thaw()` delivers what waited: the timers that fired first, then everything else in arrival
 * order, as a Node process resumed from SIGCONT does (epoll_wait returns EINTR, libuv finds its
 * timeout passed and runs the expired timers before it polls the sockets again).
 */
export function freeze(actor: AnyActorRef): { thaw: () => void; waiting: () => number } {
  const target = actor as unknown as { _send: (event: { type: string }) => void };
  const original = target._send;
  const waiting: { type: string }[] = [];
  target._send = (event) => {
    waiting.push(event);
  };
  let thawed = false;
  return {
    waiting: () => waiting.length,
    thaw: () => {
      if (thawed) return;
      thawed = true;
      target._send = original;
      const timers = waiting.filter((e) => e.type.startsWith('xstate.after.'));
      const rest = waiting.filter((e) => !e.type.startsWith('xstate.after.'));
      for (const e of [...timers, ...rest]) original.call(target, e);
    },
  };
}

/**
 * Like `describeBoth`, over the in-memory network only: for cases that need an exact interleaving
 * (a kill at the millisecond a primary sent its updates), which only fake timers can give.
 */
export function describeMemory(title: string, body: (h: () => Harness) => void): void {
  describeBoth(title, (h) => body(h), ['memory']);
}

/** The harness's in-memory network (memory only), for cutting single connections. */
export function networkOf(h: Harness): MemoryNetwork {
  const network = (h as unknown as { network: MemoryNetwork | null }).network;
  if (!network) throw new Error('networkOf: not the memory harness');
  return network;
}

/**
 * Memory only: cut the connections `from` opened to `to`'s peer port (a primary's link to one
 * backup): what is in flight on them is lost, as when a host dies with data in its send queue.
 */
export function cutPeerLinks(h: Harness, from: string, to: string): number {
  return cutLinks(h, from, `${h.host}:${h.serverConfig(to).peerPort}`);
}

/** Memory only: cut the connections the process named `from` opened to `address`. */
export function cutLinks(h: Harness, from: string, address: string): number {
  const network = networkOf(h);
  let cut = 0;
  for (const c of network.connections()) {
    if (c.fromName === from && c.to === address) cut += network.disconnect(c.from);
  }
  return cut;
}

/**
 * Memory only: what `from` writes on its links to `to`'s peer port takes `ms` to arrive (the other
 * direction, and every other connection, keep the network's latency). Lasts until the harness
 * closes.
 */
export function slowPeerLinks(h: Harness, from: string, to: string, ms: number): void {
  const network = networkOf(h);
  const address = `${h.host}:${h.serverConfig(to).peerPort}`;
  const base = network.latency.bind(network);
  network.latency = (src: string, dst: string) => {
    if (dst === address && network.connections().some((c) => c.from === src && c.to === address && c.fromName === from)) return ms;
    return base(src, dst);
  };
}
