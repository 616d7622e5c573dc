/**
 * The CI batch's seeds: what `batch.test.ts` runs and what the planted bugs must be caught within.
 * Seeds 1–70 replicate the log; 161–180 the kv app (`RunOptions.app`). The batch is the suite's
 * longest part (about a second of wall time per run on 2 cores), so it is sized to keep the whole
 * suite within 20 minutes; the long campaigns (thousands of seeds) are run by hand (docs/simulator.md).
 */
export const CI_SEEDS = { first: 1, runs: 70, minutes: 5 } as const;
export const CI_KV_SEEDS = { first: 161, runs: 20, minutes: 5, app: 'kv' } as const;
/** Seeds 201–210 again with S1 started by hand under an LFD with `--no-launch` (`RunOptions.byHand`). */
export const CI_BY_HAND_SEEDS = { first: 201, runs: 10, minutes: 5, byHand: true } as const;
/**
 * Seeds 221–232 (log) and 245–252 (kv) with disks: every server has a data folder on a simulated
 * disk and the whole cluster loses power now and then (`RunOptions.disks`).
 */
export const CI_DISK_SEEDS = { first: 221, runs: 12, minutes: 5, disks: true } as const;
export const CI_DISK_KV_SEEDS = { first: 245, runs: 8, minutes: 5, app: 'kv', disks: true } as const;
/**
 * Seeds 261–285 with long partitions: servers' and the GFD's hosts cut off for longer than failure
 * detection takes (`RunOptions.longPartitions`, docs/partitions.md).
 */
export const CI_LONG_PARTITION_SEEDS = { first: 261, runs: 25, minutes: 5, longPartitions: true } as const;
/** Seeds 301–306 with drains too: servers told to hand their role over and stop (`RunOptions.drains`). */
export const CI_DRAIN_SEEDS = { first: 301, runs: 6, minutes: 5, drains: true } as const;
