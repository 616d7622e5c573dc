/**
 * `steadfast client --history FILE`: every operation the client performs, as JSON lines the
 * linearizability checkers read (`src/check/history.ts`): `invoke` when a request number is first
 * sent, with the request string; `complete` when its reply arrives, with the reply string (any
 * app: what it means is the checker's model's business). The client itself is untouched: this only watches what
 * it prints. Lines are written synchronously, so a client killed with SIGKILL leaves a history
 * that ends where its knowledge ended (a request sent and never answered is an unknown result).
 *
 * Times are microseconds of the host's monotonic clock (`process.hrtime`, CLOCK_MONOTONIC on
 * Linux), which every process on the host shares: histories of several clients on one host can
 * be checked together, histories from different hosts cannot.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { historyLine, type HistoryEvent } from '../check/history.js';
import type { Print } from '../log/events.js';
import { UsageError } from './args.js';

export const micros = (): number => Number(process.hrtime.bigint() / 1000n);

export interface HistoryTap {
  /** Wraps the printer: sees every event, passes every event on. */
  wrap(print: Print): Print;
  close(): void;
}

export function historyTap(file: string): HistoryTap {
  let fd: number;
  try {
    fd = openSync(file, 'a');
  } catch (err) {
    throw new UsageError(`--history: cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const write = (e: HistoryEvent) => writeSync(fd, historyLine(e) + '\n');
  /** The last number sent: resends of it are the same operation. */
  let sent = 0;
  return {
    wrap: (print) => (e) => {
      if (e.event === 'client.sent' && e.request.num !== sent) {
        sent = e.request.num;
        write({ type: 'invoke', client: e.name, num: e.request.num, value: e.body ?? '', t: micros() });
      } else if (e.event === 'client.received') {
        write({ type: 'complete', client: e.name, num: e.request.num, reply: e.result, t: micros(), ...(e.failed ? { failed: true as const } : {}) });
      }
      print(e);
    },
    close: () => closeSync(fd),
  };
}
