/**
 * The membership in etcd (`coordinator = etcd`, docs/operations.md): which of the servers the ini
 * file describes belong to the cluster, as one key, `PREFIX members`, holding their names. The ini
 * stays the address book (every role reads where a server listens from it); etcd says who is in.
 * The leading RM writes the key from its file when it finds none; `steadfast members add|remove`
 * changes it; every RM and GFD watches it.
 */
import type { Etcd3 } from 'etcd3';
import type { ClusterConfig } from '../config/types.js';

export const MEMBERS_KEY = 'members';

/** The names a value of the key holds (sorted, once each); null for a value that is not a list of names. */
export function parseMembers(value: string): string[] | null {
  try {
    const names: unknown = JSON.parse(value);
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) return null;
    return [...new Set(names as string[])].sort();
  } catch {
    return null;
  }
}

export const formatMembers = (names: readonly string[]): string => JSON.stringify([...new Set(names)].sort());

/**
 * The configuration with only `members` as servers (and their LFDs). A member the file does not
 * describe is left out and named in `unknown` (the file must describe every member, on every host).
 */
export function withMembers(config: ClusterConfig, members: readonly string[]): { config: ClusterConfig; unknown: string[] } {
  const servers = config.servers.filter((s) => members.includes(s.name));
  const lfds = config.lfds.filter((l) => members.includes(l.server));
  return { config: { ...config, servers, lfds }, unknown: members.filter((m) => !servers.some((s) => s.name === m)) };
}

/** The key's names, or null when there is none (or it holds no list of names), with its modification revision. */
export async function readMembers(client: Etcd3, prefix: string): Promise<{ names: string[] | null; modRevision: string }> {
  const kv = (await client.get(prefix + MEMBERS_KEY).exec()).kvs[0];
  return kv === undefined ? { names: null, modRevision: '0' } : { names: parseMembers(kv.value.toString()), modRevision: kv.mod_revision };
}

/**
 * Changes the membership by `change` (applied to the names in etcd, or to `initial` when there is no
 * key yet), in a transaction that fails when somebody changed it meanwhile (then read again and
 * retried). Resolves with the names before and after.
 */
export async function changeMembers(
  client: Etcd3,
  prefix: string,
  initial: readonly string[],
  change: (names: string[]) => string[],
): Promise<{ before: string[]; after: string[] }> {
  const key = prefix + MEMBERS_KEY;
  for (;;) {
    const seen = await readMembers(client, prefix);
    const before = seen.names ?? [...initial].sort();
    const after = [...new Set(change(before))].sort();
    const result = await client.if(key, 'Mod', '==', seen.modRevision).then(client.put(key).value(formatMembers(after))).commit();
    if (result.succeeded) return { before, after };
  }
}

/** The names in etcd; when there is no key yet, `initial`, written there first (whoever writes first wins). */
export async function ensureMembers(client: Etcd3, prefix: string, initial: readonly string[]): Promise<string[]> {
  for (;;) {
    const seen = await readMembers(client, prefix);
    if (seen.names !== null) return seen.names;
    const names = [...new Set(initial)].sort();
    const key = prefix + MEMBERS_KEY;
    const result = await client.if(key, 'Mod', '==', seen.modRevision).then(client.put(key).value(formatMembers(names))).commit();
    if (result.succeeded) return names;
  }
}
