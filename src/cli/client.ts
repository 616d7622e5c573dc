import { createInterface } from 'node:readline';
import { clientMachine, type ClientOutput } from '../actors/client.js';
import { createPrinter } from '../log/printer.js';
import { COMMON_HELP, UsageError, commonFlags, configFrom, parse, requireName } from './args.js';
import { runRole } from './run-role.js';

export const CLIENT_HELP = `steadfast client --name C1 [--config FILE] [--count N] [--interval SECONDS] [--stdin]
A client: sends numbered requests (message + number, or each line typed with --stdin), prints the
replies, discards duplicates, follows the RM to the serving replicas.
  --count N      stop after N answered requests (exit 0)
  --interval S   seconds between requests (default: the file's [client.NAME] interval)
  --stdin        each line typed is the next request's string

${COMMON_HELP}`;

function positiveNumber(flag: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag}: not a positive ${integer ? 'whole number' : 'number'}: '${value}'`);
  }
  return n;
}

export async function clientCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    name: { type: 'string' },
    count: { type: 'string' },
    interval: { type: 'string' },
    stdin: { type: 'boolean' },
  });
  const flags = commonFlags(values);
  if (flags.help) return void console.log(CLIENT_HELP), 0;
  const config = configFrom(flags);
  const name = requireName(values.name, 'client', config.clients.map((c) => c.name), config.source);
  const count = positiveNumber('--count', values.count, true);
  const interval = positiveNumber('--interval', values.interval, false);
  const print = createPrinter({ format: flags.logFormat, level: flags.logLevel, role: 'client', name });
  const input = { name, config, print, count, intervalMs: interval === undefined ? undefined : interval * 1000, stdin: values.stdin };
  return runRole(clientMachine, input, {
    print,
    name,
    inspect: { address: flags.inspect, role: 'client' },
    exitCode: (output) => (output as ClientOutput | undefined)?.exitCode ?? 0,
    attach: (actor) => {
      if (!values.stdin) return;
      const lines = createInterface({ input: process.stdin });
      lines.on('line', (text) => actor.send({ type: 'line', text }));
      lines.on('close', () => actor.send({ type: 'eof' }));
    },
  });
}
