import { rmMachine } from '../actors/rm.js';
import { createPrinter } from '../log/printer.js';
import { COMMON_HELP, commonFlags, configFrom, parse } from './args.js';
import { runRole } from './run-role.js';
import { transportFor } from '../transport/tcp.js';

export const RM_HELP = `steadfast rm [--config FILE] [--mode active|passive]
The replication manager: learns the membership from the GFD, assigns roles and epochs, orders
recovery and relaunch, tells clients where to send.

${COMMON_HELP}`;

export async function rmCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {});
  const flags = commonFlags(values);
  if (flags.help) return void console.log(RM_HELP), 0;
  const config = configFrom(flags, 'rm');
  const print = createPrinter({ format: flags.logFormat, level: flags.logLevel, role: 'rm' });
  return runRole(rmMachine, { config, print }, { print, name: 'RM', transport: transportFor(config.cluster), inspect: { address: flags.inspect, role: 'rm' } });
}
