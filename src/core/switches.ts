/**
 * TEST-ONLY switches that plant known bugs, so the simulator (`src/sim/`, its planted-bug tests in
 * `test/sim/`) can show it catches them. Every switch is off in production and nothing but a
 * simulator run asked to plant one (`RunOptions.plant`: the tests, `npm run sim -- --plant`) may
 * turn one on; each guards exactly one line, named here.
 */
export const plant = {
  /** exactly-once.ts `seen`: a request repeating the client's last number is applied again. */
  noDuplicateCheck: false,
  /** replication.ts `onDelete`: a new primary is named without opening a new epoch. */
  promoteWithoutEpoch: false,
  /** replica.ts `releaseHeld`: a replica that may serve at last drops what it held meanwhile. */
  dropHeldOnRecovery: false,
  /**
   * server.ts `isOrdered` (through ordering.ts `isOrdered`): active replicas apply requests in their
   * own arrival order, without the sequencer's total order (the seed's design), so replicas diverge.
   */
  unorderedActive: false,
  /**
   * replica.ts `respond`: a passive `sync` primary replies at once, before its backups acknowledged
   * the update (the output rule broken): a failover right after can lose an answered request.
   */
  replyBeforeAcks: false,
};

export type PlantedBug = keyof typeof plant;
