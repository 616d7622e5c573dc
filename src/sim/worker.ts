/**
 * A campaign worker thread: runs the seeds it is sent, one at a time, and posts each result back
 * (with its trace only when the run failed). Started by `pool.ts`.
 */
import { parentPort } from 'node:worker_threads';
import type { PlantedBug } from '../core/switches.js';
import type { PendingBug } from './pending.js';
import { runSeed } from './run.js';
import type { SimApp } from './world.js';

export interface Job {
  seed: number;
  app: SimApp;
  minutes: number;
  plant: PlantedBug[];
  allow: PendingBug[];
  longPartitions: boolean;
  byHand: boolean;
}

parentPort!.on('message', (job: Job) => {
  const result = runSeed({ seed: job.seed, app: job.app, minutes: job.minutes, plant: job.plant, allow: job.allow, longPartitions: job.longPartitions, byHand: job.byHand });
  parentPort!.postMessage({ ...result, trace: result.trace ? result.trace.records : null });
});
