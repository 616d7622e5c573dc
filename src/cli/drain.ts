/**
 * `steadfast drain S1`: a planned hand-over, asked of the RM that leads (docs/operations.md). The
 * RM passes the drain down to S1, which stops taking requests, gives a passive primary's backups
 * its final state, leaves the membership and exits once a primary serves; its LFD starts it again
 * as after any exit. This command returns once S1's process is gone and a primary serves.
 */
import type { ClusterConfig, ServerConfig } from '../config/types.js';
import type { RmStatusFrame } from '../protocol/frames.js';
import { askDrain, queryLeaderRm, queryServer, reachable } from '../transport/query.js';
import { COMMON_HELP, UsageError, commonFlags, configFrom, parse, positive, type Options } from './args.js';

export const DRAIN_HELP = `steadfast drain NAME [--config FILE] [--timeout S]
Hands server NAME's role over and stops it, without a client noticing: NAME takes no more requests,
a passive primary gives its backups its final state, the RM names another primary (or sequencer),
and NAME exits once that one serves. Its LFD starts it again as after any exit (it then recovers
as a backup); to keep it out, stop its LFD instead (SIGTERM drains its server first).
Exit status 0 when NAME's process is gone and a primary serves; 1 when the RM refused or it took
longer than --timeout.

  --timeout S   how long to wait (default 30)

${COMMON_HELP}`;

/** The flags of this command besides the common ones (docs/configuration.md lists them). */
export const DRAIN_OPTIONS = { timeout: { type: 'string' } } as const satisfies Options;

const POLL_MS = 50;

export async function drainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, DRAIN_OPTIONS, true);
  const flags = commonFlags(values);
  if (flags.help) return void console.log(DRAIN_HELP), 0;
  const timeoutMs = positive('--timeout', values.timeout, 30) * 1000;
  const config = configFrom(flags);
  const names = config.servers.map((s) => s.name);
  if (positionals.length !== 1) throw new UsageError(`drain takes one server name (one of: ${names.join(', ')})`);
  const server = config.servers.find((s) => s.name === positionals[0]);
  if (!server) throw new UsageError(`no server named '${positionals[0]}' in ${config.source} (one of: ${names.join(', ')})`);
  try {
    console.log(await drainServer(config, server, timeoutMs));
    return 0;
  } catch (err) {
    process.stderr.write(`steadfast drain: ${(err as Error).message}\n`);
    return 1;
  }
}

/** Drains `server` and resolves with a line saying how it ended; rejects with why it did not. */
export async function drainServer(config: ClusterConfig, server: ServerConfig, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const { host, port } = reachable(server);
  const tls = config.cluster.tls;
  const before = await queryServer(host, port, server.name, 2000, tls).catch((err: Error) => {
    throw new Error(`${server.name} does not answer (${err.message})`);
  });
  await askLeader(config, server.name);
  const overdue = () => new Error(`${server.name} not drained within ${timeoutMs / 1000} s`);
  // First the RM (a small frame), then the server (its status carries its whole state), so that the
  // watching costs the cluster little while it hands over.
  const rm = await poll(() => queryLeaderRm(config, 1000).then((s) => (settled(s, server.name) ? s : null)), deadline, overdue);
  await poll(() => queryServer(host, port, server.name, 1000, tls).then((s) => (s.pid !== before.pid ? s : null), () => 'gone'), deadline, overdue);
  const primary = rm.primary === null ? 'no primary (no member left)' : `${rm.mode} primary ${rm.primary}`;
  return `${server.name} drained: its process (pid ${before.pid}) stopped; ${primary}, epoch ${rm.epoch}`;
}

/** `ask` every POLL_MS until it resolves with something (a rejection counts as nothing yet), or `deadline`. */
async function poll<T>(ask: () => Promise<T | null>, deadline: number, overdue: () => Error): Promise<T> {
  for (;;) {
    const answer = await ask().catch(() => null);
    if (answer !== null) return answer;
    if (Date.now() >= deadline) throw overdue();
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The drain to each RM in turn until one (the leader) takes it; a standby's refusal sends it on. */
async function askLeader(config: ClusterConfig, server: string): Promise<void> {
  const refusals: string[] = [];
  for (const rm of config.rms) {
    const { host, port } = reachable(rm);
    try {
      await askDrain(host, port, server, 2000, config.cluster.tls);
      return;
    } catch (err) {
      refusals.push((err as Error).message);
    }
  }
  throw new Error(`refused: ${refusals.join('; ')}`);
}

/** A primary serves, other than `server`, or no other member is left to serve. */
function settled(rm: RmStatusFrame, server: string): boolean {
  const phase = (s: string) => rm.members.find((m) => m.server === s)?.phase;
  if (rm.primary !== null && rm.primary !== server && phase(rm.primary) === 'ready') return true;
  return rm.members.every((m) => m.server === server || m.phase === 'down');
}
