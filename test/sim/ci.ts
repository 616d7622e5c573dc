/**
 * The CI batch's seeds: what `batch.test.ts` runs and what the planted bugs must be caught within.
 * Seeds 1–160 replicate the log; 161–200 the kv app (`RunOptions.app`), so the batch still covers
 * seeds 1–200 in about the time 200 log runs took.
 */
export const CI_SEEDS = { first: 1, runs: 160, minutes: 5 } as const;
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
