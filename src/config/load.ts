/**
 * ini text → validated `ClusterConfig` (SPEC §2): the one module that knows the file's keys, and
 * the command-line flags that override `[cluster]`.
 *
 * Every mistake becomes a `ConfigError` with one line: `FILE: [SECTION] KEY: what is wrong`,
 * `FILE: [SECTION]: what is wrong` when no key is at fault, `--flag: what is wrong` for a flag.
 *
 * Why we do not hand the whole text to `ini.parse`: it silently merges a repeated `[section]`,
 * lets a repeated key win, nests `[server.S1]` under `server` (so `[server]` collides with it),
 * turns `true`/`false`/`null` into booleans and `key[]` into arrays, and forgets which line said
 * what. So the structure (headers, keys, duplicates) is scanned here, line by line, and unquoted
 * values go through `ini.unsafe`, so their comment and escape rules stay the ini package's: an
 * unquoted value ends at the first `;` or `#` (`\;` and `\#` keep the character). That is why
 * the examples say "quote values that contain ; or #": `"a;b"` (JSON escapes) and `'a;b'`
 * (literal) are taken whole, and a comment may follow the closing quote.
 */
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import ini from 'ini';
import type { Mode } from '../protocol/frames.js';
import { GFD_NAME, MAX_FRAME_LIMIT, RM_NAME } from '../protocol/links.js';
import type {
  TlsFiles,
  ClientConfig,
  ClusterConfig,
  ClusterOverrides,
  ClusterSettings,
  Durability,
  Endpoint,
  EtcdSettings,
  LfdConfig,
  NamedEndpoint,
  ServerConfig,
  TlsPaths,
} from './types.js';
import { resolveAppSpec } from '../app/load.js';
import { DEFAULT_CONFIG_SOURCE, DEFAULT_CONFIG_TEXT } from './default.js';

/** A mistake in the configuration file or a flag that overrides it; the message is one line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
/** Times beyond a day are surely mistakes, and beyond ~24.8 days `setTimeout` fires at once. */
export const MAX_SECONDS = 86400;
/** Below a millisecond the value would round to a zero-length timer. */
export const MIN_SECONDS = 0.001;
export const MIN_FRAME = 64;
/**
 * A state travels in parts, but is one string when taken (`restore`): the state guard keeps it
 * below half of `max_state_frame`, under V8's limit near 2^29 characters.
 */
export const MAX_STATE_LIMIT = 1073741824;

export const DEFAULT_SETTINGS: ClusterSettings = {
  mode: 'passive',
  heartbeatFreqMs: 1000,
  heartbeatTimeoutMs: 3000,
  checkpointFreqMs: 5000,
  durability: 'sync',
  app: 'status',
  maxFrame: 1048576,
  maxStateFrame: 67108864,
  maxConnections: 1024,
  maxClients: 10000,
  tls: null,
  secret: null,
};
const CLIENT_DEFAULTS = { intervalMs: 1000, message: 'hello_world' };

export type Kind = 'cluster' | 'etcd' | 'rm' | 'gfd' | 'server' | 'lfd' | 'client';
export const KEYS: Record<Kind, readonly string[]> = {
  cluster: [
    'mode', 'heartbeat_freq', 'heartbeat_timeout', 'checkpoint_freq', 'durability', 'app',
    'max_frame', 'max_state_frame', 'max_connections', 'max_clients', 'secret', 'secret_file', 'tls_cert', 'tls_key', 'tls_ca', 'data_dir',
    'coordinator',
  ],
  etcd: ['endpoints', 'prefix', 'lease_ttl'],
  rm: ['host', 'port', 'tls_cert', 'tls_key', 'tls_ca'],
  gfd: ['host', 'port', 'tls_cert', 'tls_key', 'tls_ca'],
  server: ['host', 'port', 'peer_host', 'peer_port', 'data_dir', 'tls_cert', 'tls_key', 'tls_ca'],
  lfd: ['server', 'tls_cert', 'tls_key', 'tls_ca'],
  client: ['interval', 'message', 'tls_cert', 'tls_key', 'tls_ca'],
};
/** Sections that carry a name after a dot (`[server.S1]`); the others stand alone. */
const NAMED = new Set<Kind>(['server', 'lfd', 'client']);
/** One bare section (`[rm]`) or several by name (`[rm.RM1]`, with `coordinator = etcd`). */
const MAYBE_NAMED = new Set<Kind>(['rm', 'gfd']);
/** Keys whose value may be empty: an empty message is just the numbers, an empty secret is none. */
const MAY_BE_EMPTY = new Set(['message', 'secret', 'secret_file', 'data_dir']);

