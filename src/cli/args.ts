/**
 * Command-line flags common to every role (SPEC §3), parsed with node:util's parseArgs. A mistake is
 * a `UsageError`: one line, exit status 2.
 */
import type { AnyActorLogic } from 'xstate';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, parseOverrides, type LoadOptions } from '../config/load.js';
import type { App } from '../app/app.js';
import { loadApp } from '../app/load.js';
import type { ClusterConfig, ClusterOverrides } from '../config/types.js';
import type { LogLevel } from '../log/events.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Flags every command takes. */
export const commonOptions = {
  config: { type: 'string' },
  mode: { type: 'string' },
  'heartbeat-freq': { type: 'string' },
  'heartbeat-timeout': { type: 'string' },
  'checkpoint-freq': { type: 'string' },
  durability: { type: 'string' },
  app: { type: 'string' },
  'log-format': { type: 'string' },
  'log-level': { type: 'string' },
  quiet: { type: 'boolean' },
  inspect: { type: 'string' },
  admin: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

/** `--inspect` alone. */
export const DEFAULT_INSPECT_PORT = 7070;
/** `--admin` alone: the port Prometheus exporters commonly take. */
export const DEFAULT_ADMIN_PORT = 9464;

export const COMMON_HELP = `Options for every command:
  --config FILE              the cluster's ini file (default: ./cluster.ini, else the embedded default)
  --mode active|passive      --heartbeat-freq S   --heartbeat-timeout S   --checkpoint-freq S
  --durability sync|checkpoint   --app status|log|kv|PATH  (override the file's [cluster] keys)
  --log-format text|json     --log-level error|warn|info|debug   --quiet (= --log-level warn)
  --inspect [[HOST:]PORT]    a live page of the machines and events (default 127.0.0.1:${DEFAULT_INSPECT_PORT};
                             port 0: any free one; the address is printed)
  --admin [[HOST:]PORT]      /healthz, /readyz and /metrics for an orchestrator and Prometheus
                             (default 127.0.0.1:${DEFAULT_ADMIN_PORT}; docs/operations.md)
  -h, --help`;

export interface CommonFlags {
  configPath: string | undefined;
  overrides: ClusterOverrides;
  logFormat: 'text' | 'json';
  logLevel: LogLevel;
  /** `--inspect`: where the page is served, or null when off. */
  inspect: { host: string; port: number } | null;
  /** `--admin`: where /healthz, /readyz and /metrics are served, or null when off. */
  admin: { host: string; port: number } | null;
  help: boolean;
}

/** `--inspect`'s value when it is one: `PORT`, `HOST:PORT` or `[V6]:PORT`. */
const INSPECT_VALUE = /^(?:(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):)?\d+$/;

/**
 * `--inspect` and `--admin` take an optional value, which parseArgs cannot say: a bare one (followed
 * by another flag, a positional that is not an address, or nothing) becomes `--inspect=` (`--admin=`)
 * + its default.
 */
export function expandInspect(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return [...out, ...argv.slice(i)];
    const bare = !(i + 1 < argv.length && INSPECT_VALUE.test(argv[i + 1]!));
    if (a === '--inspect' && bare) out.push(`--inspect=${DEFAULT_INSPECT_PORT}`);
    else if (a === '--admin' && bare) out.push(`--admin=${DEFAULT_ADMIN_PORT}`);
    else out.push(a);
  }
  return out;
}

export function inspectAddress(value: string | undefined, flag = '--inspect'): { host: string; port: number } | null {
  if (value === undefined) return null;
  if (!INSPECT_VALUE.test(value)) throw new UsageError(`${flag}: not PORT or HOST:PORT: '${value}'`);
  const colon = value.lastIndexOf(':');
  const host = colon < 0 ? '127.0.0.1' : value.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(colon < 0 ? value : value.slice(colon + 1));
  if (port > 65535) throw new UsageError(`${flag}: not a port (0 to 65535): '${value}'`);
  return { host, port };
}

