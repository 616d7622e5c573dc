/**
 * What a run did, in order: every printed line of every role, every state change of every role
 * machine, every event a role machine took (`detail: 'events'`), every fault, and every invariant
 * violation. Records are kept as data and only formatted when a trace is shown or compared.
 */
import type { LogEvent } from '../log/events.js';
import { formatText } from '../log/printer.js';

export type TraceRecord =
  | { t: number; who: string; kind: 'print'; event: LogEvent }
  | { t: number; who: string; kind: 'state'; state: string }
  | { t: number; who: string; kind: 'event'; event: string }
  | { t: number; who: string; kind: 'sim'; text: string }
  | { t: number; who: string; kind: 'violation'; text: string };

/** `  12.345 s` */
export function seconds(ms: number): string {
  return (ms / 1000).toFixed(3).padStart(8) + ' s';
}

/** One line: time, actor, what happened (an event taken, a state entered, a line printed, a fault). */
export function formatRecord(r: TraceRecord): string {
  const head = `${seconds(r.t)}  ${r.who.padEnd(10)} `;
  switch (r.kind) {
    case 'print':
      return head + 'print  ' + formatText(r.event, new Date(0)).slice(11);
    case 'state':
      return head + 'state  → ' + r.state;
    case 'event':
      return head + 'event  ' + r.event;
    case 'sim':
      return head + 'FAULT  ' + r.text;
    case 'violation':
      return head + 'VIOLATION ' + r.text;
  }
}

/** Lines that matter for following a failure: not heartbeats, not per-request lines. */
export function isLifecycle(r: TraceRecord): boolean {
  if (r.kind === 'state') return !/^C\d/.test(r.who) || !r.state.includes('running');
  if (r.kind !== 'print') return r.kind !== 'event';
  switch (r.event.event) {
    case 'server.heartbeat':
    case 'lfd.heartbeat':
    case 'server.before':
    case 'server.after':
    case 'server.duplicate':
    case 'checkpoint.sent':
    case 'checkpoint.taken':
    case 'client.sent':
    case 'client.received':
    case 'client.duplicate':
      return false;
    default:
      return true;
  }
}

export class Trace {
  readonly records: TraceRecord[] = [];

  add(r: TraceRecord): void {
    if (process.env.NOTRACE) return;
    this.records.push(r);
  }

  lines(filter: (r: TraceRecord) => boolean = () => true): string[] {
    return this.records.filter(filter).map(formatRecord);
  }
}

/**
 * The events (`events: true` runs) an actor took while in a state whose text starts with `state`:
 * how a regression seed shows it still reaches the path it was kept for.
 */
export function eventsIn(records: readonly TraceRecord[], state: string, event: string): { t: number; who: string; event: string }[] {
  const current = new Map<string, string>();
  const found: { t: number; who: string; event: string }[] = [];
  for (const r of records) {
    if (r.kind === 'state') current.set(r.who, r.state);
    else if (r.kind === 'event' && r.event.startsWith(event) && (current.get(r.who) ?? '').startsWith(state)) {
      found.push({ t: r.t, who: r.who, event: r.event });
    }
  }
  return found;
}
