/** The validated cluster configuration (SPEC §2). Times are in milliseconds here, seconds in the file. */
import type { Mode } from '../protocol/frames.js';

export type Durability = 'sync' | 'checkpoint';

export interface Endpoint {
  host: string;
  port: number;
}

/** An RM or a GFD: `[rm]` alone is one named `RM`, `[rm.RM1]`… are several by name (SPEC §8). */
export interface NamedEndpoint extends Endpoint {
  name: string;
}

/** `[etcd]`, read when `[cluster] coordinator = etcd` (SPEC §8, docs/coordination.md). */
export interface EtcdSettings {
  /** Client URLs, `http://host:port` or `https://host:port`. */
  endpoints: string[];
  /** Under which every key goes; starts and ends with `/`. */
  prefix: string;
  /** Seconds, whole: the leaders' lease. */
  leaseTtlS: number;
}

/** The PEM files of mutual TLS, as absolute paths, and their contents. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
  cert: string;
  key: string;
  ca: string;
}

export interface ServerConfig extends Endpoint {
  name: string;
  /** Where `peer_port` listens (`peer_host`, default `host`): a private interface for LFD and peers. */
  peerHost: string;
  peerPort: number;
  /**
   * Its data folder (absolute): `[server.S1] data_dir`, else `[cluster] data_dir`/S1; absent, it
   * keeps its state in memory only (docs/durability.md).
   */
  dataDir?: string;
  /** Where `dataDir` was set, for error lines: `FILE: [cluster] data_dir`. */
  dataDirFrom?: string;
}

export interface LfdConfig {
  name: string;
  /** The server it launches and watches. */
  server: string;
}

export interface ClientConfig {
  name: string;
  intervalMs: number;
  message: string;
}

export interface ClusterSettings {
  mode: Mode;
  heartbeatFreqMs: number;
  heartbeatTimeoutMs: number;
  checkpointFreqMs: number;
  durability: Durability;
  /**
   * The replicated application: a built-in name (`status`, `log`, `kv`), or a module's absolute
   * path or package name (src/app/load.ts).
   */
  app: string;
  maxFrame: number;
  maxStateFrame: number;
  /** Open connections each listener takes at most (`max_connections`). */
  maxConnections: number;
  /** Clients the client table keeps at most (`max_clients`; src/core/client-table.ts). */
  maxClients: number;
  /**
   * Mutual TLS on every connection (`tls_cert`, `tls_key`, `tls_ca`), or null: plain TCP. The files
   * of the role the configuration was loaded for (`LoadOptions.role`): its section's, else `[cluster]`'s.
   */
  tls: TlsFiles | null;
  secret: string | null;
}

/** A section's own TLS paths (absolute), overriding `[cluster]`'s for the process of that role. */
export interface TlsPaths {
  cert?: string;
  key?: string;
  ca?: string;
}

export interface ClusterConfig {
  /** Where it came from: a path, or `(embedded default)`. */
  source: string;
  /** Where `cluster.app` was set, for error lines: `FILE: [cluster] app` or `--app`. */
  appFrom: string;
  cluster: ClusterSettings;
  /** `coordinator = etcd`: its `[etcd]`; null for `coordinator = none` (one RM, one GFD). */
  etcd: EtcdSettings | null;
  /** Sorted by name; with `coordinator = none` the one RM (`RM`) and the one GFD (`GFD`). */
  rms: NamedEndpoint[];
  gfds: NamedEndpoint[];
  /** Sorted by name. */
  servers: ServerConfig[];
  lfds: LfdConfig[];
  clients: ClientConfig[];
  /**
   * Per-role TLS paths by section header (`rm`, `gfd`, `server.S1`, `lfd.LFD1`, `client.C1`), for
   * hosts where the files lie elsewhere; `cluster.tls` already holds the loading role's.
   */
  tlsOverrides: Record<string, TlsPaths>;
}

/** Command-line overrides of `[cluster]` (SPEC §2), already parsed. */
export type ClusterOverrides = Partial<
  Pick<ClusterSettings, 'mode' | 'heartbeatFreqMs' | 'heartbeatTimeoutMs' | 'checkpointFreqMs' | 'durability' | 'app'>
>;