/** A flag's value as a positive number (`integer`: a whole one); `fallback` when it is absent. */
export function positive<F extends number | undefined>(flag: string, value: string | undefined, fallback: F, integer = false): number | F {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag}: not a positive ${integer ? 'whole number' : 'number'}: '${value}'`);
  }
  return n;
}

type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: typeof commonOptions & O; allowPositionals: boolean; strict: true }>>;

/** `common`: the flags every role takes (`commonOptions`) are accepted too. */
export function parse<O extends Options>(argv: string[], options: O, allowPositionals = false, common = true): Parsed<O> {
  try {
    return parseArgs({ args: expandInspect(argv), options: { ...(common ? commonOptions : {}), ...options }, allowPositionals, strict: true }) as Parsed<O>;
  } catch (err) {
    // parseArgs says e.g. "Unknown option '--foo'. To specify a positional argument starting ...",
    // over lines at times: keep its first sentence, the part a person needs, on one line.
    const first = (err as Error).message.split(/\.\s/)[0]!.replace(/\.$/, '');
    const flag = /^Option '(--[\w-]+)' argument is ambiguous$/.exec(first)?.[1];
    throw new UsageError(flag === undefined ? first : `${first}: a value starting with a dash is written ${flag}=VALUE`);
  }
}

export function commonFlags(values: Record<string, string | boolean | undefined>): CommonFlags {
  const logFormat = (values['log-format'] ?? 'text') as string;
  if (logFormat !== 'text' && logFormat !== 'json') throw new UsageError(`--log-format: not text or json: '${logFormat}'`);
  const level = (values.quiet ? 'warn' : (values['log-level'] ?? 'info')) as string;
  if (!['error', 'warn', 'info', 'debug'].includes(level)) {
    throw new UsageError(`--log-level: not error, warn, info or debug: '${level}'`);
  }
  const str = (k: string) => values[k] as string | undefined;
  return {
    configPath: str('config'),
    overrides: parseOverrides({
      mode: str('mode'),
      heartbeatFreq: str('heartbeat-freq'),
      heartbeatTimeout: str('heartbeat-timeout'),
      checkpointFreq: str('checkpoint-freq'),
      durability: str('durability'),
      app: str('app'),
    }),
    logFormat,
    logLevel: level as LogLevel,
    inspect: inspectAddress(values.inspect as string | undefined),
    admin: inspectAddress(values.admin as string | undefined, '--admin'),
    help: Boolean(values.help),
  };
}

/** How `role` (its section header: `server.S1`, `rm`, …) reads the configuration the flags name. */
export function loadOptions(flags: CommonFlags, role?: string): LoadOptions {
  return { path: flags.configPath, overrides: flags.overrides, ...(role !== undefined && { role }) };
}

/** The configuration, with the TLS files of `role` where it has its own. */
export function configFrom(flags: CommonFlags, role?: string): ClusterConfig {
  return loadConfig(loadOptions(flags, role));
}

/** The configured application, loaded and checked before anything starts (a bad module: exit 2). */
export function appOf(config: ClusterConfig): Promise<App<any>> {
  return loadApp(config.cluster.app, config.appFrom);
}

/** The flags a parent passes on to a child role so that it sees the same cluster and prints alike. */
export function childArgs(flags: CommonFlags, overrideArgs: string[]): string[] {
  return [
    ...(flags.configPath ? ['--config', flags.configPath] : []),
    ...overrideArgs,
    '--log-format',
    flags.logFormat,
    '--log-level',
    flags.logLevel,
  ];
}

/**
 * An RM's or a GFD's configuration and name (`--name` among several `[rm.NAME]`, else the one),
 * and with a coordinator the leadership actor over etcd, whose client is loaded only then.
 */
export async function leaderRole(flags: CommonFlags, kind: 'rm' | 'gfd', named: string | undefined) {
  const config = configFrom(flags, named === undefined ? kind : `${kind}.${named}`);
  const names = (kind === 'rm' ? config.rms : config.gfds).map((x) => x.name);
  const name = named === undefined && names.length === 1 ? names[0]! : requireName(named, kind.toUpperCase(), names, config.source);
  const actors: Record<string, AnyActorLogic> = config.etcd === null ? {} : { leadership: (await import('../actors/etcd-leadership.js')).etcdLeadership };
  return { config, name, actors };
}

export function requireName(value: unknown, kind: string, names: string[], source: string): string {
  if (typeof value !== 'string') throw new UsageError(`--name is required (one of: ${names.join(', ')})`);
  if (!names.includes(value)) throw new UsageError(`--name: no ${kind} named '${value}' in ${source} (one of: ${names.join(', ')})`);
  return value;
}

export { ConfigError };
