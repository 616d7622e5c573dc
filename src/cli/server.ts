import { serverMachine } from '../actors/server.js';
import { createPrinter } from '../log/printer.js';
import { COMMON_HELP, appOf, commonFlags, configFrom, parse, requireName } from './args.js';
import { runRole } from './run-role.js';
import { transportFor } from '../transport/tcp.js';

export const SERVER_HELP = `steadfast server --name S1 [--config FILE]
A replica: serves client requests on its port, heartbeats and peers on its peer_port. Usually
started by its LFD.

${COMMON_HELP}`;

export async function serverCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { name: { type: 'string' } });
  const flags = commonFlags(values);
  if (flags.help) return void console.log(SERVER_HELP), 0;
  const config = configFrom(flags, `server.${values.name}`);
  const name = requireName(values.name, 'server', config.servers.map((s) => s.name), config.source);
  const app = await appOf(config);
  const print = createPrinter({ format: flags.logFormat, level: flags.logLevel, role: 'server', name });
  const input = { name, config, app, pid: process.pid, print };
  return runRole(serverMachine, input, { print, name, transport: transportFor(config.cluster), inspect: { address: flags.inspect, role: 'server' } });
}
