/**
 * `steadfast members [list | add NAME | remove NAME]`: the membership that etcd holds
 * (`coordinator = etcd`, docs/operations.md). NAME must be a server the ini file describes (the file
 * is every role's address book); the RMs and GFDs watch the key and take the change at once.
 */
import type { ClusterConfig } from '../config/types.js';
import { COMMON_HELP, UsageError, commonFlags, configFrom, parse, type Options } from './args.js';

export const MEMBERS_HELP = `steadfast members [list | add NAME | remove NAME] [--config FILE]
With coordinator = etcd, the servers that belong to the cluster are held in etcd: list them, add
one the ini file describes (its [server.NAME] and LFD; the RMs and GFDs take it at once, then start
its LFD), or remove one (the RM drains it and never starts it again; then stop its LFD).
Exit 0 done; 1 when etcd does not answer; 2 for a mistake.

${COMMON_HELP}`;

/** The flags of this command besides the common ones (docs/configuration.md lists them). */
export const MEMBERS_OPTIONS = {} as const satisfies Options;

const ETCD_TIMEOUT_MS = 5000;

export async function membersCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, MEMBERS_OPTIONS, true);
  const flags = commonFlags(values);
  if (flags.help) return void console.log(MEMBERS_HELP), 0;
  const config = configFrom(flags);
  if (config.etcd === null) throw new UsageError(`members needs coordinator = etcd in ${config.source} (without it, edit the file and send the RM and GFD SIGHUP)`);
  const [verb = 'list', name, ...extra] = positionals;
  if (!['list', 'add', 'remove'].includes(verb)) throw new UsageError(`members: not list, add or remove: '${verb}'`);
  if ((verb === 'list') !== (name === undefined) || extra.length > 0) throw new UsageError(verb === 'list' ? 'members list takes no name' : `members ${verb} takes one server name`);
  if (verb === 'add' && !config.servers.some((s) => s.name === name)) {
    throw new UsageError(`no [server.${name}] in ${config.source}: describe it there (on every host) first`);
  }
  try {
    console.log(await withTimeout(change(config, verb, name ?? '')));
    return 0;
  } catch (err) {
    process.stderr.write(`steadfast members: ${(err as Error).message}\n`);
    return 1;
  }
}

async function change(config: ClusterConfig, verb: string, name: string): Promise<string> {
  const [{ Etcd3 }, members] = await Promise.all([import('etcd3'), import('../coordination/members.js')]);
  const etcd = config.etcd!;
  const client = new Etcd3({ hosts: etcd.endpoints });
  try {
    const initial = config.servers.map((s) => s.name);
    if (verb === 'list') return `members: ${(await members.ensureMembers(client, etcd.prefix, initial)).join(', ')}`;
    const { before, after } = await members.changeMembers(client, etcd.prefix, initial, (names) =>
      verb === 'add' ? [...names, name] : names.filter((n) => n !== name),
    );
    const what = before.join() === after.join() ? `${name} ${verb === 'add' ? 'was a member already' : 'was not a member'}` : `${name} ${verb === 'add' ? 'added' : 'removed'}`;
    return `members: ${after.join(', ')} (${what})`;
  } finally {
    client.close();
  }
}

function withTimeout<T>(p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`etcd did not answer within ${ETCD_TIMEOUT_MS / 1000} s`)), ETCD_TIMEOUT_MS).unref())]);
}
