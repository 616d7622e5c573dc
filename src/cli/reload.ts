/**
 * SIGHUP to the RM or a GFD: it reads its ini file again (docs/operations.md, "Membership without
 * a restart"). Servers, with their LFDs, may come or go; a change to anything else is refused with
 * one line naming it, and then nothing changes.
 */
import type { AnyActorRef } from 'xstate';
import { configFile, loadConfig, membershipChanges, readConfigText, type LoadOptions } from '../config/load.js';
import type { Print } from '../log/events.js';

/** For `runRole`'s `attach`: from then on, SIGHUP sends the machine `config.reload` (or says why not). */
export function reloadOnHangup(load: LoadOptions, print: Print, name: string): (actor: AnyActorRef) => void {
  const file = configFile(load);
  let text = file === null ? null : readConfigText(file);
  const refuse = (why: string) => print({ event: 'note', name, level: 'warn', text: `reload refused: ${why}` });
  return (actor) => {
    const onHangup = () => {
      if (file === null || text === null) return refuse('it runs on the embedded default: there is no file to read again');
      try {
        const next = readConfigText(file);
        const { added, removed, fixed } = membershipChanges(text, next, file.shown);
        if (fixed.length > 0) return refuse(`these cannot change while the cluster runs: ${fixed.join(', ')} (nothing changed)`);
        const config = loadConfig(load);
        text = next;
        actor.send({ type: 'config.reload', config, added, removed });
      } catch (err) {
        refuse(`${(err as Error).message} (nothing changed)`);
      }
    };
    process.on('SIGHUP', onHangup);
  };
}
