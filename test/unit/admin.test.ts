/**
 * The admin endpoint's pieces (src/admin): metrics kept from printed events, read back through a
 * Prometheus text-format parser, and each role's readiness from its snapshot.
 */
import { expect } from 'chai';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { createRoleMetrics, type RoleMetrics } from '../../src/admin/metrics.js';
import { READINESS } from '../../src/admin/readiness.js';
import type { LogEvent } from '../../src/log/events.js';

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

  it('wants only the events it counts, so a quiet role builds no per-request line for nothing', () => {
    const m = createRoleMetrics('server', 'S1');
    expect(m.wants({ event: 'server.heartbeat', name: 'S1', from: 'LFD1', count: 1 })).to.equal(false);
    expect(m.wants({ event: 'server.after', name: 'S1', state: '', request: { client: 'C1', server: 'S1', num: 1 } })).to.equal(true);
  });
});

describe('admin: readiness', () => {
  const serverAt = (role: unknown, suspended = false) => ({ value: { role }, context: { suspended, role: 'backup', mode: 'passive', epoch: 4 } }) as never;

  it('a server is ready only while it serves within its lease', () => {
    expect(READINESS.server!(serverAt('booting'))).to.deep.equal({ ready: false, reason: 'booting' });
    expect(READINESS.server!(serverAt('recovering'))).to.deep.equal({ ready: false, reason: 'recovering' });
    expect(READINESS.server!(serverAt({ ready: 'backup' }, true))).to.deep.equal({ ready: false, reason: 'suspended' });
    expect(READINESS.server!(serverAt({ ready: 'backup' }))).to.deep.equal({ ready: true, reason: 'ready, passive backup, epoch 4' });
  });
});
