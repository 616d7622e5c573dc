/**
 * A `ClusterConfig` written back as an ini file (SPEC §2), for the scenario's fresh cluster: the
 * given (or default) configuration with its ports replaced. The keys are those of SPEC §2; the file
 * is read back through `loadConfig`, so a mistake here is caught before anything starts.
 */
import type { ClusterConfig } from '../../config/types.js';
import { GFD_NAME, RM_NAME } from '../../protocol/links.js';

/** Seconds as the file writes them: 0.2, 1, 0.001. */
function seconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}

/** Values that might hold `;`, `#`, quotes or blanks are written as JSON strings (the loader takes those whole). */
function quoted(s: string): string {
  return JSON.stringify(s);
}

/** Each section's own TLS paths, right below its header. */
function withTlsOverrides(lines: string[], overrides: ClusterConfig['tlsOverrides']): string[] {
  return lines.flatMap((line) => {
    const own = overrides[line.slice(1, -1)];
    if (!line.startsWith('[') || own === undefined) return [line];
    return [line, ...(['cert', 'key', 'ca'] as const).flatMap((k) => (own[k] === undefined ? [] : [`tls_${k} = ${quoted(own[k])}`]))];
  });
}

/** `[rm]` (one), or `[rm.RM1]`… by name with a coordinator; likewise the GFDs. */
function leaderSections(c: ClusterConfig, kind: 'rm' | 'gfd'): string[] {
  const all = kind === 'rm' ? c.rms : c.gfds;
  const bareName = kind === 'rm' ? RM_NAME : GFD_NAME;
  if (c.etcd === null || (all.length === 1 && all[0]!.name === bareName)) return ['', `[${kind}]`, `host = ${all[0]!.host}`, `port = ${all[0]!.port}`];
  return all.flatMap((e) => ['', `[${kind}.${e.name}]`, `host = ${e.host}`, `port = ${e.port}`]);
}

export function configToIni(c: ClusterConfig, comment: string): string {
  const k = c.cluster;
  const lines = [
    ...comment.split('\n').map((l) => `; ${l}`),
    '[cluster]',
    `mode = ${k.mode}`,
    `heartbeat_freq = ${seconds(k.heartbeatFreqMs)}`,
    `heartbeat_timeout = ${seconds(k.heartbeatTimeoutMs)}`,
    `checkpoint_freq = ${seconds(k.checkpointFreqMs)}`,
    `durability = ${k.durability}`,
    `app = ${k.app}`,
    `max_frame = ${k.maxFrame}`,
    `max_state_frame = ${k.maxStateFrame}`,
    `max_connections = ${k.maxConnections}`,
    `max_clients = ${k.maxClients}`,
    ...(k.secret === null ? [] : [`secret = ${quoted(k.secret)}`]),
    ...(k.tls === null ? [] : [`tls_cert = ${quoted(k.tls.certFile)}`, `tls_key = ${quoted(k.tls.keyFile)}`, `tls_ca = ${quoted(k.tls.caFile)}`]),
    ...(c.etcd === null
      ? []
      : [
          'coordinator = etcd',
          '',
          '[etcd]',
          `endpoints = ${c.etcd.endpoints.join(',')}`,
          `prefix = ${quoted(c.etcd.prefix)}`,
          `lease_ttl = ${c.etcd.leaseTtlS}`,
        ]),
    ...leaderSections(c, 'rm'),
    ...leaderSections(c, 'gfd'),
  ];
  for (const s of c.servers) {
    lines.push('', `[server.${s.name}]`, `host = ${s.host}`, `port = ${s.port}`);
    if (s.peerHost !== s.host) lines.push(`peer_host = ${s.peerHost}`);
    lines.push(`peer_port = ${s.peerPort}`);
    if (s.dataDir !== undefined) lines.push(`data_dir = ${quoted(s.dataDir)}`);
  }
  for (const l of c.lfds) lines.push('', `[lfd.${l.name}]`, `server = ${l.server}`);
  for (const cl of c.clients) lines.push('', `[client.${cl.name}]`, `interval = ${seconds(cl.intervalMs)}`, `message = ${quoted(cl.message)}`);
  return withTlsOverrides(lines, c.tlsOverrides).join('\n') + '\n';
}
