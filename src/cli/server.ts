import { createInterface } from 'node:readline';
import { openDataFolder } from '../actors/data-folder.js';
import { serverMachine, type ServerDisk } from '../actors/server.js';
import { ConfigError, configReader } from '../config/load.js';
import type { ServerConfig } from '../config/types.js';
import type { Print } from '../log/events.js';
import { createPrinter } from '../log/printer.js';
import { DataDirError, openDataDir } from '../storage/node-disk.js';
import { FormatError } from '../storage/records.js';
import { COMMON_HELP, appOf, commonFlags, configFrom, loadOptions, parse, requireName, type Options } from './args.js';
import { roleMetrics, runRole } from './run-role.js';
import type { Disk } from '../storage/disk.js';
import { transportFor } from '../transport/tcp.js';

export const SERVER_HELP = `steadfast server --name S1 [--config FILE] [--standby]
A replica: serves client requests on its port, heartbeats and peers on its peer_port. Usually
started by its LFD.

  --standby   load, then wait for a line \`start\` on standard input before reading the
              configuration (an LFD's warm spare, \`steadfast lfd --spare\`); exit 0 at its end

${COMMON_HELP}`;

/** The flags of this command besides the common ones (docs/configuration.md lists them). */
export const SERVER_OPTIONS = { name: { type: 'string' }, standby: { type: 'boolean' } } as const satisfies Options;

export async function serverCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, SERVER_OPTIONS);
  const flags = commonFlags(values);
  if (flags.help) return void console.log(SERVER_HELP), 0;
  if (values.standby && !(await told('start'))) return 0;
  const config = configFrom(flags, `server.${values.name}`);
  const name = requireName(values.name, 'server', config.servers.map((s) => s.name), config.source);
  const app = await appOf(config);
  const print = createPrinter({ format: flags.logFormat, level: flags.logLevel, role: 'server' });
  const metrics = await roleMetrics(flags.admin, 'server', name);
  const disk = dataFolder(config.servers.find((s) => s.name === name)!, print, metrics ? (d) => metrics.timeDisk(d) : (d) => d);
  const input = { name, config, app, pid: process.pid, print, reloadConfig: configReader(loadOptions(flags, `server.${name}`)), ...(disk && { disk }) };
  const inspect = { address: flags.inspect, role: 'server' };
  return runRole(serverMachine, input, { print, name, transport: transportFor(config.cluster), inspect, admin: flags.admin, metrics, termEvent: { type: 'drain' } });
}

/**
 * Waits for the line `word` on standard input: true when it comes, false at the input's end (the
 * LFD that keeps this spare is gone). The configuration is read only after it, so a spare started
 * long ago still starts from the file as it is now.
 */
async function told(word: string): Promise<boolean> {
  const lines = createInterface({ input: process.stdin });
  try {
    for await (const line of lines) if (line.trim() === word) return true;
    return false;
  } finally {
    lines.close();
    process.stdin.destroy();
  }
}

/**
 * With a `data_dir`: the folder (made and checked now: one line and exit 2 if it cannot be used),
 * what it holds (restored before the server answers anything), and fail-stop on a failed write;
 * `watch` wraps the folder (`--admin` times its syncs).
 */
function dataFolder(server: ServerConfig, print: Print, watch: (disk: Disk) => Disk): ServerDisk | null {
  if (server.dataDir === undefined) return null;
  try {
    return openDataFolder(watch(openDataDir(server.dataDir)), { server: server.name, print, failStop: () => process.exit(1) });
  } catch (err) {
    if (err instanceof DataDirError) throw new ConfigError(`${server.dataDirFrom}: ${err.message}`);
    if (err instanceof FormatError) throw new ConfigError(`${server.dataDirFrom}: ${server.dataDir}: ${err.message}`);
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== undefined) throw new ConfigError(`${server.dataDirFrom}: ${server.dataDir}: cannot be read or written (${code})`);
    throw err;
  }
}
