#!/usr/bin/env node
// An HTTP front end for a steadfast `kv` cluster, with node:http only.
//
//   node examples/kv-http/server.mjs --config FILE [--port 8080] [--host 127.0.0.1] [--name web]
//                                    [--clients 8] [--timeout 10]
//
//   GET    /keys/:key   200 with the value as the body, 404 when absent
//   PUT    /keys/:key   the body (text) becomes the value; 204
//   DELETE /keys/:key   204 (absent or not)
//
// Every HTTP request is one kv operation, and the cluster applies each one exactly once in one
// order, so the store is linearizable: a GET sees every PUT that was answered before it began.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { loadConfig } from 'steadfast';
import { AppError, ClosedError, connect, TimeoutError } from 'steadfast/client';

const { values: opts } = parseArgs({
  options: {
    config: { type: 'string' },
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' }, // loopback unless asked: there is no authentication
    name: { type: 'string', default: 'web' },
    clients: { type: 'string', default: '8' },
    timeout: { type: 'string', default: '10' },
  },
});
const fail = (why) => {
  console.error(`kv-http: ${why}`);
  process.exit(2);
};
if (!opts.config) fail('--config FILE is required (the cluster\'s ini file)');
const port = Number(opts.port);
const size = Number(opts.clients);
const timeoutMs = Number(opts.timeout) * 1000;
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port: not a port: ${opts.port}`);
if (!Number.isInteger(size) || size < 1 || size > 256) fail(`--clients: 1 to 256, not ${opts.clients}`);
if (!(timeoutMs > 0)) fail(`--timeout: seconds > 0, not ${opts.timeout}`);
// Client names are NAME-1 … NAME-N and must match [A-Za-z0-9_-]{1,32}.
if (!/^[A-Za-z0-9_-]{1,28}$/.test(opts.name)) fail(`--name: letters, digits, _ and -, at most 28: ${opts.name}`);

let config;
try {
  config = loadConfig({ path: opts.config });
} catch (err) {
  fail(err.message);
}
if (config.cluster.app !== 'kv') fail(`${opts.config}: [cluster] app is ${config.cluster.app}, not kv`);

// A pool of clients. One client has at most one request outstanding (the protocol numbers each
// client's requests one after another), so N clients give N requests in flight. Each name is used by
// this process alone: two processes sharing a name would reuse request numbers, and the cluster could
// answer the second request with the first one's reply without applying it. Run a second copy of
// this server with another --name.
const idle = [];
for (let i = 1; i <= size; i++) idle.push(await connect({ config, name: `${opts.name}-${i}` }));
const all = [...idle];
const waiting = []; // requests waiting for a free client, first come first served

async function kv(op) {
  const client = idle.pop() ?? (await new Promise((resolve) => waiting.push(resolve)));
  try {
    return JSON.parse(await client.request(JSON.stringify(op), { timeoutMs }));
  } finally {
    // After a timeout the request may still be in flight inside the client; the next request on it
    // simply waits behind it (and times out unsent, so not applied, if the cluster stays away).
    const next = waiting.shift();
    if (next) next(client);
    else idle.push(client);
  }
}

const MAX_BODY = 64 * 1024; // well under the cluster's max_frame, JSON escaping included

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let bytes = 0;
    req.on('data', (chunk) => {
      bytes += chunk.length;
      if (bytes > MAX_BODY) reject(new HttpError(413, `the value is larger than ${MAX_BODY} bytes`));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const m = /^\/keys\/([^/]+)$/.exec(url.pathname);
  if (!m) throw new HttpError(404, 'not found: use /keys/KEY');
  let key;
  try {
    key = decodeURIComponent(m[1]);
  } catch {
    throw new HttpError(400, 'the key is not valid percent-encoding');
  }

  if (req.method === 'GET') {
    const reply = await kv({ op: 'get', key });
    check(reply);
    if (reply.value === null) throw new HttpError(404, `no key ${key}`);
    // Values written here are strings; a value another client stored as other JSON comes back as JSON.
    const body = typeof reply.value === 'string' ? reply.value : JSON.stringify(reply.value);
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
  } else if (req.method === 'PUT') {
    check(await kv({ op: 'put', key, value: await readBody(req) }));
    res.writeHead(204).end();
  } else if (req.method === 'DELETE') {
    check(await kv({ op: 'del', key }));
    res.writeHead(204).end();
  } else {
    res.setHeader('allow', 'GET, PUT, DELETE');
    throw new HttpError(405, `method ${req.method} not allowed`);
  }
}

// `{"ok":false}` means the kv app refused the request as malformed: a bug here, not the caller's.
function check(reply) {
  if (!reply.ok) throw new Error(`the kv app refused the request: ${reply.error}`);
}

function statusOf(err) {
  if (err instanceof HttpError) return [err.status, err.message];
  if (err instanceof TimeoutError && err.sent) {
    // The cluster may have applied it: the caller must read back before retrying a non-idempotent step.
    return [504, `no answer from the cluster in time: the outcome is unknown (it may or may not have been applied)`];
  }
  if (err instanceof TimeoutError) return [503, 'the cluster is unavailable: the request was not applied; retry'];
  if (err instanceof ClosedError) return [503, 'shutting down: the request was not applied'];
  if (err instanceof AppError) return [500, `the application failed: ${err.message}`];
  return [500, `internal error: ${err.message}`];
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    const [status, message] = statusOf(err);
    if (status >= 500) console.error(`kv-http: ${req.method} ${req.url}: ${status} ${message}`);
    if (res.headersSent) return res.destroy();
    // A request refused before its body was read: close the connection rather than drain the body.
    if (!req.complete) res.setHeader('connection', 'close');
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${message}\n`);
  });
});

server.on('error', (err) => {
  console.error(`kv-http: ${err.message}`);
  process.exit(1);
});
server.listen(port, opts.host, () => {
  const { address, port: bound } = server.address();
  console.log(`kv-http listening on http://${address.includes(':') ? `[${address}]` : address}:${bound} (${size} clients of ${opts.config})`);
});

// Clean shutdown: stop accepting, let the requests in flight finish (each is bounded by --timeout),
// then close the clients. A second signal exits at once.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`kv-http: ${signal}, stopping`);
    server.close(async () => {
      await Promise.all(all.map((c) => c.close()));
      process.exit(0);
    });
    server.closeIdleConnections();
  });
}
