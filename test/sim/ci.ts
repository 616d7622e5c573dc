/**
 * The CI batch's seeds: what `batch.test.ts` runs and what the planted bugs must be caught within.
 * Seeds 1–140 replicate the log; 161–200 the kv app (`RunOptions.app`); 141–160 give their time to
 * the long partitions (below), so the batch takes about as long as it did.
 */
export const CI_SEEDS = { first: 1, runs: 140, minutes: 5 } as const;
export const CI_KV_SEEDS = { first: 161, runs: 40, minutes: 5, app: 'kv' } as const;
/** Seeds 201–220 again with S1 started by hand under an LFD with `--no-launch` (`RunOptions.byHand`). */
export const CI_BY_HAND_SEEDS = { first: 201, runs: 20, minutes: 5, byHand: true } as const;
/**
 * Seeds 221–244 (log) and 245–260 (kv) with disks: every server has a data folder on a simulated
 * disk and the whole cluster loses power now and then (`RunOptions.disks`). Forty runs, about half
 * a minute of the batch's time on 2 cores.
 */
export const CI_DISK_SEEDS = { first: 221, runs: 24, minutes: 5, disks: true } as const;
export const CI_DISK_KV_SEEDS = { first: 245, runs: 16, minutes: 5, app: 'kv', disks: true } as const;
/**
 * Seeds 261–290 with long partitions: servers' and the GFD's hosts cut off for longer than failure
 * detection takes (`RunOptions.longPartitions`, docs/partitions.md).
 */
export const CI_LONG_PARTITION_SEEDS = { first: 261, runs: 30, minutes: 5, longPartitions: true } as const;
