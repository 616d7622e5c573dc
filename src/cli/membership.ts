/**
 * Where the RM's and a GFD's set of servers comes from while they run (docs/operations.md,
 * "Membership without a restart"): the ini file, read again on SIGHUP; with `coordinator = etcd`,
 * the members etcd holds (`src/coordination/members.ts`), the file cut to them, and read again
 * whenever they change there. etcd's client is loaded only with a coordinator.
 */
import type { AnyActorRef } from 'xstate';
import type { LoadOptions } from '../config/load.js';
import { ConfigError } from '../config/load.js';
import type { ClusterConfig } from '../config/types.js';
import type { Print } from '../log/events.js';
import { Reloader, reloadOnHangup } from './reload.js';

/** How long a role waits at start for etcd's members before it starts with the file's, and goes on asking. */
const FIRST_READ_MS = 5000;

export async function membership(load: LoadOptions, config: ClusterConfig, print: Print, name: string): Promise<{ config: ClusterConfig; attach: (actor: AnyActorRef) => void }> {
  if (config.etcd === null) return { config, attach: reloadOnHangup(new Reloader(load, config, print, name)) };
  const etcd = config.etcd;
  const [{ Etcd3 }, members] = await Promise.all([import('etcd3'), import('../coordination/members.js')]);
  const client = new Etcd3({ hosts: etcd.endpoints });
  const say = (level: 'info' | 'warn', text: string) => print({ event: 'note', name, level, text });
  let current: string[] | null = null;
  // The members in etcd; the file's servers when there is no key yet (then written: from now on etcd holds them).
  const first = members.ensureMembers(client, etcd.prefix, config.servers.map((s) => s.name));
  const timeout = new Promise<null>((r) => setTimeout(() => r(null), FIRST_READ_MS).unref());
  const read = await Promise.race([first, timeout]).catch((err: Error) => {
    say('warn', `etcd does not answer (${err.message}): the members are the file's for now`);
    return null;
  });
  let start = config;
  if (read !== null) {
    const cut = members.withMembers(config, read);
    if (cut.unknown.length > 0) throw new ConfigError(`${config.source}: etcd's members include ${cut.unknown.join(', ')}, which the file does not describe`);
    current = read;
    start = cut.config;
  }
  const reloader = new Reloader(load, start, print, name);
  return {
    config: start,
    attach: (actor) => {
      reloadOnHangup(reloader, () => current)(actor);
      const take = (names: string[] | null) => {
        if (names === null || (current !== null && names.join() === current.join())) return;
        current = names;
        const event = reloader.next(names);
        if (event !== null) actor.send(event);
      };
      if (read === null) void first.then(take, () => undefined);
      void client
        .watch()
        .key(etcd.prefix + members.MEMBERS_KEY)
        .create()
        .then((watcher) => watcher.on('put', (kv) => take(members.parseMembers(kv.value.toString()))))
        .catch((err: Error) => say('warn', `cannot watch etcd's members (${err.message}): a change there takes a restart`));
    },
  };
}
