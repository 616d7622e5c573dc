/**
 * Whether a run went down the path of a bug the simulator once found (the bugs of the regression
 * tests in this folder). A regression test names a seed that goes down its path on the current
 * fault schedule and holds every invariant; the predicates are about any process, at any time, so
 * that a change to the schedule only needs a new seed: run seeds with `keepTrace` and keep one
 * whose trace satisfies the predicate.
 */
import type { RunResult } from '../../src/sim/run.js';
import { eventsIn, formatRecord } from '../../src/sim/trace.js';

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

/**
 * A server process ended and its successor started within one GFD grace period, so the GFD told
 * the RM of both in one `members` (members-without-status): the RM must ask the new process its status.
 */
export function relaunchedInGfdGrace(res: RunResult): { t: number; server: string }[] {
  const found: { t: number; server: string }[] = [];
  let inGrace = false;
  let ended = new Set<string>();
  for (const r of records(res)) {
    if (r.kind === 'state' && r.who === 'GFD') {
      const waiting = r.state.includes('grace:waiting');
      if (waiting && !inGrace) ended = new Set();
      inGrace = waiting;
    } else if (r.kind === 'sim' && r.who === 'GFD' && r.text === 'crashes') {
      inGrace = false;
    } else if (inGrace && r.kind === 'sim' && r.text.startsWith('process ends')) {
      ended.add(r.who.split('#')[0]!);
    } else if (inGrace && r.kind === 'state' && r.state.startsWith('{role:booting') && ended.has(r.who.split('#')[0]!)) {
      found.push({ t: r.t, server: r.who });
    }
  }
  return found;
}

/**
 * An LFD reported its process deleted (its link dropped) and the RM's `launch` came before the LFD
 * saw that process exit (launch-before-exit; needs an `events: true` run): it must start again once
 * the process is gone.
 */
export function launchBeforeExit(res: RunResult): { t: number; who: string }[] {
  const found: { t: number; who: string }[] = [];
  const deleted = new Set<string>();
  const state = new Map<string, string>();
  for (const r of records(res)) {
    if (!r.who.startsWith('LFD')) continue;
    if (r.kind === 'state') state.set(r.who, r.state);
    else if (r.kind === 'print' && r.event.event === 'lfd.membership') {
      if (r.event.change === 'delete') deleted.add(r.who);
      else deleted.delete(r.who);
    } else if (r.kind === 'event' && r.event === 'process.exited') deleted.delete(r.who);
    else if (r.kind === 'event' && r.event.startsWith('frame.launch') && deleted.has(r.who) && (state.get(r.who) ?? '').startsWith('{process:{running')) {
      found.push({ t: r.t, who: r.who });
    }
  }
  return found;
}

/**
 * A replica took a `forward` or `order` sent in an epoch older than its own (stale-forward-lost;
 * needs an `events: true` run): it drops it, and the request must reach it another way.
 */
export function staleForwardDropped(res: RunResult): { t: number; who: string; event: string }[] {
  const epochOf = new Map<string, number>();
  const found: { t: number; who: string; event: string }[] = [];
  for (const r of records(res)) {
    if (r.kind !== 'event') continue;
    const epoch = /^(?:frame|batch)\.(ready|forward|order) .* e(\d+)/.exec(r.event);
    if (!epoch) continue;
    const e = Number(epoch[2]);
    if (epoch[1] === 'ready') epochOf.set(r.who, Math.max(e, epochOf.get(r.who) ?? 0));
    else if (e < (epochOf.get(r.who) ?? 0)) found.push({ t: r.t, who: r.who, event: r.event });
  }
  return found;
}

/**
 * With disks: the RM restarted on its own (not in a power cut) and found a member serving, so it
 * named that one at once (restarted-rm-chooses-again). `choseAgain`: it then chose "the furthest
 * history on disk" anyway, before it crashed or lost power again: the bug.
 */
