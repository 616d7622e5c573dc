/**
 * A campaign worker thread: runs the seeds it is sent, one at a time, and posts each result back
 * (with its trace only when the run failed). Started by `pool.ts`.
 */
import { parentPort } from 'node:worker_threads';
import { runAppSeed, type RunShared } from './run.js';

/** One seed to run, with what the campaign's runs share. */
export type Job = RunShared & { seed: number };

parentPort!.on('message', async (job: Job) => {
  const result = await runAppSeed(job);
  parentPort!.postMessage({ ...result, trace: result.trace ? result.trace.records : null });
});
