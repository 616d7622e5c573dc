/**
 * The admin endpoint's pieces (src/admin): metrics kept from printed events, read back through a
 * Prometheus text-format parser, and each role's readiness from its snapshot.
 */
import { expect } from 'chai';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { createRoleMetrics, refusalKind, type RoleMetrics } from '../../src/admin/metrics.js';
import { READINESS } from '../../src/admin/readiness.js';
import type { LogEvent } from '../../src/log/events.js';
import { fromCallback } from 'xstate';
import type { Disk } from '../../src/storage/disk.js';
import type { Origin, Transport, TransportCommand, TransportEvent } from '../../src/transport/types.js';
import type { TransportKind } from '../../src/transport/tap.js';

async function sample(m: RoleMetrics, name: string, labels: Record<string, string> = {}) {
  const family = parsePrometheusTextFormat(await m.registry.metrics()).find((f) => f.name === name)!;
  return family.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
}

const feed = (m: RoleMetrics, events: LogEvent[]) => events.filter((e) => m.wants(e)).forEach((e) => m.observe(e));

describe('admin: metrics from printed events', () => {
  it('the RM counts the primaries after its first as failovers, and shows the latest epoch', async () => {
    const m = createRoleMetrics('rm', 'RM');
    feed(m, [
      { event: 'rm.primary', name: 'RM', mode: 'passive', primary: 'S1', epoch: 1 },
      { event: 'members', name: 'RM', members: ['S1', 'S2', 'S3'] },
      { event: 'rm.primary', name: 'RM', mode: 'passive', primary: 'S2', epoch: 2 },
      { event: 'members', name: 'RM', members: ['S2', 'S3'] },
    ]);
    expect((await sample(m, 'steadfast_failovers_total'))?.value).to.equal('1');
    expect((await sample(m, 'steadfast_epoch'))?.value).to.equal('2');
    expect((await sample(m, 'steadfast_members'))?.labels).to.deep.equal({ role: 'rm', name: 'RM' });
    expect((await sample(m, 'steadfast_members'))?.value).to.equal('2');
  });

  it('an LFD counts crashes, hangs and relaunches; a server applied requests and duplicates', async () => {
    const lfd = createRoleMetrics('lfd', 'LFD1');
    feed(lfd, [
      { event: 'lfd.launching', name: 'LFD1', server: 'S1', pid: 10 },
      { event: 'lfd.failed', name: 'LFD1', server: 'S1', reason: 'connection lost', timeoutS: 3 },
      { event: 'lfd.launching', name: 'LFD1', server: 'S1', pid: 11 },
      { event: 'lfd.failed', name: 'LFD1', server: 'S1', reason: 'no heartbeat answer', timeoutS: 3 },
      { event: 'lfd.launching', name: 'LFD1', server: 'S1', pid: 12 },
    ]);
    expect((await sample(lfd, 'steadfast_relaunches_total'))?.value).to.equal('2');
    expect((await sample(lfd, 'steadfast_detections_total', { kind: 'crash' }))?.value).to.equal('1');
    expect((await sample(lfd, 'steadfast_detections_total', { kind: 'hang' }))?.value).to.equal('1');
    const server = createRoleMetrics('server', 'S1');
    const request = { client: 'C1', server: 'S1', num: 1 };
    feed(server, [
      { event: 'server.after', name: 'S1', state: 'x', request },
      { event: 'server.duplicate', name: 'S1', request },
      { event: 'server.after', name: 'S1', state: 'y', request: { ...request, num: 2 } },
    ]);
    expect((await sample(server, 'steadfast_requests_total', { outcome: 'applied' }))?.value).to.equal('2');
    expect((await sample(server, 'steadfast_requests_total', { outcome: 'duplicate' }))?.value).to.equal('1');
  });

  it('a client times each request from its first send to its first answer', async () => {
    let now = 0;
    const m = createRoleMetrics('client', 'C1', () => now);
    const request = { client: 'C1', server: 'S1', num: 1 };
    feed(m, [{ event: 'client.sent', name: 'C1', request }]);
    now = 3; // a resend does not restart the clock
    feed(m, [{ event: 'client.sent', name: 'C1', request: { ...request, server: 'S2' } }]);
    now = 7;
    feed(m, [{ event: 'client.received', name: 'C1', request, result: 'ok' }]);
    const family = parsePrometheusTextFormat(await m.registry.metrics()).find((f) => f.name === 'steadfast_client_request_seconds')!;
    // 7 ms: above the 5 ms bucket, within the 10 ms one.
    expect(family.metrics[0]!.buckets).to.include({ '0.005': '0', '0.01': '1', '+Inf': '1' });
  });

  it('counts refused frames by kind of reason, from what the sessions say', async () => {
    const m = createRoleMetrics('server', 'S1');
    const reasons = [
      "frame 'ready' not allowed on this link",
      "frame 'checkpoint' from S3 on S2's link",
      'authentication failed: lfd LFD9 did not prove the cluster\'s secret',
      'no server named S4 in the configuration (S1, S2, S3)',
      'protocol version 2 not supported',
      'unterminated frame: more than 1048576 characters',
    ];
    expect(reasons.map(refusalKind)).to.deep.equal(['not allowed', 'not allowed', 'unauthenticated', 'unknown name', 'version', 'malformed']);
    feed(m, reasons.map((reason) => ({ event: 'link.refused', name: 'S1', peer: 'L1', reason })));
    expect((await sample(m, 'steadfast_refused_frames_total', { reason: 'not allowed' }))?.value).to.equal('2');
    expect((await sample(m, 'steadfast_refused_frames_total', { reason: 'malformed' }))?.value).to.equal('1');
  });

  it('wants only the events it counts, so a quiet role builds no per-request line for nothing', () => {
    const m = createRoleMetrics('server', 'S1');
    expect(m.wants({ event: 'server.heartbeat', name: 'S1', from: 'LFD1', count: 1 })).to.equal(false);
    expect(m.wants({ event: 'server.after', name: 'S1', state: '', request: { client: 'C1', server: 'S1', num: 1 } })).to.equal(true);
  });
});

