import { gfdMachine } from '../actors/gfd.js';
import { createPrinter } from '../log/printer.js';
import { COMMON_HELP, commonFlags, leaderRole, loadOptions, parse, type Options } from './args.js';
import { membership } from './membership.js';
import { runRole } from './run-role.js';
import { transportFor } from '../transport/tcp.js';

export const GFD_HELP = `steadfast gfd [--name GFD1] [--config FILE]
The global fault detector: heartbeats every LFD, keeps the membership, reports it to the RM.
With several [gfd.NAME] sections (coordinator = etcd), --name says which one this is.

${COMMON_HELP}`;

/** The flags of this command besides the common ones (docs/configuration.md lists them). */
export const GFD_OPTIONS = { name: { type: 'string' } } as const satisfies Options;

export async function gfdCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, GFD_OPTIONS);
  const flags = commonFlags(values);
  if (flags.help) return void console.log(GFD_HELP), 0;
  // With a coordinator the GFD campaigns among the GFDs and follows the RMs' election.
  const { config, name, actors } = await leaderRole(flags, 'gfd', values.name as string | undefined);
  const print = createPrinter({ format: flags.logFormat, level: flags.logLevel, role: 'gfd' });
  const load = loadOptions(flags, values.name === undefined ? 'gfd' : `gfd.${values.name}`);
  const { config: members, attach } = await membership(load, config, print, name);
  return runRole(gfdMachine, { config: members, print, name }, { print, name, transport: transportFor(config.cluster), actors, inspect: { address: flags.inspect, role: 'gfd' }, admin: flags.admin, attach });
}
