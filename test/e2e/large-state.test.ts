/**
 * A state of 200 MB (200 requests of 1 MB, `app = log`) with real processes: the primary's
 * checkpoints carry it to both backups in parts, and a backup killed -9 and relaunched gets it
 * back, with no server failed on the way (docs/durability.md, "States of any size").
 * Each process's peak resident memory (VmHWM) is printed for the record, and each server's must
 * stay below three times the state: a backup holds its state and a checkpoint arriving beside it,
 * and nothing else of that size (a whole snapshot per request once held backups at 4.4 times).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serverPids, start } from '../support/durable-cluster.js';
import { killAllAndCheck, startRole, until, waitForLine, writeConfig, type Role } from '../support/processes.js';

const REQUESTS = 200;
const SIZE = 1_000_000;
const STATE = REQUESTS * SIZE;
const T = 180_000;

/** A process's peak resident set, in bytes. */
function peakOf(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (kb === null) throw new Error(`no VmHWM for pid ${pid}`);
  return Number(kb[1]) * 1024;
}

/** `[N] [200] S2 receives checkpoint from S1` from `lfd`'s server after `since`. */
function tookWhole(lfd: Role, server: string, since = 0): Promise<unknown> {
  return waitForLine(lfd, new RegExp(`\\[\\d+\\] \\[${REQUESTS}\\] ${server} receives checkpoint from`), T, since);
}

describe('e2e: a 200 MB state', function () {
  this.timeout(600_000);
  afterEach(killAllAndCheck);

  it('is checkpointed to the backups and recovered by a relaunched one, with no server failed on the way', async () => {
    const cluster = await writeConfig({
      // A state guard (half of max_state_frame) above 200 MB; heartbeats at the defaults, so that
      // a server busy with the state for 3 s would be failed.
      cluster: { mode: 'passive', app: 'log', heartbeat_freq: 1, heartbeat_timeout: 3, checkpoint_freq: 30, max_state_frame: 512 << 20 },
    });
    const running = start(cluster);
    const primary = (await waitForLine(running.rm, /RM: primary is (S\d)/, T)).match[1]!;
    await waitForLine(running.rm, /RM: 3 members: S1, S2, S3/, T);
    const client = startRole([cluster.file, String(REQUESTS), String(SIZE)], { script: fileURLToPath(new URL('../fixtures/large-requests.ts', import.meta.url)), label: 'client C1' });
    // Every answer at its position: nothing lost to a failover on the way.
    await waitForLine(client, new RegExp(`answered ${REQUESTS}: ${REQUESTS}$`), T);

    const lfdOf = (server: string) => running.lfds[Number(server.slice(1)) - 1]!;
    const backups = ['S1', 'S2', 'S3'].filter((s) => s !== primary);
    for (const b of backups) await tookWhole(lfdOf(b), b);

    // One backup killed -9: its LFD relaunches it, and the primary's checkpoint brings it the whole state.
    const victim = backups[0]!;
    const lfd = lfdOf(victim);
    const before = serverPids(running);
    const since = lfd.mark();
    process.kill(before[Number(victim.slice(1)) - 1]!, 'SIGKILL');
    await waitForLine(lfd, new RegExp(`launching ${victim} \\(pid \\d+\\)`), T, since);
    await tookWhole(lfd, victim, since);

    const roles: [string, number][] = [
      ...serverPids(running).map((pid, i): [string, number] => [`S${i + 1}${`S${i + 1}` === primary ? ' (primary)' : ''}${`S${i + 1}` === victim ? ' (relaunched)' : ''}`, pid]),
      ...running.lfds.map((r, i): [string, number] => [`LFD${i + 1}`, r.pid]),
      ['GFD', running.gfd.pid],
      ['RM', running.rm.pid],
    ];
    const clientPeak = Number((await waitForLine(client, /^peak (\d+)$/, T)).match[1]);
    const peaks = [...roles.map(([name, pid]) => ({ name, mb: Math.round(peakOf(pid) / 1e6) })), { name: 'C1', mb: Math.round(clientPeak / 1e6) }];
    console.log(`      peak RSS (MB) with a ${STATE / 1e6} MB state: ${peaks.map((p) => `${p.name} ${p.mb}`).join(', ')}`);
    const servers = peaks.filter((p) => p.name.startsWith('S'));
    expect(servers.filter((p) => p.mb * 1e6 >= 3 * STATE), 'servers at 3 times the state or more').to.deep.equal([]);
    // The only server killed is the one the test killed: no heartbeat went unanswered.
    expect(running.lfds.flatMap((l) => l.lines.filter((line) => /failed \(no heartbeat/.test(line)))).to.deep.equal([]);
    expect(running.rm.lines.filter((l) => /RM: primary is/.test(l)), 'primaries named').to.have.length(1);
  });
});
