/**
 * Campaigns: many seeds spread over worker threads (one simulated cluster per thread at a time,
 * since the simulated clock replaces a thread's globals). Seeds are handed out one at a time, so a
 * slow seed does not hold up the others. From the built package a worker is plain `worker.js`; run
 * from source (the tests, `npm run sim`) it is `worker.ts`, which needs tsx's loader, and a worker
 * thread does not inherit that: each one registers it before loading the worker.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { addRun, emptySummary, isFailure, type Summary } from './report.js';
import type { RunResult, RunShared } from './run.js';
import { Trace } from './trace.js';
import type { Job } from './worker.js';

export type { RunShared };

export interface CampaignOptions extends RunShared {
  /** First seed; seeds run `first`, `first + 1`, … */
  first: number;
  runs: number;
  /** Worker threads (default: the machine's available parallelism). */
  workers?: number;
  /** Stop handing out seeds once one failed (planted-bug checks). */
  stopAtFirstFailure?: boolean;
  /** Each result as it comes (in completion order). */
  onResult?: (r: RunResult) => void;
}

export interface Campaign {
  summary: Summary;
  /** Failed runs (`isFailure`), by seed, with their traces. */
  failures: RunResult[];
  results: RunResult[];
}

/** This file, whether tsx loaded it as ESM (`npm run sim`) or as CommonJS (mocha), or node from `dist/`. */
const SELF = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
const FROM_SOURCE = SELF.endsWith('.ts');

function startWorker(): Worker {
  // A larger young generation: a run allocates fast and keeps little, so fewer scavenges pay off.
  const options = { resourceLimits: { maxYoungGenerationSizeMb: 96 } };
  if (!FROM_SOURCE) return new Worker(join(dirname(SELF), 'worker.js'), options);
  // tsx's ESM API, found from here (an eval'd worker resolves bare names from the working directory).
  const tsx = pathToFileURL(createRequire(SELF).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const entry = pathToFileURL(join(dirname(SELF), 'worker.ts')).href;
  const code =
    `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })` +
    `.catch((err) => { console.error(err); process.exit(1); });`;
  return new Worker(code, { ...options, eval: true });
}

export function campaign(options: CampaignOptions): Promise<Campaign> {
  const count = Math.max(1, Math.min(options.workers ?? availableParallelism(), options.runs));
  const { first: _first, runs: _runs, workers: _workers, stopAtFirstFailure: _stop, onResult: _onResult, ...shared } = options;
  const summary = emptySummary();
  summary.workers = count;
  const results: RunResult[] = [];
  const start = performance.now();
  let next = 0;
  let stopping = false;
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let running = 0;
    const finish = () => {
      summary.wallMs = performance.now() - start;
      results.sort((a, b) => a.seed - b.seed);
      resolve({ summary, results, failures: results.filter(isFailure) });
    };
    const feed = (w: Worker): boolean => {
      if (stopping || next >= options.runs) return false;
      const job: Job = { ...shared, seed: options.first + next };
      next += 1;
      w.postMessage(job);
      return true;
    };
    for (let i = 0; i < count; i++) {
      const w = startWorker();
      workers.push(w);
      running += 1;
      w.on('message', (raw: RunResult & { trace: Trace['records'] | null }) => {
        const trace = raw.trace ? Object.assign(new Trace(), { records: raw.trace }) : null;
        const r: RunResult = { ...raw, trace };
        results.push(r);
        addRun(summary, r);
        options.onResult?.(r);
        if (isFailure(r) && options.stopAtFirstFailure) stopping = true;
        if (!feed(w)) {
          running -= 1;
          void w.terminate();
          if (running === 0) finish();
        }
      });
      w.on('error', (err) => {
        stopping = true;
        for (const other of workers) void other.terminate();
        reject(err);
      });
      if (!feed(w)) {
        running -= 1;
        void w.terminate();
      }
    }
    if (running === 0) finish();
  });
}
