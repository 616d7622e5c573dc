/** The inputs of transport actors, built in one place: every link and listener carries the same limits. */
import type { ClusterSettings, Endpoint, ServerConfig } from '../config/types.js';
import type { RoleKind } from '../protocol/frames.js';
import type { Limits, LinkInput, ListenerInput, Peer, PortKind } from '../transport/types.js';

export function limitsOf(cluster: ClusterSettings): Limits {
  return { maxFrame: cluster.maxFrame, maxStateFrame: cluster.maxStateFrame };
}

export function listenOn(id: string, at: Endpoint, kind: PortKind, self: Peer, cluster: ClusterSettings): ListenerInput {
  return { id, host: at.host, port: at.port, kind, self, limits: limitsOf(cluster) };
}

export function linkTo(
  id: string,
  to: Endpoint,
  self: Peer,
  target: RoleKind,
  cluster: ClusterSettings,
  options: { hello: boolean; backoff?: LinkInput['backoff'] },
): LinkInput {
  return { id, host: to.host, port: to.port, self, target, limits: limitsOf(cluster), backoff: controlBackoff(cluster), ...options };
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
  return { host: server.host, port: server.peerPort };
}
