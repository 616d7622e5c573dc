/**
 * The admin endpoint (`--admin [[HOST:]PORT]`, docs/operations.md): `/healthz`, `/readyz` and
 * `/metrics` over plain HTTP, for an orchestrator's probes and a Prometheus scrape. It shows
 * counts and states, never requests or state, but it has no authentication: keep it on loopback or
 * a monitoring network.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnyActorRef } from 'xstate';
import type { RoleMetrics } from './metrics.js';
import type { Readiness } from './readiness.js';

export interface AdminEndpoint {
  port: number;
  close(): Promise<void>;
}

export interface AdminOptions {
  host: string;
  port: number;
  actor: AnyActorRef;
  metrics: RoleMetrics;
  ready: (snapshot: ReturnType<AnyActorRef['getSnapshot']>) => Readiness;
}

export function startAdmin(opts: AdminOptions): Promise<AdminEndpoint> {
  const server = http.createServer((req, res) => {
    const answer = (status: number, text: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405, 'only GET\n');
    const path = (req.url ?? '/').split('?')[0];
    const snapshot = opts.actor.getSnapshot();
    const running = snapshot.status === 'active';
    if (path === '/healthz') return running ? answer(200, 'ok: its machine runs\n') : answer(503, `not running: ${snapshot.status}\n`);
    if (path === '/readyz') {
      if (!running) return answer(503, `not running: ${snapshot.status}\n`);
      const r = opts.ready(snapshot);
      return answer(r.ready ? 200 : 503, `${r.ready ? 'ready' : 'not ready'}: ${r.reason}\n`);
    }
    if (path === '/metrics') {
      opts.metrics.registry.metrics().then(
        (text) => answer(200, text, opts.metrics.registry.contentType),
        (err: Error) => answer(500, `metrics failed: ${err.message}\n`),
      );
      return;
    }
    answer(404, 'not found: try /healthz, /readyz or /metrics\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
