/**
 * Reading the ini file again while the RM or a GFD runs (docs/operations.md, "Membership without a
 * restart"): on SIGHUP, and with `coordinator = etcd` whenever the members in etcd change. Servers,
 * with their LFDs, may come or go; a change to anything else is refused with one line naming it,
 * and then nothing changes.
 */
import type { AnyActorRef } from 'xstate';
import type { ReloadEvent } from '../actors/rm.js';
import { configFile, loadConfig, membershipChanges, readConfigText, type LoadOptions } from '../config/load.js';
import type { ClusterConfig } from '../config/types.js';
import { withMembers } from '../coordination/members.js';
import type { Print } from '../log/events.js';

export class Reloader {
  private readonly file: ReturnType<typeof configFile>;
  private text: string | null;

  /** `current`: the configuration the role runs on (with etcd, cut to the members already). */
  constructor(
    private readonly load: LoadOptions,
    private current: ClusterConfig,
    private readonly print: Print,
    private readonly name: string,
  ) {
    this.file = configFile(load);
    this.text = this.file === null ? null : readConfigText(this.file);
  }

  /**
   * The file as it is now (cut to `members` when etcd holds them): the event for the machine, with
   * the servers added and removed since the last; null when refused (and said why).
   */
  next(members: readonly string[] | null): ReloadEvent | null {
    if (this.file === null || this.text === null) return this.refuse('it runs on the embedded default: there is no file to read again');
    try {
      const text = readConfigText(this.file);
      const { fixed } = membershipChanges(this.text, text, this.file.shown);
      if (fixed.length > 0) return this.refuse(`these cannot change while the cluster runs: ${fixed.join(', ')} (nothing changed)`);
      const read = loadConfig(this.load);
      const cut = members === null ? { config: read, unknown: [] } : withMembers(read, members);
      if (cut.unknown.length > 0) return this.refuse(`members in etcd that ${this.file.shown} does not describe: ${cut.unknown.join(', ')} (nothing changed)`);
      const before = this.current.servers.map((s) => s.name);
      const after = cut.config.servers.map((s) => s.name);
      this.text = text;
      this.current = cut.config;
      return {
        type: 'config.reload',
        config: cut.config,
        added: after.filter((s) => !before.includes(s)),
        removed: before.filter((s) => !after.includes(s)),
      };
    } catch (err) {
      return this.refuse(`${(err as Error).message} (nothing changed)`);
    }
  }

  private refuse(why: string): null {
    this.print({ event: 'note', name: this.name, level: 'warn', text: `reload refused: ${why}` });
    return null;
  }
}

/**
 * For `runRole`'s `attach`: from then on, SIGHUP sends the machine the file again (`members()`:
 * with etcd, the members it holds now; null without).
 */
export function reloadOnHangup(reloader: Reloader, members: () => readonly string[] | null = () => null): (actor: AnyActorRef) => void {
  return (actor) => {
    process.on('SIGHUP', () => {
      const event = reloader.next(members());
      if (event !== null) actor.send(event);
    });
  };
}
