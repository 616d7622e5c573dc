/**
 * A role's metrics for `/metrics` (Prometheus text format, prom-client): node's own process metrics,
 * and counters and gauges kept from the events the role prints (`observeEvents`), so that what a
 * dashboard counts is what the lines say. Which events a role prints decides which of its series
 * move; every role has every series.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LogEvent, LogEventName } from '../log/events.js';
import type { EventObserver } from '../log/printer.js';

export interface RoleMetrics extends EventObserver {
  registry: Registry;
}

export function createRoleMetrics(role: string, name: string, now: () => number = () => performance.now()): RoleMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ role, name });
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({ name: 'steadfast_requests_total', help: 'Client requests a server took, by outcome: applied, or answered again from the client table (duplicate)', labelNames: ['outcome'], registers: [registry] });
  const epoch = new Gauge({ name: 'steadfast_epoch', help: "The epoch of this server's latest ready, or of the RM's latest primary", registers: [registry] });
  const members = new Gauge({ name: 'steadfast_members', help: 'Servers in the membership (GFD, RM)', registers: [registry] });
  const failovers = new Counter({ name: 'steadfast_failovers_total', help: 'Primaries (sequencers) the RM named after its first', registers: [registry] });
  const relaunches = new Counter({ name: 'steadfast_relaunches_total', help: 'Starts of its server by this LFD after its first', registers: [registry] });
  const detections = new Counter({ name: 'steadfast_detections_total', help: 'Failures of its server this LFD detected, by kind: crash (connection lost) or hang (no heartbeat answer)', labelNames: ['kind'], registers: [registry] });
  const checkpoints = new Counter({ name: 'steadfast_checkpoints_total', help: 'Checkpoints sent (primary) and taken (backup), and recoveries taken', labelNames: ['direction'], registers: [registry] });
  const refused = new Counter({ name: 'steadfast_refused_frames_total', help: 'Frames refused on any link (malformed, not allowed there, unauthenticated)', registers: [registry] });
  const leading = new Gauge({ name: 'steadfast_leading', help: 'With coordinator = etcd: 1 while this RM or GFD leads, 0 while it stands by', registers: [registry] });
  const answered = new Counter({ name: 'steadfast_client_requests_total', help: "A client's requests answered, by outcome: reply or failed", labelNames: ['outcome'], registers: [registry] });
  const latency = new Histogram({
    name: 'steadfast_client_request_seconds',
    help: "From a client's first send of a request to its first answer",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  let primaries = 0;
  let launches = 0;
  /** A client's requests in flight: number → when first sent. */
  const sentAt = new Map<number, number>();

  type Handlers = { [K in LogEventName]?: (e: Extract<LogEvent, { event: K }>) => void };
  // The events that move a series, each with what it does; the others are not even built for it.
  const handlers: Handlers = {
    'server.after': () => requests.inc({ outcome: 'applied' }),
    'server.duplicate': () => requests.inc({ outcome: 'duplicate' }),
    'server.ready': (e) => epoch.set(e.epoch),
    'checkpoint.sent': () => checkpoints.inc({ direction: 'sent' }),
    'checkpoint.taken': () => checkpoints.inc({ direction: 'taken' }),
    'server.recovered': () => checkpoints.inc({ direction: 'recovery taken' }),
    'lfd.failed': (e) => detections.inc({ kind: e.reason === 'connection lost' ? 'crash' : 'hang' }),
    'lfd.launching': () => {
      if (launches++ > 0) relaunches.inc();
    },
    members: (e) => members.set(e.members.length),
    'rm.primary': (e) => {
      epoch.set(e.epoch);
      if (primaries++ > 0) failovers.inc();
    },
    leadership: (e) => leading.set(e.state === 'leading' ? 1 : 0),
    'client.sent': (e) => {
      if (!sentAt.has(e.request.num)) sentAt.set(e.request.num, now());
    },
    'client.received': (e) => {
      answered.inc({ outcome: e.failed ? 'failed' : 'reply' });
      const at = sentAt.get(e.request.num);
      sentAt.delete(e.request.num);
      if (at !== undefined) latency.observe((now() - at) / 1000);
    },
    'link.refused': () => refused.inc(),
  };
  const observe = (e: LogEvent): void => (handlers[e.event] as ((e: LogEvent) => void) | undefined)?.(e);
  return { registry, wants: (e) => handlers[e.event] !== undefined, observe };
}
