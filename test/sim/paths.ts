/**
 * Whether a run went down the path of a bug the simulator once found (the bugs of the regression
 * tests in this folder). A regression test names a seed that goes down its path on the current
 * fault schedule and holds every invariant; the predicates are about any process, at any time, so
 * that a change to the schedule only needs a new seed: run seeds with `keepTrace` and keep one
 * whose trace satisfies the predicate.
 */
import type { RunResult } from './run.js';
import { eventsIn, formatRecord } from './trace.js';

const records = (res: RunResult) => res.trace!.records;

/** A booting server got a snapshot (`checkpoint` or `recovery`): it must drop it (stale-held-snapshot, snapshot-before-ready). */
export function bootingGotSnapshot(res: RunResult, kind: 'checkpoint' | 'recovery'): { t: number; who: string }[] {
  return eventsIn(records(res), '{role:booting', `frame.${kind}`);
}

/** A relaunched process was sent the `ready` meant for its predecessor and ignored it (command-for-old-process). */
export function ignoredOldReady(res: RunResult): { t: number; who: string }[] {
  return records(res)
    .filter((r) => r.kind === 'print' && r.event.event === 'note' && r.event.text.startsWith('ignores a ready'))
    .map((r) => ({ t: r.t, who: r.who }));
}

/** An LFD lost its link to a running server and killed it at once, before reporting it deleted (rejoin-without-recovery). */
export function killedOnLostLink(res: RunResult): string[] {
  const lines = records(res).map(formatRecord);
  const found: string[] = [];
  lines.forEach((line, i) => {
    const m = /(LFD\d+)\s+print\s+LFD\d+: (S\d+) failed \(connection lost\)/.exec(line);
    if (m && lines.slice(i, i + 6).some((l) => new RegExp(`${m[1]}\\s+FAULT\\s+kills ${m[2]}#\\d+ \\(SIGKILL\\)`).test(l))) found.push(line.trim());
  });
  return found;
}

/** A stopped server was killed with connections its kernel had accepted for it (relaunch-never-comes). */
export function killedWithUnaccepted(res: RunResult): { t: number; who: string }[] {
  return records(res)
    .filter((r) => r.kind === 'sim' && r.text.startsWith('its kernel resets '))
    .map((r) => ({ t: r.t, who: r.who }));
}
