/**
 * What the hub knows of every process it has heard from: enough to bring a page that opens late
 * (or reconnects) to the present in one message. The timeline keeps the last TIMELINE events that
 * are not heartbeats.
 */
import type { InspectRecord } from './records.js';

type Rec<T extends InspectRecord['t']> = Extract<InspectRecord, { t: T }>;

const TIMELINE = 3000;

interface ProcessState {
  hello: Rec<'hello'>;
  down: Rec<'down'> | null;
  machines: Map<string, Rec<'machine'>>;
  actors: Map<string, Rec<'actor'>>;
  snapshots: Map<string, Rec<'snapshot'>>;
}

export class InspectState {
  private readonly processes = new Map<string, ProcessState>();
  private readonly timeline: Rec<'event'>[] = [];

  apply(r: InspectRecord): void {
    if (r.t === 'reset') return;
    if (r.t === 'hello') {
      this.processes.set(r.process, { hello: r, down: null, machines: new Map(), actors: new Map(), snapshots: new Map() });
      return;
    }
    if (r.t === 'event') {
      // Heartbeats are only folded into a count on the page: a page that opens later needs none.
      if (r.beat) return;
      this.timeline.push(r);
      if (this.timeline.length > TIMELINE) this.timeline.splice(0, this.timeline.length - TIMELINE);
      return;
    }
    const p = this.processes.get(r.process);
    if (!p) return;
    switch (r.t) {
      case 'down':
        p.down = r;
        return;
      case 'machine':
        p.machines.set(r.machine, r);
        return;
      case 'actor':
        p.actors.set(r.actor, r);
        return;
      case 'actorGone':
        p.actors.delete(r.actor);
        p.snapshots.delete(r.actor);
        return;
      case 'snapshot':
        p.snapshots.set(r.actor, r);
        return;
    }
  }

  /** Everything, as records a page applies in order after a `reset`. */
  records(): InspectRecord[] {
    const out: InspectRecord[] = [{ t: 'reset' }];
    for (const p of this.processes.values()) {
      out.push(p.hello, ...p.machines.values(), ...p.actors.values(), ...p.snapshots.values());
      if (p.down) out.push(p.down);
    }
    out.push(...this.timeline);
    return out;
  }

  has(process: string): boolean {
    return this.processes.has(process);
  }
}