export function rmRestartedBesideServing(res: RunResult): { line: string; choseAgain: boolean }[] {
  const lines = records(res).map(formatRecord);
  const found: { line: string; choseAgain: boolean }[] = [];
  let restarting = false;
  let afterPowerCut = false;
  let current: { line: string; choseAgain: boolean } | null = null;
  for (const line of lines) {
    if (/\sRM\s+FAULT\s+(crashes|loses power)/.test(line)) {
      afterPowerCut = line.includes('loses power');
      current = null;
    } else if (/\sRM\s+state\s+→ restarting/.test(line)) {
      restarting = true;
    } else if (/\sRM\s+print\s+RM: .*has the furthest history on disk/.test(line)) {
      if (current) current.choseAgain = true;
      restarting = false;
    } else if (restarting && /\sRM\s+print\s+RM: (primary|sequencer) is /.test(line)) {
      restarting = false;
      if (!afterPowerCut) found.push((current = { line: line.trim(), choseAgain: false }));
    }
  }
  return found;
}

/**
 * With disks: the power went off after the primary (sequencer) of a new epoch reported `serving` in
 * it and before any client heard a reply in it, so that of the epoch only its mark was on a disk
 * (power-cut-forgets-epoch; needs an `events: true` run): the RM must open an epoch above it.
 */
export function powerCutInFreshEpoch(res: RunResult): { t: number; epoch: number }[] {
  const found: { t: number; epoch: number }[] = [];
  let primary = { server: '', epoch: 0 };
  let announced = false;
  let answered = true;
  for (const r of records(res)) {
    const line = formatRecord(r);
    const ready = /\s(S\d+)#\d+\s+print\s+S\d+ is ready \[\w+\] \[primary\] \(epoch (\d+)\)/.exec(line);
    if (ready && Number(ready[2]) > primary.epoch) {
      primary = { server: ready[1]!, epoch: Number(ready[2]) };
      announced = false;
      answered = false;
    } else if (r.kind === 'event' && r.who.startsWith('LFD') && r.event === `frame.serving ${primary.server} e${primary.epoch}`) {
      announced = true;
    } else if (/print\s+Received </.test(line)) {
      answered = true;
    } else if (r.kind === 'sim' && r.text === 'the power goes off' && announced && !answered) {
      found.push({ t: r.t, epoch: primary.epoch });
    }
  }
  return found;
}

/**
 * A suspended replica held the primary's periodic checkpoints of a later epoch (they came before
 * its `ready`), then that epoch's `ready` sent it to recover (held-checkpoint-recovery): it must wait
 * for a snapshot sent after the `ready`.
 */
export function recoveredPastHeldCheckpoint(res: RunResult): { t: number; who: string }[] {
  const found: { t: number; who: string }[] = [];
  const suspended = new Set<string>();
  /** The epochs of the checkpoints each process got since its last `ready`. */
  const checkpointEpochs = new Map<string, Set<number>>();
  const recoveringOn = new Map<string, number>();
  for (const r of records(res)) {
    if (r.kind === 'print' && r.event.event === 'server.phase' && r.event.phase === 'suspended') suspended.add(r.who);
    else if (r.kind === 'event') {
      const checkpoint = /^frame\.checkpoint from \S+ n\d+ e(\d+)/.exec(r.event);
      const ready = /^frame\.ready \S+ \S+ e(\d+)/.exec(r.event);
      if (checkpoint) checkpointEpochs.set(r.who, (checkpointEpochs.get(r.who) ?? new Set()).add(Number(checkpoint[1])));
      else if (ready) {
        if (suspended.has(r.who) && checkpointEpochs.get(r.who)?.has(Number(ready[1]))) recoveringOn.set(r.who, r.t);
        checkpointEpochs.delete(r.who);
      }
    } else if (r.kind === 'state' && !r.state.startsWith('{role:{ready')) {
      const t = recoveringOn.get(r.who);
      if (t !== undefined && r.state.startsWith('{role:recovering')) found.push({ t, who: r.who });
      recoveringOn.delete(r.who);
      suspended.delete(r.who);
    }
  }
  return found;
}
