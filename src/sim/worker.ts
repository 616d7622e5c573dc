/**
 * A campaign worker thread: runs the seeds it is sent, one at a time, and posts each result back
 * (with its trace only when the run failed). Started by `pool.ts`.
 */
import { parentPort } from 'node:worker_threads';
import type { PlantedBug } from '../core/switches.js';
import type { PendingBug } from './pending.js';
import { runAppSeed } from './run.js';
import type { SimApp } from './world.js';

export interface Job {
  seed: number;
  app: SimApp;
  requests?: string[];
  minutes: number;
  plant: PlantedBug[];
  allow: PendingBug[];
  longPartitions: boolean;
  byHand: boolean;
}

parentPort!.on('message', async (job: Job) => {
  const result = await runAppSeed(job);
  parentPort!.postMessage({ ...result, trace: result.trace ? result.trace.records : null });
});
