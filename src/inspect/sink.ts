/**
 * A role process's stream to a hub elsewhere (its parent's): one long HTTP POST, a JSON record a
 * line. Nothing here may hurt the role: a hub that is gone or too slow loses records, never blocks
 * or crashes the process.
 */
import { request } from 'node:http';
import type { InspectRecord } from './records.js';

const MAX_BUFFERED = 4 * 1024 * 1024;

export interface Sink {
  send(records: InspectRecord[]): void;
  close(): void;
}

export function connectSink(url: string, hello: Extract<InspectRecord, { t: 'hello' }>): Sink {
  let open = true;
  const req = request(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' } });
  req.on('error', () => (open = false));
  req.on('response', (res) => {
    res.resume();
    open = false;
  });
  // The stream must not keep a stopping role alive.
  req.on('socket', (s) => s.unref());
  req.write(JSON.stringify(hello) + '\n');
  return {
    send(records) {
      if (!open || req.writableLength > MAX_BUFFERED) return;
      req.write(records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    },
    close() {
      if (!open) return;
      open = false;
      req.end();
    },
  };
}
