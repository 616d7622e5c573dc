/**
 * An LFD's warm spare (`steadfast lfd --spare`, src/cli/process-launcher.ts): a relaunch takes the
 * server process the LFD started ahead with `--standby`, and the spare never outlives its LFD.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { killAllAndCheck, launchedPid, startRole, until, waitForLine, writeConfig } from '../support/processes.js';

const T = 15_000;

/** The processes whose parent is `parent` and whose command line holds every one of `words`. */
function childrenWith(parent: number, words: string[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (ppid === parent && words.every((w) => args.includes(w))) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

const alive = (pid: number) => {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('e2e: an LFD with a warm spare', function () {
  this.timeout(60_000);

  afterEach(killAllAndCheck);

  it('kill -9 of S3: LFD3 starts its waiting spare, which serves; a new spare follows; kill -9 of LFD3 ends that spare', async () => {
    const cluster = await writeConfig({ cluster: { mode: 'passive', app: 'log', durability: 'sync' }, clients: {} });
    const cfg = ['--config', cluster.file];
    const rm = startRole(['rm', ...cfg]);
    await waitForLine(rm, /RM: 0 members$/, T);
    const lfds = [1, 2, 3].map((i) => startRole(['lfd', '--name', `LFD${i}`, ...cfg, ...(i === 3 ? ['--spare'] : [])]));
    const s3 = await launchedPid(lfds[2]!, 'S3', T);
    startRole(['gfd', ...cfg]);
    await waitForLine(lfds[2]!, /S3 is ready \[passive\] \[backup\]/, T);

    const spareOf = () => childrenWith(lfds[2]!.pid, ['server', 'S3', '--standby']).filter((pid) => pid !== s3);
    let spare: number[] = [];
    await until(() => (spare = spareOf()).length === 1, T, () => `LFD3's spares: ${spare}`);
    // Only LFD3 was asked for one.
    expect(childrenWith(lfds[0]!.pid, ['--standby'])).to.deep.equal([]);

    const mark = lfds[2]!.mark();
    process.kill(s3, 'SIGKILL');
    expect(await launchedPid(lfds[2]!, 'S3', T, mark)).to.equal(spare[0]);
    await waitForLine(lfds[2]!, /S3 is ready \[passive\] \[backup\]/, T, mark);
    await waitForLine(rm, /RM: 3 members: S1, S2, S3$/, T);

    let next: number[] = [];
    await until(() => (next = spareOf().filter((pid) => pid !== spare[0])).length === 1, T, () => `LFD3's spares after the relaunch: ${next}`);
    process.kill(lfds[2]!.pid, 'SIGKILL');
    await lfds[2]!.closed;
    // Its input closed with its LFD: the spare ends; the server it became serves on.
    await until(() => !alive(next[0]!), T, () => `spare ${next[0]} still running after its LFD's kill -9`);
    expect(alive(spare[0]!)).to.equal(true);
  });
});