/**
 * A transport whose actors do nothing themselves: the test plays each one's side through `emit` (an
 * event it sends back) and `command` (what its parent tells it), through the watched transport.
 */
function playedTransport(m: RoleMetrics) {
  const kinds = ['listener', 'link', 'links'] as const;
  const emits = {} as Record<TransportKind, (e: TransportEvent) => void>;
  const inner = Object.fromEntries(
    kinds.map((k) => [
      k,
      fromCallback<TransportCommand>(({ sendBack, receive }) => {
        emits[k] = sendBack as (e: TransportEvent) => void;
        receive(() => {});
      }),
    ]),
  ) as unknown as Transport;
  const watched = m.watch(inner);
  const sides = {} as Record<TransportKind, { emit(e: TransportEvent): void; command(c: TransportCommand): void }>;
  for (const kind of kinds) {
    let listener: (c: TransportCommand) => void = () => {};
    const config = (watched[kind] as unknown as { config: (args: unknown) => void }).config;
    config({ input: {}, sendBack: () => {}, receive: (fn: (c: TransportCommand) => void) => (listener = fn) });
    sides[kind] = { emit: (e) => emits[kind](e), command: (c) => listener(c) };
  }
  return sides;
}

describe('admin: metrics watched on the transport and the data folder', () => {
  const origin = (link: string, via = 'clients'): Origin => ({ via, link, peer: null });

  it('a server times a request from its arrival to its answer; a resend keeps the first arrival', async () => {
    let now = 0;
    const m = createRoleMetrics('server', 'S1', () => now);
    const { listener } = playedTransport(m);
    const request = { kind: 'request' as const, client: 'C1', server: 'S1', num: 4, body: 'x' };
    listener.emit({ type: 'batch.request', events: [{ type: 'frame.request', frame: request, origin: origin('c7') }] });
    now = 2;
    listener.emit({ type: 'batch.request', events: [{ type: 'frame.request', frame: request, origin: origin('c7') }] });
    now = 30;
    listener.command({ type: 'batch', commands: [{ type: 'send', link: 'c7', frame: { kind: 'reply', client: 'C1', server: 'S1', num: 4, result: 'ok' } }] });
    const family = parsePrometheusTextFormat(await m.registry.metrics()).find((f) => f.name === 'steadfast_request_seconds')!;
    // 30 ms: above the 25 ms bucket, within the 50 ms one.
    expect(family.metrics[0]!.buckets).to.include({ '0.025': '0', '0.05': '1', '+Inf': '1' });
  });

  it("counts an outbound link up again as a reconnect (a listener's connections are not), and checkpoint sizes and times", async () => {
    let now = 0;
    const m = createRoleMetrics('server', 'S2', () => now);
    const sides = playedTransport(m);
    const peer = { name: 'S3', role: 'server' as const };
    for (let i = 0; i < 3; i++) sides.links.emit({ type: 'link.up', origin: { via: 'peerLinks', link: 'S3', peer } });
    sides.listener.emit({ type: 'link.up', origin: origin('c1') });
    sides.listener.emit({ type: 'link.up', origin: origin('c1') });
    expect((await sample(m, 'steadfast_link_reconnects_total', { peer: 'S3' }))?.value).to.equal('2');
    sides.links.command({ type: 'send', link: 'S3', frame: { kind: 'checkpoint', from: 'S2', to: 'S3', number: 1, state: 'x'.repeat(5000), clients: [], applied: 9, epoch: 2 } });
    const bytes = parsePrometheusTextFormat(await m.registry.metrics()).find((f) => f.name === 'steadfast_checkpoint_bytes')!;
    expect(bytes.metrics[0]!.buckets).to.include({ '1000': '0', '10000': '1' });
    const checkpoint = { kind: 'checkpoint' as const, from: 'S1', to: 'S2', number: 3, state: 'y', clients: [], applied: 9, epoch: 2 };
    sides.listener.emit({ type: 'frame.checkpoint', frame: checkpoint, origin: origin('p1', 'peers') });
    now = 4;
    feed(m, [{ event: 'checkpoint.taken', name: 'S2', from: 'S1', number: 3, state: 'y' }]);
    const took = parsePrometheusTextFormat(await m.registry.metrics()).find((f) => f.name === 'steadfast_checkpoint_seconds')!;
    expect(took.metrics[0]!.buckets).to.include({ '0.0025': '0', '0.005': '1' });
  });

  it("times the data folder's syncs, by what they made durable, and passes on what the disk says", async () => {
    let now = 0;
    const m = createRoleMetrics('server', 'S1', () => now);
    const pending: (() => void)[] = [];
    const disk = { sync: (_n: string, done: (e: Error | null) => void) => pending.push(() => done(null)), replace: (_n: string, _c: Iterable<Uint8Array>, done: (e: Error | null) => void) => pending.push(() => done(new Error('full'))) } as unknown as Disk;
    const timed = m.timeDisk(disk);
    const results: (Error | null)[] = [];
    timed.sync('log', (e) => results.push(e));
    timed.replace('snapshot', [], (e) => results.push(e));
    now = 3;
    for (const finish of pending) finish();
    expect(results.map((e) => e?.message ?? null)).to.deep.equal([null, 'full']);
    expect((await sample(m, 'steadfast_fsyncs_total', { what: 'log' }))?.value).to.equal('1');
    expect((await sample(m, 'steadfast_fsyncs_total', { what: 'snapshot' }))?.value).to.equal('1');
  });
});

describe('admin: readiness', () => {
  const serverAt = (role: unknown, suspended = false) => ({ value: { role }, context: { suspended, role: 'backup', mode: 'passive', epoch: 4 } }) as never;

  it('a server is ready only while it serves within its lease', () => {
    expect(READINESS.server!(serverAt('booting'))).to.deep.equal({ ready: false, reason: 'booting' });
    expect(READINESS.server!(serverAt('recovering'))).to.deep.equal({ ready: false, reason: 'recovering' });
    expect(READINESS.server!(serverAt({ ready: 'backup' }, true))).to.deep.equal({ ready: false, reason: 'suspended' });
    expect(READINESS.server!(serverAt({ ready: 'backup' }))).to.deep.equal({ ready: true, reason: 'ready, passive backup, epoch 4' });
    expect(READINESS.server!(serverAt({ draining: 'flushing' }))).to.deep.equal({ ready: false, reason: 'draining: hands its role over, then stops' });
  });
});
