/**
 * Starting a cluster's roles in dependency order, each waited for by its listener rather than by
 * a sleep: the RM until it answers `<ops, RM, status>`, the GFD until its port takes connections, an
 * LFD until the server it launched answers `<ops, S1, status>` on its client port. Every wait is
 * bounded, and fails at once, with the process's last lines, if the process exits.
 */
import { fileURLToPath } from 'node:url';
import type { ClusterConfig } from '../../config/types.js';
import { pollUntil } from './liveness.js';
import { canConnect, queryAnyRm, queryServer, reachable } from '../../transport/query.js';
import type { Member, Supervisor } from './supervisor.js';

/** `dist/cli/main.js`, the entry point every role process runs. */
export const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

export class StartError extends Error {
  override name = 'StartError';
}

/** Polls `ready` until it holds; fails when `member` exits first or after `timeoutMs`. */
export async function waitForMember(member: Member, what: string, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  let exited = false;
  const ok = await pollUntil(
    async () => {
      if (member.exit !== null) return (exited = true);
      return ready();
    },
    timeoutMs,
    50,
  );
  if (ok && !exited) return;
  const how = member.exit ? `exited (${member.exit.signal ? `signal ${member.exit.signal}` : `code ${member.exit.code}`})` : `not ${what} within ${timeoutMs / 1000} s`;
  const tail = member.tail.slice(-8).map((l) => `    ${l}`).join('\n');
  throw new StartError(`${member.name} (pid ${member.pid}) ${how}${tail ? `; its last lines:\n${tail}` : ''}`);
}

async function answers<T>(q: () => Promise<T>): Promise<boolean> {
  try {
    await q();
    return true;
  } catch {
    return false;
  }
}

/** Starts the RM named `name` (`RM`, or one of several) and waits until it answers status, leading or standing by. */
export async function startRm(sup: Supervisor, config: ClusterConfig, name: string, timeoutMs: number, extra: string[] = []): Promise<Member> {
  const rm = config.rms.find((r) => r.name === name);
  if (!rm) throw new StartError(`no RM named ${name} in ${config.source}`);
  const m = sup.start(name, 'rm', [...(config.rms.length > 1 ? ['--name', name] : []), ...extra]);
  const { host, port } = reachable(rm);
  await waitForMember(m, 'answering status', () => answers(() => queryAnyRm(host, port, 1000, config.cluster.tls)), timeoutMs);
  return m;
}

/** Starts the GFD named `name` (`GFD`, or one of several) and waits until it takes connections. */
export async function startGfd(sup: Supervisor, config: ClusterConfig, name: string, timeoutMs: number): Promise<Member> {
  const gfd = config.gfds.find((g) => g.name === name);
  if (!gfd) throw new StartError(`no GFD named ${name} in ${config.source}`);
  const m = sup.start(name, 'gfd', config.gfds.length > 1 ? ['--name', name] : []);
  const { host, port } = reachable(gfd);
  await waitForMember(m, 'listening', () => canConnect(host, port, 1000), timeoutMs);
  return m;
}

/** Starts the LFD and waits for its server to answer status (in any phase). */
export async function startLfd(sup: Supervisor, config: ClusterConfig, lfd: string, timeoutMs: number): Promise<Member> {
  const m = sup.start(lfd, 'lfd');
  const serverName = config.lfds.find((l) => l.name === lfd)?.server;
  const server = config.servers.find((s) => s.name === serverName);
  if (!server) throw new StartError(`${lfd}: no server in ${config.source}`);
  const { host, port } = reachable(server);
  await waitForMember(m, `running ${server.name}`, () => answers(() => queryServer(host, port, server.name, 1000, config.cluster.tls)), timeoutMs);
  return m;
}
