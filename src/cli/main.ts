#!/usr/bin/env node
/**
 * `steadfast COMMAND …`: one command per role. Exit status 0 done, 1 failure at run time, 2 bad
 * usage or configuration (one line on standard error).
 */
import { AppLoadError } from '../app/load.js';
import { ConfigError } from '../config/load.js';
import { UsageError } from './args.js';

const USAGE = `usage: steadfast COMMAND [options]   (steadfast COMMAND --help for its options)

  rm       [--config FILE] [--mode active|passive]        the replication manager
  gfd      [--config FILE]                                the global fault detector
  lfd      --name LFD1 [--config FILE] [--no-launch]      a local fault detector (starts its server)
  server   --name S1 [--config FILE]                      a replica server
  client   --name C1 [--config FILE] [--count N] [--interval S] [--stdin]
  drain    NAME [--config FILE]                           hand server NAME's role over and stop it
  members  [list | add NAME | remove NAME]                the servers etcd holds as members
  cluster  [--config FILE] [--mode M] [--clients N]      the whole cluster here, one process per role
  scenario active|passive [--config FILE]                the seed's eight steps against a fresh cluster
  chaos    --mode active|passive --seconds N             faults against a fresh cluster, histories checked
  diagram  [ROLE] [--format mermaid|svg]                 each role's state machine
  verify   [--config FILE | --app PATH] [--seeds N]       the app under simulated failures, checked

Every role and cluster take --inspect [[HOST:]PORT]: a live page of their machines and events.`;

type Command = (argv: string[]) => Promise<number>;

/**
 * Each command's module is loaded only when that command runs: a relaunched server (started by its
 * LFD after a crash, while clients wait) then compiles its own code, not `cluster`'s and
 * `scenario`'s as well, and a role without --inspect loads none of the inspector.
 */
const commands: Record<string, () => Promise<Command>> = {
  rm: async () => (await import('./rm.js')).rmCommand,
  gfd: async () => (await import('./gfd.js')).gfdCommand,
  lfd: async () => (await import('./lfd.js')).lfdCommand,
  server: async () => (await import('./server.js')).serverCommand,
  client: async () => (await import('./client.js')).clientCommand,
  drain: async () => (await import('./drain.js')).drainCommand,
  members: async () => (await import('./members.js')).membersCommand,
  cluster: async () => (await import('./cluster.js')).clusterCommand,
  scenario: async () => (await import('./scenario.js')).scenarioCommand,
  chaos: async () => (await import('./chaos.js')).chaosCommand,
  diagram: async () => (await import('./diagram.js')).diagramCommand,
  verify: async () => (await import('./verify.js')).verifyCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('no command given (try: steadfast --help)');
  if (command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return 0;
  }
  const load = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (!load) throw new UsageError(`unknown command '${command}' (try: steadfast --help)`);
  return (await load())(rest);
}

// A role outlives whoever reads its output (a server whose LFD was killed, `client | head`): a
// closed standard output means nobody is listening any more, not that the role must stop.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Sockets and timers are closed by now; a stuck handle must not keep a stopped role alive.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof AppLoadError) {
      process.stderr.write(`steadfast: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`steadfast: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
