/** The CI batch's seeds: what `batch.test.ts` runs and what the planted bugs must be caught within. */
export const CI_SEEDS = { first: 1, runs: 200, minutes: 5 } as const;
