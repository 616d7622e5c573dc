/**
 * Regression: a server must outlive its LFD.
 *
 * The LFD starts its server with stdout/stderr piped into itself (src/cli/process-launcher.ts).
 * When the LFD died (kill -9), the server's next printed line failed with EPIPE, nothing listened
 * for 'error' on process.stdout, and the server died with its LFD within 100 ms. Then a restarted
 * LFD never had a running server to attach to (SPEC §3), the GFD's delayed delete (SPEC §6
 * Fencing) had nothing to protect, and losing an LFD always cost its replica. Fixed in main.ts:
 * a closed standard output means "stop printing", not a fatal error.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import {
  closeRawConns,
  killAllAndCheck,
  launchedPid,
  logEntries,
  queryStatus,
  startRole,
  until,
  waitForLine,
  writeConfig,
  type ServerStatus,
} from '../support/processes.js';

const T = 15_000;

/** `R`, `S`, … from /proc, `Z` for a zombie, `gone` when there is no such process. */
function procState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return 'gone';
  }
}

describe('e2e: a server outlives its LFD', function () {
  this.timeout(60_000);

  afterEach(async () => {
    closeRawConns();
    await killAllAndCheck();
  });

  it('kill -9 of LFD2: S2 keeps running, a restarted LFD2 attaches to it, and it serves again with the same log', async () => {
    const cluster = await writeConfig({ cluster: { mode: 'passive', app: 'log', durability: 'sync' }, clients: { C1: { interval: 0.1, message: 'c1_' } } });
    const cfg = ['--config', cluster.file];
    const rm = startRole(['rm', ...cfg]);
    await waitForLine(rm, /RM: 0 members$/, T);
    const lfds = [1, 2, 3].map((i) => startRole(['lfd', '--name', `LFD${i}`, ...cfg]));
    const pids = await Promise.all(lfds.map((lfd, i) => launchedPid(lfd, `S${i + 1}`, T)));
    startRole(['gfd', ...cfg]);
    await waitForLine(rm, /RM: 3 members: S1, S2, S3$/, T);
    await waitForLine(lfds[1]!, /S2 is ready \[passive\] \[backup\]/, T);
    const client = startRole(['client', '--name', 'C1', ...cfg]);
    await waitForLine(client, /Received <C1, S1, 5, reply>$/, T);

    process.kill(lfds[1]!.pid, 'SIGKILL');
    await lfds[1]!.closed;
    // S2 keeps printing (updates from S1) into the dead LFD's pipe: it must not die of that.
    await new Promise((r) => setTimeout(r, 1000));
    expect(procState(pids[1]!), `S2 (pid ${pids[1]}) 1 s after its LFD's kill -9`).to.match(/^[RSD]$/);

    // SPEC §3: the restarted LFD attaches to the running server instead of starting a second one.
    const lfd2 = startRole(['lfd', '--name', 'LFD2', ...cfg]);
    await waitForLine(lfd2, new RegExp(`LFD2: attached to S2 \\(pid ${pids[1]}\\), already running`), T);
    expect(lfd2.lines.filter((l) => /launching S2/.test(l))).to.deep.equal([]);

    // It serves again (recovered if its lease ran out meanwhile), the same process, the same log.
    const mark = client.mark();
    await waitForLine(client, /Received <C1, S1, \d+, reply>$/, T, mark);
    process.kill(client.pid, 'SIGTERM');
    await client.closed;
    let statuses: ServerStatus[] = [];
    await until(
      async () => {
        statuses = await Promise.all(cluster.servers.map((s) => queryStatus(s.port, s.name)));
        return statuses.every((s) => s.phase === 'ready' && s.state === statuses[0]!.state);
      },
      T,
      () => `replicas disagree: ${statuses.map((s) => `${s.server} ${s.phase} ${logEntries(s.state).length}`).join(', ')}`,
    );
    expect(statuses[1]!.pid).to.equal(pids[1]);
  });
});
