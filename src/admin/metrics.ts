/**
 * A role's metrics for `/metrics` (Prometheus text format, prom-client): node's own process metrics;
 * counters and gauges kept from the events the role prints (`observeEvents`), so that what a
 * dashboard counts is what the lines say; and, watched on its transport and its data folder, the
 * time from a request's arrival to its answer, checkpoint sizes, reconnects and syncs. Which events
 * a role prints decides which of its series move; every role has every series.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LogEvent, LogEventName } from '../log/events.js';
import type { EventObserver } from '../log/printer.js';
import type { Frame } from '../protocol/frames.js';
import { textLength } from '../protocol/state-text.js';
import type { Disk } from '../storage/disk.js';
import { tapTransport, type TransportKind } from '../transport/tap.js';
import type { Transport, TransportCommand, TransportEvent } from '../transport/types.js';

export interface RoleMetrics extends EventObserver {
  registry: Registry;
  /** The role's transport, watched: request to answer, checkpoint sizes, reconnects. */
  watch(transport: Transport): Transport;
  /** A data folder, its syncs counted and timed. */
  timeDisk(disk: Disk): Disk;
}

/**
 * A refusal's reason (free text, src/protocol/session.ts) as one of a few kinds, so that the series
 * has a handful of labels, not one per peer name.
 */
