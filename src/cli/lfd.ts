import { fileURLToPath } from 'node:url';
import { lfdMachine } from '../actors/lfd.js';
import { formatEndpoint, overridesToArgs } from '../config/load.js';
import { createPrinter } from '../log/printer.js';
import { COMMON_HELP, appOf, childArgs, commonFlags, configFrom, parse, requireName, type Options } from './args.js';
import { processLauncher } from './process-launcher.js';
import { runRole } from './run-role.js';
import { transportFor } from '../transport/tcp.js';

export const LFD_HELP = `steadfast lfd --name LFD1 [--config FILE] [--no-launch] [--spare]
A local fault detector: starts its server (unless --no-launch), heartbeats it, reports it to the
GFD, passes commands down.

  --spare     keep a warm spare server process (started, modules loaded, waiting): a relaunch
              then skips node's start and the loading, about 250 ms; it costs one idle process (53 MB)

${COMMON_HELP}`;

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/** The flags of this command besides the common ones (docs/configuration.md lists them). */
export const LFD_OPTIONS = { name: { type: 'string' }, 'no-launch': { type: 'boolean' }, spare: { type: 'boolean' } } as const satisfies Options;

export async function lfdCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, LFD_OPTIONS);
  const flags = commonFlags(values);
  if (flags.help) return void console.log(LFD_HELP), 0;
  const config = configFrom(flags, `lfd.${values.name}`);
  const name = requireName(values.name, 'LFD', config.lfds.map((l) => l.name), config.source);
  // Checked here too: a module its servers cannot load would otherwise show only as relaunches.
  if (!values['no-launch']) await appOf(config);
  const print = createPrinter({ format: flags.logFormat, level: flags.logLevel, role: 'lfd' });
  // With its own --inspect, the LFD's page shows its server too: the server streams to it.
  let childEnv: Record<string, string> = {};
  // With --admin, its server serves its own at the next port (any free one when the LFD's is 0).
  const serverAdmin = flags.admin ? ['--admin', formatEndpoint(flags.admin.host, flags.admin.port === 0 ? 0 : flags.admin.port + 1)] : [];
  const launcher = processLauncher(MAIN, () => [...childArgs(flags, overridesToArgs(flags.overrides)), ...serverAdmin], () => childEnv, values.spare === true);
  const input = { name, config, launch: !values['no-launch'], print };
  const inspect = { address: flags.inspect, role: 'lfd', onStart: (i: { childEnv: Record<string, string> }) => (childEnv = i.childEnv) };
  return runRole(lfdMachine, input, { print, name, transport: transportFor(config.cluster), actors: { launcher }, inspect, admin: flags.admin, termEvent: { type: 'lfd.stop' } });
}
