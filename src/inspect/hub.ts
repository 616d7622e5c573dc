/**
 * The inspector's HTTP server (node:http, 127.0.0.1 unless told otherwise):
 *   GET  /            the page (self-contained: no request leaves this server)
 *   GET  /events      Server-Sent Events: a full state first, then every record as it comes
 *   GET  /state.json  the full state, for scripts
 *   POST /ingest?token=T   a role process's stream: a `hello` line, then records, one JSON a line
 * A role with `--inspect` feeds its own hub in-process; `steadfast cluster --inspect` runs a hub
 * alone and its role processes stream to it (STEADFAST_INSPECT_SINK). A stream that ends means its
 * process is down (kill -9 closes the socket at once).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { PAGE } from './page.js';
import type { InspectRecord } from './records.js';
import { InspectState } from './state.js';

/** Where `--inspect` listens. */
export interface InspectAddress {
  host: string;
  port: number;
}

export { SINK_ENV } from './env.js';

/** A page that reads this slowly is dropped; it reconnects and gets the full state again. */
const MAX_BACKLOG = 8 * 1024 * 1024;
const BATCH_MS = 100;

export class Hub {
  private readonly server: Server;
  private readonly state = new InspectState();
  private readonly pages = new Set<ServerResponse>();
  /** The current stream of each process: a later one replaces it, and only it may mark it down. */
  private readonly streams = new Map<string, object>();
  private readonly token = randomBytes(12).toString('hex');
  private address: AddressInfo | null = null;
  private pending: InspectRecord[] = [];
  private batch: NodeJS.Timeout | null = null;

  constructor(private readonly at: InspectAddress) {
    // Streams in (a role's records) and out (a page's events) last as long as the cluster: node's
    // default 5-minute limit on a request would cut them.
    this.server = createServer({ requestTimeout: 0 }, (req, res) => this.route(req, res));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.at.port, this.at.host, () => {
        this.server.off('error', reject);
        this.address = this.server.address() as AddressInfo;
        resolve();
      });
    });
  }

  /** The page's address. */
  get url(): string {
    const a = this.address!;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host;
    return `http://${shown}:${a.port}/`;
  }

  /** Where role processes stream to (given to them in SINK_ENV). */
  get ingestUrl(): string {
    return `${this.url}ingest?token=${this.token}`;
  }

  /** A process in this one: its records go straight in. */
  local(process: string, role: string, pid: number): (records: InspectRecord[]) => void {
    this.take([{ t: 'hello', process, role, pid }]);
    return (records) => this.take(records);
  }

  take(records: InspectRecord[]): void {
    for (const r of records) this.state.apply(r);
    if (this.pages.size === 0) return;
    // Every process flushes on its own clock: pages get one message per BATCH_MS, whatever the count.
    this.pending.push(...records);
    this.batch ??= setTimeout(() => this.send(), BATCH_MS);
  }

  private send(): void {
    this.batch = null;
    const records = this.pending.splice(0);
    if (records.length === 0) return;
    const message = `data: ${JSON.stringify(records)}\n\n`;
    for (const page of this.pages) {
      if (page.writableLength > MAX_BACKLOG) {
        page.destroy();
        this.pages.delete(page);
        continue;
      }
      page.write(message);
    }
  }

  async close(): Promise<void> {
    if (this.batch) clearTimeout(this.batch);
    this.batch = null;
    for (const page of this.pages) page.end();
    this.pages.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/') {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        // The browser itself refuses anything not from here: no CDN, no font, no analytics.
        'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
      });
      return void res.end(PAGE);
    }
    if (req.method === 'GET' && url.pathname === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      // Records still waiting for the batch are already in the full state this page gets now.
      this.send();
      res.write(`data: ${JSON.stringify(this.state.records())}\n\n`);
      this.pages.add(res);
      req.on('close', () => this.pages.delete(res));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/state.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify(this.state.records()));
    }
    if (req.method === 'POST' && url.pathname === '/ingest') {
      if (url.searchParams.get('token') !== this.token) {
        res.writeHead(403);
        return void res.end();
      }
      return this.ingest(req, res);
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  }

  private ingest(req: IncomingMessage, res: ServerResponse): void {
    const stream = {};
    let hello: Extract<InspectRecord, { t: 'hello' }> | null = null;
    const lines = createInterface({ input: req });
    lines.on('line', (line) => {
      let r: InspectRecord;
      try {
        r = JSON.parse(line) as InspectRecord;
      } catch {
        return;
      }
      if (typeof r !== 'object' || r === null || typeof r.t !== 'string') return;
      if (hello === null) {
        if (r.t !== 'hello' || typeof r.process !== 'string') return void req.destroy();
        hello = r;
        this.streams.set(r.process, stream);
        this.take([r]);
        return;
      }
      // A process speaks for itself only.
      if (r.t === 'hello' || r.t === 'reset' || r.t === 'down') return;
      if (r.process !== hello.process) (r as { process: string }).process = hello.process;
      this.take([r]);
    });
    const ended = () => {
      if (hello === null || this.streams.get(hello.process) !== stream) return;
      this.streams.delete(hello.process);
      this.take([{ t: 'down', process: hello.process, pid: hello.pid }]);
    };
    req.on('close', ended);
    // A process killed mid-stream aborts its request: readline passes that on as an 'error', which
    // must not take the hub's process (the cluster) with it.
    lines.on('error', () => {});
    req.on('error', () => {});
    res.on('error', () => {});
    req.on('end', () => res.end());
  }
}
