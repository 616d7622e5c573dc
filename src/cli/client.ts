import { createInterface } from 'node:readline';
import { clientMachine, type ClientOutput } from '../actors/client.js';
import { createPrinter } from '../log/printer.js';
import { configReader, NAME_PATTERN } from '../config/load.js';
import { COMMON_HELP, UsageError, commonFlags, configFrom, loadOptions, parse, positive, type Options } from './args.js';
import { historyTap } from './history-tap.js';
import { runRole } from './run-role.js';
import { transportFor } from '../transport/tcp.js';

export const CLIENT_HELP = `steadfast client --name C1 [--config FILE] [--count N] [--interval SECONDS] [--stdin] [--history FILE] [--no-give-up]
A client: sends numbered requests (message + number, or each line typed with --stdin), prints the
replies, discards duplicates, follows the RM to the serving replicas. Any name will do; a
[client.NAME] section gives it its message and interval.
  --count N      stop after N answered requests (exit 0)
  --interval S   seconds between requests (default: the file's [client.NAME] interval)
  --stdin        each line typed is the next request's string
  --history FILE append every operation to FILE as JSON lines for the linearizability checker:
                 invoke (first send, the request) and complete (first reply, its string), timed
                 in microseconds of this host's monotonic clock
  --no-give-up   never exit for lack of a serving replica: wait out a pause of the whole cluster
                 (a partition that suspends every replica) however long it lasts

${COMMON_HELP}`;

/** The flags of this command besides the common ones (docs/configuration.md lists them). */
export const CLIENT_OPTIONS = {
  name: { type: 'string' },
  count: { type: 'string' },
  interval: { type: 'string' },
  stdin: { type: 'boolean' },
  history: { type: 'string' },
  'no-give-up': { type: 'boolean' },
} as const satisfies Options;

export async function clientCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, CLIENT_OPTIONS);
  const flags = commonFlags(values);
  if (flags.help) return void console.log(CLIENT_HELP), 0;
  const config = configFrom(flags, `client.${values.name}`);
  // Clients are open-ended: a [client.NAME] section only gives a client its message and interval.
  const name = values.name;
  if (name === undefined) throw new UsageError('--name is required');
  if (!NAME_PATTERN.test(name)) throw new UsageError(`--name: not a name ([A-Za-z0-9_-]{1,32}): '${name}'`);
  const count = positive('--count', values.count, undefined, true);
  const interval = positive('--interval', values.interval, undefined);
  const tap = values.history === undefined ? null : historyTap(values.history);
  const printer = createPrinter({ format: flags.logFormat, level: flags.logLevel, role: 'client' });
  const print = tap ? tap.wrap(printer) : printer;
  const reloadConfig = configReader(loadOptions(flags, `client.${name}`));
  const input = { name, config, print, count, intervalMs: interval === undefined ? undefined : interval * 1000, stdin: values.stdin, giveUp: !values['no-give-up'], reloadConfig };
  const code = await runRole(clientMachine, input, {
    transport: transportFor(config.cluster),
    print,
    name,
    inspect: { address: flags.inspect, role: 'client' },
    admin: flags.admin,
    exitCode: (output) => (output as ClientOutput | undefined)?.exitCode ?? 0,
    attach: (actor) => {
      if (!values.stdin) return;
      const lines = createInterface({ input: process.stdin });
      lines.on('line', (text) => actor.send({ type: 'line', text }));
      lines.on('close', () => actor.send({ type: 'eof' }));
    },
  });
  tap?.close();
  return code;
}
