/**
 * The CI batch's seeds: what `batch.test.ts` runs and what the planted bugs must be caught within.
 * Seeds 1–160 replicate the log; 161–200 the kv app (`RunOptions.app`), so the batch still covers
 * seeds 1–200 in about the time 200 log runs took.
 */
export const CI_SEEDS = { first: 1, runs: 160, minutes: 5 } as const;
export const CI_KV_SEEDS = { first: 161, runs: 40, minutes: 5, app: 'kv' } as const;
/** Seeds 201–220 again with S1 started by hand under an LFD with `--no-launch` (`RunOptions.byHand`). */
export const CI_BY_HAND_SEEDS = { first: 201, runs: 20, minutes: 5, byHand: true } as const;
