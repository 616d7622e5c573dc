import { rmMachine } from '../actors/rm.js';
import { createPrinter } from '../log/printer.js';
import { COMMON_HELP, commonFlags, leaderRole, loadOptions, parse, type Options } from './args.js';
import { membership } from './membership.js';
import { runRole } from './run-role.js';
import { transportFor } from '../transport/tcp.js';

export const RM_HELP = `steadfast rm [--name RM1] [--config FILE] [--mode active|passive]
The replication manager: learns the membership from the GFD, assigns roles and epochs, orders
recovery and relaunch, tells clients where to send. With several [rm.NAME] sections
(coordinator = etcd), --name says which one this is; one of them leads, the others stand by.

${COMMON_HELP}`;

/** The flags of this command besides the common ones (docs/configuration.md lists them). */
export const RM_OPTIONS = { name: { type: 'string' } } as const satisfies Options;

export async function rmCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, RM_OPTIONS);
  const flags = commonFlags(values);
  if (flags.help) return void console.log(RM_HELP), 0;
  const { config, name, actors } = await leaderRole(flags, 'rm', values.name as string | undefined);
  const print = createPrinter({ format: flags.logFormat, level: flags.logLevel, role: 'rm' });
  const load = loadOptions(flags, values.name === undefined ? 'rm' : `rm.${values.name}`);
  const { config: members, attach } = await membership(load, config, print, name);
  return runRole(rmMachine, { config: members, print, name }, { print, name, transport: transportFor(config.cluster), actors, inspect: { address: flags.inspect, role: 'rm' }, admin: flags.admin, attach });
}
