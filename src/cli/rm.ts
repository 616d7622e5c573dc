import type { AnyActorLogic } from 'xstate';
import { rmMachine } from '../actors/rm.js';
import { createPrinter } from '../log/printer.js';
import { COMMON_HELP, commonFlags, configFrom, parse, requireName } from './args.js';
import { runRole } from './run-role.js';
import { transportFor } from '../transport/tcp.js';

export const RM_HELP = `steadfast rm [--name RM1] [--config FILE] [--mode active|passive]
The replication manager: learns the membership from the GFD, assigns roles and epochs, orders
recovery and relaunch, tells clients where to send. With several [rm.NAME] sections
(coordinator = etcd), --name says which one this is; one of them leads, the others stand by.

${COMMON_HELP}`;

export async function rmCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { name: { type: 'string' } });
  const flags = commonFlags(values);
  if (flags.help) return void console.log(RM_HELP), 0;
  const named = values.name as string | undefined;
  const config = configFrom(flags, named === undefined ? 'rm' : `rm.${named}`);
  const names = config.rms.map((r) => r.name);
  const name = named === undefined && names.length === 1 ? names[0]! : requireName(named, 'RM', names, config.source);
  const print = createPrinter({ format: flags.logFormat, level: flags.logLevel, role: 'rm' });
  // etcd's client is loaded only by a cluster that has a coordinator.
  const actors: Record<string, AnyActorLogic> = config.etcd === null ? {} : { leadership: (await import('../actors/etcd-leadership.js')).etcdLeadership };
  return runRole(rmMachine, { config, print, name }, { print, name, transport: transportFor(config.cluster), actors, inspect: { address: flags.inspect, role: 'rm' } });
}
