/**
 * Damaged data folders with real processes (docs/durability.md, "Failures and what they cost"): a
 * torn last record and a flipped byte in the middle of a log are cut off with a warning, the
 * replica reports the lower position and recovers the rest from a peer, and the cluster still
 * serves every request a client saw answered.
 */
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { expect } from 'chai';
import { LOG_HEADER } from '../../src/storage/log-file.js';
import { agreedLogs, killEverything, Load, logFiles, start } from '../support/durable-cluster.js';
import { killAllAndCheck, until, waitForLine, writeConfig } from '../support/processes.js';

const T = 20_000;

/** The newest log of a server that holds records. */
function newestLog(files: string[]): string {
  const withRecords = files.filter((f) => statSync(f).size > LOG_HEADER.length);
  expect(withRecords, `logs with records among ${files.join(', ')}`).to.not.be.empty;
  return withRecords.at(-1)!;
}

/** Flips one byte inside the payload of the middle record of a log (records: length, CRC-32C, payload). */
function flipMiddleRecord(file: string): void {
  const bytes = readFileSync(file);
  const starts: number[] = [];
  for (let at = LOG_HEADER.length; at < bytes.length; at += 8 + bytes.readUInt32LE(at)) starts.push(at);
  expect(starts.length, 'records in the log').to.be.greaterThan(4);
  const middle = starts[Math.floor(starts.length / 2)]!;
  bytes[middle + 8 + 2]! ^= 0x20;
  writeFileSync(file, bytes);
}

describe('e2e: a damaged data folder', function () {
  this.timeout(120_000);
  afterEach(killAllAndCheck);

  it('a torn tail (S2) and a flipped byte mid-log (S1): both cut off with a warning, both recover from S3, nothing answered is lost', async () => {
    // Checkpoints rare: what the replicas applied stays in their logs.
    const cluster = await writeConfig({ cluster: { mode: 'passive', app: 'log', durability: 'sync', data_dir: 'data', checkpoint_freq: 600 } });
    let running = start(cluster);
    await waitForLine(running.rm, /RM: 3 members: S1, S2, S3/, T);
    const load = new Load(cluster, 2);
    await until(() => load.answered() >= 40, T, () => `only ${load.answered()} answers`);
    await load.stop();
    await killEverything(running);

    flipMiddleRecord(newestLog(logFiles(cluster, 'S1')));
    const torn = newestLog(logFiles(cluster, 'S2'));
    truncateSync(torn, statSync(torn).size - 3);

    running = start(cluster);
    await waitForLine(running.lfds[0]!, /S1: log\.\d+: damaged at byte \d+ \(.*\): the records after it are dropped/, T);
    await waitForLine(running.lfds[1]!, /S2: log\.\d+: a torn last record cut off at byte \d+/, T);
    await waitForLine(running.rm, /RM: S3 has the furthest history on disk/, T);
    // Passive: they take S3's checkpoint as backups.
    await waitForLine(running.lfds[0]!, /S1 is ready \[passive\] \[backup\]/, T);
    await waitForLine(running.lfds[1]!, /S2 is ready \[passive\] \[backup\]/, T);

    const after = new Load(cluster, 2, { prefix: 'A' });
    await until(() => after.answered() >= 10, T, () => `only ${after.answered()} answers after the restart`);
    await after.stop();
    const final = await agreedLogs(cluster);
    const answered = [...load.ops, ...after.ops].filter((o) => o.reply !== null);
    const lost = answered.filter((o) => final[Number(o.reply) - 1] !== o.value).map((o) => `${o.value} told ${o.reply}`);
    expect(lost, 'answered but not at the position told').to.deep.equal([]);
    expect(final.filter((v, i) => final.indexOf(v) !== i), 'applied twice').to.deep.equal([]);
  });
});
