/** The inputs of transport actors, built in one place: every link and listener carries the same limits. */
import type { ClusterConfig, ClusterSettings, Endpoint, ServerConfig } from '../config/types.js';
import type { DirectoryFrame, RoleKind } from '../protocol/frames.js';
import type { BatchKind, Limits, LinkInput, LinksInput, ListenerInput, Peer, PortKind, TransportCommand } from '../transport/types.js';

export function limitsOf(cluster: ClusterSettings): Limits {
  return { maxFrame: cluster.maxFrame, maxStateFrame: cluster.maxStateFrame };
}

/** A listener: who may say hello on it is who the configuration names for each role; frames of `batch` kinds come in batches. */
export function listenOn(id: string, at: Endpoint, kind: PortKind, self: Peer, config: ClusterConfig, batch?: readonly BatchKind[]): ListenerInput {
  const { cluster } = config;
  return {
    id,
    host: at.host,
    port: at.port,
    kind,
    self,
    limits: limitsOf(cluster),
    secret: cluster.secret,
    names: roleNames(config),
    maxConnections: cluster.maxConnections,
    // No byte inside a frame for as long as a heartbeat may take: the peer is gone, or holding the connection.
    stallMs: cluster.heartbeatTimeoutMs,
    ...(batch && { batch }),
  };
}

/** The names each role may go by, as the configuration has them. */
export function roleNames(config: ClusterConfig): Partial<Record<RoleKind, readonly string[]>> {
  return { rm: config.rms.map((r) => r.name), gfd: config.gfds.map((g) => g.name), lfd: config.lfds.map((l) => l.name), server: config.servers.map((s) => s.name) };
}

type LinkOptions = { hello: boolean; backoff?: LinkInput['backoff'] };

export function linkTo(id: string, to: Endpoint, self: Peer, target: RoleKind, cluster: ClusterSettings, options: LinkOptions): LinkInput {
  return { ...linksOf(id, self, target, cluster, options), host: to.host, port: to.port };
}

/** A links actor's input: its links are all alike but for where they go (`wantServers` says). */
export function linksOf(id: string, self: Peer, target: RoleKind, cluster: ClusterSettings, options: LinkOptions): LinksInput {
  return { id, self, target, limits: limitsOf(cluster), secret: cluster.secret, backoff: controlBackoff(cluster), ...options };
}

/**
 * The `links.want` that links a links actor to the servers named, in that order, each at the port
 * `at` picks; a name the configuration does not know gets no link.
 */
export function wantServers(servers: readonly ServerConfig[], names: readonly string[], at: (server: ServerConfig) => Endpoint): TransportCommand {
  const peers = names.flatMap((name) => {
    const server = servers.find((s) => s.name === name);
    if (!server) return [];
    const { host, port } = at(server);
    return [{ name, host, port }];
  });
  return { type: 'links.want', peers };
}

/** A server as a client knows it from the RM's directory (`<RM, …, directory>`): its client port only. */
export function directoryServer({ server, host, port }: DirectoryFrame['servers'][number]): ServerConfig {
  return { name: server, host, port, peerHost: host, peerPort: 0 };
}

/**
 * The configuration that names every server in `names`: `config` when it does; else the file as
 * `reload` reads it now (a reload of the RM added them since this role started), if that does;
 * else `config` (an unknown name is then left out, as before).
 */
export function configNaming(config: ClusterConfig, names: readonly string[], reload: (() => ClusterConfig | null) | null): ClusterConfig {
  const namesAll = (c: ClusterConfig) => names.every((n) => c.servers.some((s) => s.name === n));
  if (namesAll(config) || reload === null) return config;
  const fresh = reload();
  return fresh !== null && namesAll(fresh) ? fresh : config;
}

/**
 * Reconnect backoff of control links: capped well below `heartbeat_timeout`, so that after a GFD or
 * RM restart every live peer is back within the grace period it is given (SPEC §6 Restarts).
 */
export function controlBackoff(cluster: ClusterSettings): { initialMs: number; maxMs: number } {
  return { initialMs: 50, maxMs: Math.max(50, Math.min(1000, cluster.heartbeatTimeoutMs / 4)) };
}

/** Where a server's LFD and peers connect. */
export function peerPortOf(server: ServerConfig): Endpoint {
  return { host: server.peerHost, port: server.peerPort };
}

/** Where a server's clients (and the RM's status questions) connect. */
export function clientPortOf(server: ServerConfig): Endpoint {
  return { host: server.host, port: server.port };
}
