/**
 * The role side of the inspector: the callback handed to `createActor(…, { inspect })`. xstate
 * calls it synchronously inside every transition, so it only notes what happened; every FLUSH_MS
 * the notes become records (the latest snapshot of each actor, not every one; event texts; the
 * root's summary), handed to `emit`.
 */
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { brief } from './brief.js';
import { eventLabel, machineTree } from './graph.js';
import type { InspectRecord } from './records.js';
import { summarize } from './summary.js';
import { toSvg } from './svg.js';

const FLUSH_MS = 40;

interface Noted {
  at: number;
  source: AnyActorRef | undefined;
  target: AnyActorRef;
  event: { type: string } & Record<string, unknown>;
}

/** Periodic traffic, folded on the page: heartbeats and their timers. */
export function isBeat(event: { type: string } & Record<string, unknown>): boolean {
  const t = event.type;
  if (t.includes('heartbeat') || t === 'monitor.beat' || t === 'monitor.answered' || t === 'answer') return true;
  if (/^xstate\.after\.heartbeatFreq\./.test(t)) return true;
  const frame = event.frame as { kind?: unknown } | undefined;
  return frame?.kind === 'heartbeat';
}

/** The event's text: a frame's fields, or the event's own fields, without the routing noise. */
function detailOf(event: Record<string, unknown>): string {
  const { type: _t, origin, frame, ...rest } = event;
  const via = (origin as { via?: string; peer?: { name?: string } | null } | undefined);
  const from = via ? `${via.peer?.name ?? '?'} via ${via.via}: ` : '';
  if (frame && typeof frame === 'object') {
    const { kind: _k, ...fields } = frame as Record<string, unknown>;
    return from + brief(fields);
  }
  return from + (Object.keys(rest).length ? brief(rest) : '');
}

function machineIdOf(ref: AnyActorRef): string | null {
  const logic = (ref as { logic?: { root?: unknown; id?: unknown } }).logic;
  return logic && logic.root && typeof logic.id === 'string' ? logic.id : null;
}

export interface Recorder {
  inspect: (event: InspectionEvent) => void;
  /** Records that describe everything now (for a hub that connects late). */
  current(): InspectRecord[];
  stop(): void;
}

export function createRecorder(process: string, emit: (records: InspectRecord[]) => void): Recorder {
  const actors = new Map<AnyActorRef, { id: string; machine: string | null; last: string }>();
  const drawn = new Map<string, InspectRecord>();
  const fresh: InspectRecord[] = [];
  const changed = new Set<AnyActorRef>();
  const events: Noted[] = [];
  let root: AnyActorRef | null = null;
  let timer: NodeJS.Timeout | null = null;

  // A child's id is unique per instance: a monitor stopped and spawned again under the same name
  // is another actor, and the old one's `actorGone` must not remove the new one.
  const idOf = (ref: AnyActorRef) => (ref === root ? process : `${process}/${ref.id}@${ref.sessionId.replace(/^x:/, '')}`);

  const register = (ref: AnyActorRef) => {
    if (actors.has(ref)) return;
    if (ref._parent === undefined) root = ref;
    const machine = machineIdOf(ref);
    actors.set(ref, { id: idOf(ref), machine, last: '' });
    if (machine !== null && !drawn.has(machine)) {
      const tree = machineTree((ref as unknown as { logic: Parameters<typeof machineTree>[0] }).logic);
      drawn.set(machine, { t: 'machine', process, machine, tree, svg: toSvg(tree, false) });
      fresh.push(drawn.get(machine)!);
    }
    fresh.push(actorRecord(ref));
    if (machine !== null) changed.add(ref);
  };

  const actorRecord = (ref: AnyActorRef): InspectRecord => {
    const a = actors.get(ref)!;
    const parent = ref._parent ? (actors.get(ref._parent)?.id ?? null) : null;
    return { t: 'actor', process, actor: a.id, name: ref === root ? process : ref.id, parent, machine: a.machine };
  };

  const snapshotRecord = (ref: AnyActorRef): InspectRecord => {
    const a = actors.get(ref)!;
    const snap = ref.getSnapshot() as { value?: unknown; status: string; context?: unknown };
    const summary = ref === root && a.machine ? summarize(a.machine, snap.value, snap.context) : null;
    return { t: 'snapshot', process, actor: a.id, value: snap.value ?? null, status: snap.status, summary };
  };

  const flush = () => {
    timer = null;
    const out: InspectRecord[] = fresh.splice(0);
    for (const e of events.splice(0)) {
      if (e.event.type === 'xstate.init') continue;
      const target = actors.get(e.target);
      if (!target) continue;
      out.push({
        t: 'event',
        process,
        at: e.at,
        source: e.source ? (actors.get(e.source)?.id ?? null) : null,
        target: target.id,
        type: eventLabel(e.event.type),
        detail: detailOf(e.event),
        beat: isBeat(e.event),
      });
    }
    // Most transitions (a heartbeat answered) change neither the state nor the summary: only a
    // snapshot that differs from the last one sent goes out.
    for (const ref of changed) {
      const a = actors.get(ref);
      if (!a) continue;
      const r = snapshotRecord(ref) as Extract<InspectRecord, { t: 'snapshot' }>;
      const key = JSON.stringify([r.value, r.status, r.summary]);
      if (key === a.last) continue;
      a.last = key;
      out.push(r);
    }
    changed.clear();
    // A stopped actor sends nothing more: found here, at most one flush late.
    for (const [ref, a] of actors) {
      if (ref.getSnapshot().status === 'active') continue;
      if (ref === root) continue;
      actors.delete(ref);
      out.push({ t: 'actorGone', process, actor: a.id });
    }
    if (out.length > 0) emit(out);
  };

  const schedule = () => {
    if (timer === null) timer = setTimeout(flush, FLUSH_MS);
  };

  return {
    inspect(ev) {
      // Inside one system every actor ref is a full `Actor`; the type says less.
      const ref = ev.actorRef as AnyActorRef;
      if (ev.type === '@xstate.actor') register(ref);
      else if (ev.type === '@xstate.snapshot') {
        if (!actors.has(ref)) register(ref);
        if (actors.get(ref)!.machine !== null) changed.add(ref);
      } else if (ev.type === '@xstate.event') {
        events.push({ at: Date.now(), source: ev.sourceRef as AnyActorRef | undefined, target: ref, event: ev.event as Noted['event'] });
      } else return;
      schedule();
    },
    current() {
      const out: InspectRecord[] = [...drawn.values()];
      for (const ref of actors.keys()) out.push(actorRecord(ref));
      for (const [ref, a] of actors) if (a.machine !== null) out.push(snapshotRecord(ref));
      return out;
    },
    stop() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
