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
  return { id, host: to.host, port: to.port, self, target, limits: limitsOf(cluster), ...options };
}

/** Where a server's LFD and peers connect. */
export function peerPortOf(server: ServerConfig): Endpoint {
  return { host: server.host, port: server.peerPort };
}