export function refusalKind(reason: string): string {
  if (/^authentication failed|^the certificate does not name/.test(reason)) return 'unauthenticated';
  if (/^no \w+ named .* in the configuration/.test(reason)) return 'unknown name';
  if (/^protocol version/.test(reason)) return 'version';
  if (/not allowed|not expected|second hello|may not say hello|expected a|'s link$| reached /.test(reason)) return 'not allowed';
  return 'malformed';
}

/** Requests waiting for their answer that are remembered at most (one never answered is forgotten, oldest first). */
const MAX_WAITING = 4096;

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

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
  const refused = new Counter({
    name: 'steadfast_refused_frames_total',
    help: 'Frames refused on any link, by reason: malformed, not allowed (there, or from that sender), unauthenticated, unknown name, version',
    labelNames: ['reason'],
    registers: [registry],
  });
  const leading = new Gauge({ name: 'steadfast_leading', help: 'With coordinator = etcd: 1 while this RM or GFD leads, 0 while it stands by', registers: [registry] });
  const answered = new Counter({ name: 'steadfast_client_requests_total', help: "A client's requests answered, by outcome: reply or failed", labelNames: ['outcome'], registers: [registry] });
  const latency = new Histogram({ name: 'steadfast_client_request_seconds', help: "From a client's first send of a request to its first answer", buckets: SECONDS, registers: [registry] });
  const serverLatency = new Histogram({
    name: 'steadfast_request_seconds',
    help: "From a request's arrival at a server to its answer going out (replication and the data folder included)",
    buckets: SECONDS,
    registers: [registry],
  });
  const checkpointBytes = new Histogram({
    name: 'steadfast_checkpoint_bytes',
    help: 'Characters of state in each checkpoint or recovery snapshot sent',
    buckets: [1e3, 1e4, 1e5, 1e6, 1e7, 1e8],
    registers: [registry],
  });
  const checkpointTime = new Histogram({
    name: 'steadfast_checkpoint_seconds',
    help: 'From a checkpoint or recovery snapshot arriving whole to its state taken',
    buckets: SECONDS,
    registers: [registry],
  });
  const reconnects = new Counter({ name: 'steadfast_link_reconnects_total', help: 'Outbound links up again after their first connection, by peer', labelNames: ['peer'], registers: [registry] });
  const syncs = new Counter({ name: 'steadfast_fsyncs_total', help: "Syncs of the data folder: the log's appends (log) or a snapshot's replacement (snapshot)", labelNames: ['what'], registers: [registry] });
  const syncTime = new Histogram({ name: 'steadfast_fsync_seconds', help: 'How long a sync of the data folder took', labelNames: ['what'], buckets: SECONDS, registers: [registry] });
  let primaries = 0;
  let launches = 0;
  /** A client's requests in flight: number → when first sent. */
  const sentAt = new Map<number, number>();
  /** A server's requests waiting for their answer: connection, client and number → when it arrived. */
  const arrivedAt = new Map<string, number>();
  /** Snapshots taken in: sender → when the frame arrived. */
  const snapshotAt = new Map<string, number>();
  /** Outbound links seen up once: actor and peer. */
  const linked = new Set<string>();
  const seconds = (since: number | undefined) => (since === undefined ? null : (now() - since) / 1000);
  const tookSnapshot = (from: string) => {
    const took = seconds(snapshotAt.get(from));
    snapshotAt.delete(from);
    if (took !== null) checkpointTime.observe(took);
  };

  type Handlers = { [K in LogEventName]?: (e: Extract<LogEvent, { event: K }>) => void };
  // The events that move a series, each with what it does; the others are not even built for it.
  const handlers: Handlers = {
    'server.after': () => requests.inc({ outcome: 'applied' }),
    'server.duplicate': () => requests.inc({ outcome: 'duplicate' }),
    'server.ready': (e) => epoch.set(e.epoch),
    'checkpoint.sent': () => checkpoints.inc({ direction: 'sent' }),
    'checkpoint.taken': (e) => {
      checkpoints.inc({ direction: 'taken' });
      tookSnapshot(e.from);
    },
    'server.recovered': (e) => {
      checkpoints.inc({ direction: 'recovery taken' });
      tookSnapshot(e.from);
    },
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
    'link.refused': (e) => refused.inc({ reason: refusalKind(e.reason) }),
  };
  const observe = (e: LogEvent): void => (handlers[e.event] as ((e: LogEvent) => void) | undefined)?.(e);

  const onEvent = (event: TransportEvent, kind: TransportKind): void => {
    if (event.type === 'batch.request' && kind === 'listener') {
      for (const { frame, origin } of event.events) {
        const key = `${origin.link}|${frame.client}|${frame.num}`;
        if (arrivedAt.has(key)) continue;
        if (arrivedAt.size >= MAX_WAITING) arrivedAt.delete(arrivedAt.keys().next().value!);
        arrivedAt.set(key, now());
      }
    } else if ((event.type === 'frame.checkpoint' || event.type === 'frame.recovery') && kind === 'listener') {
      snapshotAt.set(event.frame.from, now());
    } else if (event.type === 'link.up' && kind !== 'listener') {
      const key = `${event.origin.via}|${event.origin.link}`;
      if (linked.has(key)) reconnects.inc({ peer: event.origin.peer?.name ?? event.origin.link });
      linked.add(key);
    }
  };
  const sent = (frame: Frame, link: string | undefined): void => {
    if (frame.kind === 'reply' || frame.kind === 'failed') {
      const key = `${link}|${frame.client}|${frame.num}`;
      const took = seconds(arrivedAt.get(key));
      arrivedAt.delete(key);
      if (took !== null) serverLatency.observe(took);
    } else if (frame.kind === 'checkpoint' || frame.kind === 'recovery') {
      checkpointBytes.observe(textLength(frame.state));
    }
  };
  const onCommand = (command: TransportCommand): void => {
    if (command.type === 'send') sent(command.frame, command.link);
    else if (command.type === 'batch') for (const c of command.commands) onCommand(c);
  };

  const timed = (what: 'log' | 'snapshot', done: (err: Error | null) => void) => {
    const started = now();
    return (err: Error | null) => {
      syncs.inc({ what });
      syncTime.observe({ what }, (now() - started) / 1000);
      done(err);
    };
  };
  const timeDisk = (disk: Disk): Disk => ({
    read: (name) => disk.read(name),
    append: (name, bytes) => disk.append(name, bytes),
    truncate: (name, length) => disk.truncate(name, length),
    sync: (name, done) => disk.sync(name, timed('log', done)),
    replace: (name, chunks, done) => disk.replace(name, chunks, timed('snapshot', done)),
    remove: (name) => disk.remove(name),
    list: () => disk.list(),
  });

  return {
    registry,
    wants: (e) => handlers[e.event] !== undefined,
    observe,
    watch: (transport) => tapTransport(transport, { event: onEvent, command: onCommand }),
    timeDisk,
  };
}