/** One `[header]` of the file and its `key = value` lines, values already decoded. */
interface Section {
  header: string;
  kind: Kind;
  name: string;
  values: Map<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Entry points

export interface LoadOptions {
  /** `--config FILE`; relative to `cwd`. */
  path?: string;
  overrides?: ClusterOverrides;
  /** Where `./cluster.ini` and a relative `path` are looked up; defaults to `process.cwd()`. */
  cwd?: string;
  /**
   * The section of the role this process runs (`server.S1`, `lfd.LFD1`, `rm`, `gfd`, `client.C1`):
   * its TLS paths, where given, replace `[cluster]`'s, and only that role's files are read.
   */
  role?: string;
}

/**
 * The configuration as its file says when called (null when it cannot be read now): a role or a
 * client that meets a server a reload added since it started looks it up there (`configNaming`).
 */
export function configReader(opts: LoadOptions): () => ClusterConfig | null {
  return () => {
    try {
      return loadConfig(opts);
    } catch {
      return null;
    }
  };
}

/** The file `loadConfig` reads (`--config FILE`, else `./cluster.ini`), or null for the embedded default. */
export function configFile(opts: LoadOptions = {}): { file: string; shown: string } | null {
  const cwd = opts.cwd ?? process.cwd();
  if (opts.path !== undefined) return { file: resolve(cwd, opts.path), shown: opts.path };
  const local = resolve(cwd, 'cluster.ini');
  return isFile(local) ? { file: local, shown: 'cluster.ini' } : null;
}

/** A file's text, as `loadConfig` reads it (a ConfigError when it cannot). */
export function readConfigText(file: { file: string; shown: string }): string {
  return readText(file.file, file.shown);
}

/**
 * What a new text of the configuration changes against the old one, for a reload (docs/operations.md,
 * "Membership without a restart"): servers added and removed (with their LFDs), and the keys that
 * cannot change while the cluster runs (anything else: `[cluster]`, `[etcd]`, the RMs and GFDs, a
 * server's or LFD's own keys), each as `[section] key`. `[client.*]` sections are the clients'.
 */
export function membershipChanges(oldText: string, newText: string, source: string): { added: string[]; removed: string[]; fixed: string[] } {
  const before = new Map(scan(oldText, source).map((s) => [s.header, s]));
  const after = new Map(scan(newText, source).map((s) => [s.header, s]));
  const added: string[] = [];
  const removed: string[] = [];
  const fixed: string[] = [];
  for (const header of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(header);
    const b = after.get(header);
    const kind = (a ?? b)!.kind;
    if (kind === 'client') continue;
    if (a === undefined || b === undefined) {
      if (kind === 'server') (a === undefined ? added : removed).push((a ?? b)!.name);
      else if (kind !== 'lfd') fixed.push(`[${header}]`);
      continue;
    }
    for (const key of new Set([...a.values.keys(), ...b.values.keys()])) {
      if (a.values.get(key) !== b.values.get(key)) fixed.push(`[${header}] ${key}`);
    }
  }
  // An LFD comes and goes with its server.
  for (const [header, section] of [...after].filter(([h]) => !before.has(h)).concat([...before].filter(([h]) => !after.has(h)))) {
    if (section.kind === 'lfd' && ![...added, ...removed].includes(section.values.get('server') ?? '')) fixed.push(`[${header}]`);
  }
  return { added: added.sort(), removed: removed.sort(), fixed };
}

/** SPEC §2: `--config FILE`, else `./cluster.ini` when present, else the embedded default. */
export function loadConfig(opts: LoadOptions = {}): ClusterConfig {
  const cwd = opts.cwd ?? process.cwd();
  if (opts.path !== undefined) {
    const file = resolve(cwd, opts.path);
    return parseConfig(readText(file, opts.path), opts.path, opts.overrides, dirname(file), opts.role);
  }
  const local = resolve(cwd, 'cluster.ini');
  if (isFile(local)) return parseConfig(readText(local, 'cluster.ini'), 'cluster.ini', opts.overrides, cwd, opts.role);
  return parseConfig(DEFAULT_CONFIG_TEXT, DEFAULT_CONFIG_SOURCE, opts.overrides, cwd, opts.role);
}

/**
 * `source` names the file in error messages (and in `ClusterConfig.source`); `baseDir` is its
 * folder, against which a relative `app` path resolves.
 */
export function parseConfig(text: string, source: string, overrides: ClusterOverrides = {}, baseDir = process.cwd(), role?: string): ClusterConfig {
  const sections = scan(text, source);
  const at = (s: Section, key?: string): string => where(source, s.header, key);
  const find = (kind: Kind): Section | undefined => sections.find((s) => s.kind === kind);

  const clusterSection = find('cluster');
  const cluster = readCluster(clusterSection, source, overrides, baseDir, sections.find((s) => s.header === role));
  const tlsOverrides = readTlsOverrides(sections, clusterSection, at, baseDir);
  const etcd = readEtcd(clusterSection, find('etcd'), source, at);
  const rms = readLeaders(sections, 'rm', RM_NAME, etcd !== null, source, at);
  const gfds = readLeaders(sections, 'gfd', GFD_NAME, etcd !== null, source, at);

  const servers: ServerConfig[] = [];
  const lfds: LfdConfig[] = [];
  const clients: ClientConfig[] = [];
  for (const s of sections) {
    if (s.kind === 'server') {
      const endpoint = readEndpoint(s, at);
      const peerHost = s.values.has('peer_host') ? readHost(s, 'peer_host', at) : endpoint.host;
      servers.push({ name: s.name, ...endpoint, peerHost, peerPort: readPort(s, 'peer_port', at), ...dataDirOf(s, clusterSection, at, baseDir) });
    } else if (s.kind === 'lfd') {
      lfds.push({ name: s.name, server: requiredValue(s, 'server', at) });
    } else if (s.kind === 'client') {
      const interval = s.values.get('interval');
      clients.push({
        name: s.name,
        intervalMs: interval === undefined ? CLIENT_DEFAULTS.intervalMs : seconds(interval, at(s, 'interval')),
        message: s.values.get('message') ?? CLIENT_DEFAULTS.message,
      });
    }
  }
  if (servers.length === 0) throw new ConfigError(`${source}: [server.*]: none defined (at least one server is required)`);

  checkLfds(sections, at);
  checkEndpoints(sections, { rms, gfds, servers }, at);

  const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return {
    source,
    appFrom: overrides.app !== undefined ? '--app' : where(source, 'cluster', 'app'),
    cluster,
    etcd,
    rms: rms.map(named),
    gfds: gfds.map(named),
    servers: servers.sort(byName),
    lfds: lfds.sort(byName),
    clients: clients.sort(byName),
    tlsOverrides,
  };
}

// ---------------------------------------------------------------------------------------------
// Command-line overrides (SPEC §2: every command takes them; lfd and cluster pass them on)

export interface OverrideFlags {
  mode?: string;
  heartbeatFreq?: string;
  heartbeatTimeout?: string;
  checkpointFreq?: string;
  durability?: string;
  app?: string;
}

/** Validates flag values; errors name the flag: `--heartbeat-freq: not a number: 'x'`. */
export function parseOverrides(flags: OverrideFlags): ClusterOverrides {
  const o: ClusterOverrides = {};
  if (flags.mode !== undefined) o.mode = oneOf(flags.mode, MODES, '--mode');
  if (flags.heartbeatFreq !== undefined) o.heartbeatFreqMs = seconds(flags.heartbeatFreq, '--heartbeat-freq');
  if (flags.heartbeatTimeout !== undefined) o.heartbeatTimeoutMs = seconds(flags.heartbeatTimeout, '--heartbeat-timeout');
  if (flags.checkpointFreq !== undefined) o.checkpointFreqMs = seconds(flags.checkpointFreq, '--checkpoint-freq');
  if (flags.durability !== undefined) o.durability = oneOf(flags.durability, DURABILITIES, '--durability');
  if (flags.app !== undefined) o.app = appSpec(flags.app, '--app', process.cwd());
  // A timeout not above the frequency is caught here only when both come as flags; against the
  // file it is caught by parseConfig, which applies overrides before its cross-field checks.
  if (o.heartbeatFreqMs !== undefined && o.heartbeatTimeoutMs !== undefined && o.heartbeatTimeoutMs <= o.heartbeatFreqMs) {
    throw new ConfigError(`--heartbeat-timeout: must exceed heartbeat_freq (${secondsText(o.heartbeatFreqMs)})`);
  }
  return o;
}

/** The flags that reproduce `o`, for a parent (lfd, cluster) starting a child. */
export function overridesToArgs(o: ClusterOverrides): string[] {
  const args: string[] = [];
  if (o.mode !== undefined) args.push('--mode', o.mode);
  if (o.heartbeatFreqMs !== undefined) args.push('--heartbeat-freq', secondsText(o.heartbeatFreqMs));
  if (o.heartbeatTimeoutMs !== undefined) args.push('--heartbeat-timeout', secondsText(o.heartbeatTimeoutMs));
  if (o.checkpointFreqMs !== undefined) args.push('--checkpoint-freq', secondsText(o.checkpointFreqMs));
  if (o.durability !== undefined) args.push('--durability', o.durability);
  if (o.app !== undefined) args.push('--app', o.app);
  return args;
}

/** `host:port`, with IPv6 literals bracketed so the port stays readable. */
export function formatEndpoint(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

// ---------------------------------------------------------------------------------------------
// Reading the file

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function readText(path: string, shown: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(err));
    throw new ConfigError(`${shown}: cannot read: ${why}`);
  }
}

