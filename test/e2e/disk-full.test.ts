/**
 * A full disk (docs/durability.md): S2's data folder is a small tmpfs this test mounts (as root).
 * When a write or sync fails, S2 prints the error and exits (fail-stop), never answering what it
 * could not store; the others go on serving, and nothing answered is lost.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { agreedLogs, Load, start } from '../support/durable-cluster.js';
import { killAllAndCheck, until, waitForLine, writeConfig } from '../support/processes.js';

const T = 20_000;
const isRoot = process.getuid?.() === 0;

describe('e2e: a full disk', function () {
  this.timeout(120_000);
  let mounted: string | null = null;

  before(function () {
    if (!isRoot) {
      if (process.env.CI) throw new Error('the disk-full test mounts a tmpfs: it must run as root');
      console.log('      skipped: not root (mounting a tmpfs needs it)');
      this.skip();
    }
  });
  afterEach(async () => {
    await killAllAndCheck();
    // After every process is gone: a mount point is no temporary folder of killAll's to remove.
    if (mounted !== null) {
      execFileSync('umount', [mounted]);
      rmSync(mounted, { recursive: true });
    }
    mounted = null;
  });

  it('the server whose disk is full fail-stops with a clear line; the others go on; nothing answered is lost', async () => {
    const cluster = await writeConfig({ cluster: { mode: 'passive', app: 'log', durability: 'sync', data_dir: 'data' } });
    const full = mkdtempSync(path.join(tmpdir(), 'steadfast-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', full]);
    mounted = full;
    const ini = readFileSync(cluster.file, 'utf8');
    writeFileSync(cluster.file, ini.replace('[server.S2]\n', `[server.S2]\ndata_dir = ${full}\n`));

    const running = start(cluster);
    await waitForLine(running.rm, /RM: 3 members: S1, S2, S3/, T);
    // 4 KB requests: the 256 KB folder fills within a few dozen.
    const load = new Load(cluster, 4, { size: 4096 });
    const { line } = await waitForLine(running.lfds[1]!, /S2: cannot write its data folder \(.*\): stops, answering nothing more/, T);
    expect(line).to.match(/ENOSPC/);
    await waitForLine(running.lfds[1]!, /LFD2: S2 exited \(exit code 1\)/, T);
    const atStop = load.answered();
    await until(() => load.answered() >= atStop + 20, T, () => `only ${load.answered() - atStop} answers after S2 stopped`);
    await load.stop();

    const final = await agreedLogs(cluster, ['S1', 'S3']);
    const answered = load.ops.filter((o) => o.reply !== null);
    const lost = answered.filter((o) => final[Number(o.reply) - 1] !== o.value).map((o) => `${o.value.slice(0, 12)} told ${o.reply}`);
    expect(lost, 'answered but not at the position told').to.deep.equal([]);
    expect(final.filter((v, i) => final.indexOf(v) !== i), 'applied twice').to.deep.equal([]);
  });
});