const HEADER = /^\[([^\]]*)\]\s*(?:[;#].*)?$/;

/** Splits the text into sections, refusing what the ini package would silently accept. */
function scan(text: string, source: string): Section[] {
  const sections: Section[] = [];
  const byHeader = new Map<string, Section>();
  /** Which section holds each name, so one name cannot mean two members. */
  const owner = new Map<string, string>([['RM', 'rm'], ['GFD', 'gfd']]);
  let current: Section | null = null;

  for (const rawLine of text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;

    const header = HEADER.exec(line);
    if (header) {
      current = openSection((header[1] ?? '').trim(), source, byHeader, owner);
      sections.push(current);
      continue;
    }

    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    const here = current === null ? source : where(source, current.header);
    if (line.startsWith('[')) throw new ConfigError(`${here}: line ${quote(line)} is not a [section] header`);
    if (current === null) throw new ConfigError(`${source}: ${short(key)}: key outside any section`);
    if (eq < 0 || key === '') throw new ConfigError(`${here}: line ${quote(line)} is not 'key = value'`);

    const at = where(source, current.header, key);
    const known = KEYS[current.kind];
    if (!known.includes(key)) throw new ConfigError(`${at}: unknown key (expected one of: ${known.join(', ')})`);
    if (current.values.has(key)) throw new ConfigError(`${at}: duplicate key`);
    const value = decodeValue(line.slice(eq + 1), at);
    if (value === '' && !MAY_BE_EMPTY.has(key)) throw new ConfigError(`${at}: empty`);
    current.values.set(key, value);
  }
  return sections;
}

function openSection(
  header: string,
  source: string,
  byHeader: Map<string, Section>,
  owner: Map<string, string>,
): Section {
  const here = where(source, header);
  const dot = header.indexOf('.');
  const kindText = dot < 0 ? header : header.slice(0, dot);
  if (!(kindText in KEYS)) {
    throw new ConfigError(`${here}: unknown section (expected [cluster], [etcd], [rm] or [rm.NAME], [gfd] or [gfd.NAME], [server.NAME], [lfd.NAME] or [client.NAME])`);
  }
  const kind = kindText as Kind;
  if (NAMED.has(kind) && dot < 0) throw new ConfigError(`${here}: needs a name, as in [${kind}.NAME]`);
  if (!NAMED.has(kind) && !MAYBE_NAMED.has(kind) && dot >= 0) throw new ConfigError(`${here}: takes no name, write [${kind}]`);
  const name = dot < 0 ? kind : header.slice(dot + 1);
  if (dot >= 0 && !NAME_PATTERN.test(name)) throw new ConfigError(`${here}: name must match [A-Za-z0-9_-]{1,32}`);
  if (byHeader.has(header)) throw new ConfigError(`${here}: duplicate section`);
  if (dot >= 0) {
    const taken = owner.get(name);
    if (taken !== undefined) throw new ConfigError(`${here}: name ${name} is already used by [${taken}]`);
    owner.set(name, header);
  }
  const section: Section = { header, kind, name, values: new Map() };
  byHeader.set(header, section);
  return section;
}

/** The text after `=`: quoted whole, else by the ini package's rules (ends at `;` or `#`). */
function decodeValue(raw: string, at: string): string {
  const text = raw.trim();
  const q = text[0];
  if (q !== '"' && q !== "'") return ini.unsafe(text);

  let end = 1;
  while (end < text.length && text[end] !== q) end += q === '"' && text[end] === '\\' ? 2 : 1;
  if (end >= text.length) throw new ConfigError(`${at}: quote ${q} not closed`);
  const rest = text.slice(end + 1).trim();
  if (rest !== '' && !rest.startsWith(';') && !rest.startsWith('#')) {
    throw new ConfigError(`${at}: text after the closing quote: ${quote(rest)}`);
  }
  if (q === "'") return text.slice(1, end);
  try {
    return JSON.parse(text.slice(0, end + 1)) as string;
  } catch {
    throw new ConfigError(`${at}: bad escape in quoted value: ${quote(text.slice(0, end + 1))}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Values

const MODES = ['active', 'passive'] as const satisfies readonly Mode[];
const DURABILITIES = ['sync', 'checkpoint'] as const satisfies readonly Durability[];
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const INTEGER = /^[+-]?\d+$/;

function oneOf<T extends string>(raw: string, allowed: readonly T[], at: string): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(`${at}: not ${allowed.join(' or ')}: ${quote(raw)}`);
}

/**
 * Below this a recorded handshake could be brute-forced offline (the proof is an HMAC of known
 * nonces and names under the secret): ask for a real one, such as `openssl rand -hex 32`.
 */
export const MIN_SECRET_LENGTH = 16;

function checkSecret(secret: string, at: string): string {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`${at}: at least ${MIN_SECRET_LENGTH} characters (e.g. openssl rand -hex 32)`);
  }
  return secret;
}

const TLS_KEYS = ['tls_cert', 'tls_key', 'tls_ca'] as const;

const TLS_PATH_OF = { tls_cert: 'cert', tls_key: 'key', tls_ca: 'ca' } as const;

/**
 * The TLS files of the loading role: `[cluster]` has all three or none (TLS is on for every
 * connection or for none); the role's own section may replace any of them. Only these are read.
 */
function readTls(cluster: Section | undefined, own: Section | undefined, at: (s: Section, key?: string) => string, baseDir: string): TlsFiles | null {
  const v = cluster?.values ?? new Map<string, string>();
  const given = TLS_KEYS.filter((k) => v.has(k));
  if (given.length === 0) return null;
  const missing = TLS_KEYS.filter((k) => !v.has(k));
  if (missing.length > 0) throw new ConfigError(`${at(cluster!, given[0]!)}: TLS needs tls_cert, tls_key and tls_ca (no ${missing.join(', ')})`);
  const from = (key: (typeof TLS_KEYS)[number]): Section => (own?.values.has(key) ? own : cluster!);
  const path = (key: (typeof TLS_KEYS)[number]) => resolve(baseDir, from(key).values.get(key)!);
  return loadTlsFiles({ cert: path('tls_cert'), key: path('tls_key'), ca: path('tls_ca') }, (which) => at(from(`tls_${which}`), `tls_${which}`));
}

/** Every role section's own TLS paths, absolute; only with TLS on in `[cluster]`. */
function readTlsOverrides(sections: Section[], cluster: Section | undefined, at: (s: Section, key?: string) => string, baseDir: string): Record<string, TlsPaths> {
  const out: Record<string, TlsPaths> = {};
  for (const s of sections) {
    if (s === cluster) continue;
    const given = TLS_KEYS.filter((k) => s.values.has(k));
    if (given.length === 0) continue;
    if (!cluster?.values.has('tls_cert')) throw new ConfigError(`${at(s, given[0]!)}: TLS is off ([cluster] has no tls_cert, tls_key, tls_ca)`);
    out[s.header] = Object.fromEntries(given.map((k) => [TLS_PATH_OF[k], resolve(baseDir, s.values.get(k)!)]));
  }
  return out;
}

/** The PEM files of mutual TLS, read and checked (the key readable by its owner only); `at` names each in errors. */
export function loadTlsFiles(paths: { cert: string; key: string; ca: string }, at: (which: 'cert' | 'key' | 'ca') => string): TlsFiles {
  const read = (which: 'cert' | 'key' | 'ca'): string => {
    const text = readConfigFile(paths[which], at(which), which === 'key');
    if (!text.includes('-----BEGIN ')) throw new ConfigError(`${at(which)}: ${paths[which]} is not PEM`);
    return text;
  };
  return { certFile: paths.cert, keyFile: paths.key, caFile: paths.ca, cert: read('cert'), key: read('key'), ca: read('ca') };
}

/** A file a key names; `ownerOnly`: refused if anyone but its owner may read it (a secret, a private key). */
function readConfigFile(path: string, at: string, ownerOnly: boolean): string {
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${at}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (ownerOnly && (mode & 0o077) !== 0) throw new ConfigError(`${at}: ${path} may be read by others (chmod 600 ${path})`);
  return text;
}

/** A built-in application's name, or a module's path or package name (resolved: src/app/load.ts). */
function appSpec(raw: string, at: string, baseDir: string): string {
  if (raw.trim() === '') throw new ConfigError(`${at}: empty (a built-in app: status, log, kv; or a module's path or package name)`);
  return resolveAppSpec(raw, baseDir);
}

function decimal(raw: string, at: string): number {
  if (!DECIMAL.test(raw)) throw new ConfigError(`${at}: not a number: ${quote(raw)}`);
  return Number(raw);
}

function integer(raw: string, min: number, max: number, at: string): number {
  const n = decimal(raw, at);
  if (!INTEGER.test(raw)) throw new ConfigError(`${at}: not a whole number: ${quote(raw)}`);
  if (n < min || n > max) throw new ConfigError(`${at}: out of range (${min} to ${max}): ${quote(raw)}`);
  return n;
}

/** Seconds in the file or a flag, milliseconds in the config. */
function seconds(raw: string, at: string): number {
  const n = decimal(raw, at);
  if (n < MIN_SECONDS || n > MAX_SECONDS) {
    throw new ConfigError(`${at}: out of range (${MIN_SECONDS} to ${MAX_SECONDS} seconds): ${quote(raw)}`);
  }
  return Math.round(n * 1000);
}

function secondsText(ms: number): string {
  return String(ms / 1000);
}

type At = (s: Section, key?: string) => string;

function requiredValue(s: Section, key: string, at: At): string {
  const v = s.values.get(key);
  if (v === undefined) throw new ConfigError(`${at(s, key)}: missing`);
  return v;
}

function readPort(s: Section, key: string, at: At): number {
  return integer(requiredValue(s, key, at), 1, 65535, at(s, key));
}

/** A leader role's endpoints, remembering the section each came from (for error lines). */
type LeaderEndpoint = NamedEndpoint & { section: string };

const named = ({ name, host, port }: NamedEndpoint): NamedEndpoint => ({ name, host, port });

/**
 * `[rm]` alone (one RM, named `RM`), or `[rm.RM1]`… by name, which only `coordinator = etcd`
 * makes sense of (several RMs need something to agree on a leader through); likewise the GFDs.
 */
function readLeaders(sections: Section[], kind: 'rm' | 'gfd', bareName: string, coordinated: boolean, source: string, at: At): LeaderEndpoint[] {
  const all = sections.filter((s) => s.kind === kind);
  const bare = all.find((s) => s.header === kind);
  const byName = all.filter((s) => s !== bare);
  const noun = kind.toUpperCase();
  if (bare !== undefined && byName.length > 0) throw new ConfigError(`${at(byName[0]!)}: with [${kind}] too (write one [${kind}], or ${noun}s by name only)`);
  if (byName.length > 0 && !coordinated) throw new ConfigError(`${at(byName[0]!)}: ${noun}s by name need [cluster] coordinator = etcd (write one [${kind}])`);
  if (all.length === 0) throw new ConfigError(`${where(source, kind)}: missing section`);
  const out = all.map((s): LeaderEndpoint => ({ name: s === bare ? bareName : s.name, ...readEndpoint(s, at), section: s.header }));
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const COORDINATORS = ['none', 'etcd'] as const;
const DEFAULT_ETCD_PREFIX = '/steadfast/';
const DEFAULT_LEASE_TTL_S = 2;

/** `[cluster] coordinator` and, with `etcd`, the `[etcd]` section; null for `none`. */
function readEtcd(cluster: Section | undefined, s: Section | undefined, source: string, at: At): EtcdSettings | null {
  const raw = cluster?.values.get('coordinator');
  const coordinator = raw === undefined ? 'none' : oneOf(raw, COORDINATORS, where(source, 'cluster', 'coordinator'));
  if (coordinator === 'none') {
    if (s !== undefined) throw new ConfigError(`${at(s)}: read only with [cluster] coordinator = etcd`);
    return null;
  }
  if (s === undefined) throw new ConfigError(`${where(source, 'etcd')}: missing section (needed with [cluster] coordinator = etcd)`);
  const endpoints = requiredValue(s, 'endpoints', at).split(',').map((e) => etcdEndpoint(e.trim(), at(s, 'endpoints')));
  const prefix = s.values.get('prefix') ?? DEFAULT_ETCD_PREFIX;
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) throw new ConfigError(`${at(s, 'prefix')}: must start and end with '/': ${quote(prefix)}`);
  const ttl = s.values.get('lease_ttl');
  return { endpoints, prefix, leaseTtlS: ttl === undefined ? DEFAULT_LEASE_TTL_S : integer(ttl, 1, 3600, at(s, 'lease_ttl')) };
}

/** An etcd client URL: `http://host:port` or `https://host:port`, nothing after. */
function etcdEndpoint(raw: string, at: string): string {
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    // Said below.
  }
  if (url === null || !['http:', 'https:'].includes(url.protocol) || url.port === '' || url.pathname !== '/' || url.search !== '' || url.username !== '') {
    throw new ConfigError(`${at}: not an etcd client URL (http://HOST:PORT or https://HOST:PORT): ${quote(raw)}`);
  }
  return `${url.protocol}//${url.host}`;
}

function readEndpoint(s: Section, at: At): Endpoint {
  return { host: readHost(s, 'host', at), port: readPort(s, 'port', at) };
}

function readHost(s: Section, key: string, at: At): string {
  const host = requiredValue(s, key, at);
  // Brackets too: an IPv6 address is written bare (`::1`); we add brackets when printing it.
  if (/[\s,<>[\]]/.test(host)) throw new ConfigError(`${at(s, key)}: not a host name or address: ${quote(host)}`);
  return host;
}

/** `[cluster]` with the flags applied, then the checks that compare two keys; TLS files are the loading role's (`own`: its section). */
function readCluster(s: Section | undefined, source: string, o: ClusterOverrides, baseDir: string, own: Section | undefined): ClusterSettings {
  const v = s?.values ?? new Map<string, string>();
  const at = (key: string): string => where(source, 'cluster', key);
  const get = <T>(key: string, fallback: T, read: (raw: string, at: string) => T): T => {
    const raw = v.get(key);
    return raw === undefined ? fallback : read(raw, at(key));
  };
  const size = (raw: string, a: string): number => integer(raw, MIN_FRAME, MAX_FRAME_LIMIT, a);

  const c: ClusterSettings = {
    mode: get('mode', DEFAULT_SETTINGS.mode, (r, a) => oneOf(r, MODES, a)),
    heartbeatFreqMs: get('heartbeat_freq', DEFAULT_SETTINGS.heartbeatFreqMs, seconds),
    heartbeatTimeoutMs: get('heartbeat_timeout', DEFAULT_SETTINGS.heartbeatTimeoutMs, seconds),
    checkpointFreqMs: get('checkpoint_freq', DEFAULT_SETTINGS.checkpointFreqMs, seconds),
    durability: get('durability', DEFAULT_SETTINGS.durability, (r, a) => oneOf(r, DURABILITIES, a)),
    app: get('app', DEFAULT_SETTINGS.app, (r, a) => appSpec(r, a, baseDir)),
    maxFrame: get('max_frame', DEFAULT_SETTINGS.maxFrame, size),
    maxStateFrame: get('max_state_frame', DEFAULT_SETTINGS.maxStateFrame, (raw, a) => integer(raw, MIN_FRAME, MAX_STATE_LIMIT, a)),
    maxConnections: get('max_connections', DEFAULT_SETTINGS.maxConnections, (r, a) => integer(r, 1, 1_000_000, a)),
    maxClients: get('max_clients', DEFAULT_SETTINGS.maxClients, (r, a) => integer(r, 1, 10_000_000, a)),
    secret: get('secret', DEFAULT_SETTINGS.secret, (r, a) => (r === '' ? null : checkSecret(r, a))),
    tls: readTls(s, own, (section, key) => where(source, section.header, key), baseDir),
  };
  const file = v.get('secret_file');
  if (file !== undefined && file !== '') {
    if (c.secret !== null) throw new ConfigError(`${at('secret_file')}: give secret or secret_file, not both`);
    // Its last line break does not count.
    c.secret = checkSecret(readConfigFile(resolve(baseDir, file), at('secret_file'), true).replace(/\r?\n$/, ''), at('secret_file'));
  }
  for (const [k, value] of Object.entries(o)) if (value !== undefined) Object.assign(c, { [k]: value });

  if (c.heartbeatTimeoutMs <= c.heartbeatFreqMs) {
    // Name what the user actually wrote: a flag before a file key, and a key before a default.
    const freq = secondsText(c.heartbeatFreqMs);
    const timeout = secondsText(c.heartbeatTimeoutMs);
    if (o.heartbeatTimeoutMs !== undefined) throw new ConfigError(`--heartbeat-timeout: must exceed heartbeat_freq (${freq})`);
    if (o.heartbeatFreqMs !== undefined) throw new ConfigError(`--heartbeat-freq: must be below heartbeat_timeout (${timeout})`);
    if (v.has('heartbeat_timeout') || !v.has('heartbeat_freq')) {
      throw new ConfigError(`${at('heartbeat_timeout')}: must exceed heartbeat_freq (${freq})`);
    }
    throw new ConfigError(`${at('heartbeat_freq')}: must be below heartbeat_timeout (${timeout})`);
  }
  if (c.maxStateFrame < c.maxFrame) {
    throw new ConfigError(v.has('max_state_frame')
      ? `${at('max_state_frame')}: must be at least max_frame (${c.maxFrame})`
      : `${at('max_frame')}: must be at most max_state_frame (${c.maxStateFrame})`);
  }
  return c;
}

/** A server's data folder: its own `data_dir`, else its name under `[cluster] data_dir`, else none. Empty means none. */
function dataDirOf(s: Section, cluster: Section | undefined, at: (s: Section, key?: string) => string, baseDir: string): Pick<ServerConfig, 'dataDir' | 'dataDirFrom'> {
  const own = s.values.get('data_dir');
  if (own !== undefined && own !== '') return { dataDir: resolve(baseDir, own), dataDirFrom: at(s, 'data_dir') };
  const shared = cluster?.values.get('data_dir');
  if (shared !== undefined && shared !== '' && own === undefined) return { dataDir: resolve(baseDir, shared, s.name), dataDirFrom: at(cluster!, 'data_dir') };
  return {};
}

/** Every LFD names a configured server, and no server has two LFDs (they would both launch it). */
function checkLfds(sections: Section[], at: At): void {
  const servers = new Set(sections.filter((s) => s.kind === 'server').map((s) => s.name));
  const watcher = new Map<string, string>();
  for (const s of sections) {
    if (s.kind !== 'lfd') continue;
    const server = s.values.get('server') ?? '';
    if (!servers.has(server)) throw new ConfigError(`${at(s, 'server')}: no server named ${quote(server)}`);
    const other = watcher.get(server);
    if (other !== undefined) throw new ConfigError(`${at(s, 'server')}: ${server} is already watched by [${other}]`);
    watcher.set(server, s.header);
  }
}

/**
 * The address a host binds as far as the file can tell without asking DNS: `localhost` is
 * loopback, IPv6 addresses compare in their canonical form (`0:0:0:0:0:0:0:1` is `::1`).
 */
function bindKey(host: string): string {
  const h = host.toLowerCase();
  if (h === 'localhost') return '127.0.0.1';
  if (isIP(h) === 6) return new URL(`http://[${h}]/`).hostname;
  return h;
}

const WILDCARDS = new Set(['0.0.0.0', '[::]']);

/**
 * Two listeners on one port of one address cannot both start; say which two. A wildcard address
 * (`0.0.0.0`, `::`) takes the port on every address, so it clashes with any other on that port.
 */
function checkEndpoints(
  sections: Section[],
  parsed: { rms: LeaderEndpoint[]; gfds: LeaderEndpoint[]; servers: ServerConfig[] },
  at: At,
): void {
  const used: { address: string; port: number; by: string }[] = [];
  const claim = (s: Section, key: string, host: string, port: number): void => {
    const address = bindKey(host);
    const other = used.find((u) => u.port === port && (u.address === address || WILDCARDS.has(u.address) || WILDCARDS.has(address)));
    if (other !== undefined) throw new ConfigError(`${at(s, key)}: ${formatEndpoint(host, port)} is already used by ${other.by}`);
    used.push({ address, port, by: `[${s.header}] ${key}` });
  };
  // In file order, so the message blames the later of the two lines.
  for (const s of sections) {
    if (s.kind === 'rm' || s.kind === 'gfd') {
      const e = (s.kind === 'rm' ? parsed.rms : parsed.gfds).find((x) => x.section === s.header)!;
      claim(s, 'port', e.host, e.port);
    } else if (s.kind === 'server') {
      const sv = parsed.servers.find((x) => x.name === s.name);
      if (sv === undefined) continue;
      claim(s, 'port', sv.host, sv.port);
      claim(s, 'peer_port', sv.peerHost, sv.peerPort);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Message pieces

function where(source: string, header: string, key?: string): string {
  return key === undefined ? `${source}: [${header}]` : `${source}: [${header}] ${short(key)}`;
}

/** A value as shown in a message: quoted, and cut so one bad line cannot flood the terminal. */
function quote(value: string): string {
  return `'${short(value)}'`;
}

function short(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
