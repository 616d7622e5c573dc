/**
 * An LFD attaches to, and kills, only a process that is provably its server: /proc/PID/cmdline must
 * read `… steadfast|main.js server --name NAME …`. A pid from a forged `status` answer (another
 * process, pid 1, a pid that does not exist) is refused.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSteadfastServer } from '../../src/cli/process-launcher.js';

const onLinux = process.platform === 'linux';

describe('isSteadfastServer (the LFD checks a pid before it attaches or kills)', function () {
  let dir: string;
  const children: ChildProcess[] = [];

  /** A process whose command line is `node DIR/SCRIPT ...args`, sleeping until killed. */
  function start(script: string, args: string[]): Promise<number> {
    const file = join(dir, script);
    writeFileSync(file, 'setInterval(() => {}, 1000);\n');
    const child = spawn(process.execPath, [file, ...args], { stdio: 'ignore' });
    children.push(child);
    return new Promise((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid!));
      child.once('error', reject);
    });
  }

  before(function () {
    if (!onLinux) this.skip(); // no /proc to read: the LFD cannot tell, and says so (null)
    dir = mkdtempSync(join(tmpdir(), 'steadfast-cmdline-'));
  });

  after(() => {
    for (const c of children) c.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('says yes for steadfast server of that name, in either spelling of --name', async () => {
    expect(isSteadfastServer(await start('main.js', ['server', '--name', 'S1', '--config', 'x.ini']), 'S1')).to.equal(true);
    expect(isSteadfastServer(await start('steadfast', ['server', '--name=S2']), 'S2')).to.equal(true);
  });

  it('says no for another server, another role, another program, pid 1 and a pid that is gone', async () => {
    const s1 = await start('main.js', ['server', '--name', 'S1']);
    expect(isSteadfastServer(s1, 'S2')).to.equal(false);
    expect(isSteadfastServer(await start('main.js', ['lfd', '--name', 'S1']), 'S1')).to.equal(false);
    expect(isSteadfastServer(await start('other.js', ['server', '--name', 'S1']), 'S1')).to.equal(false);
    expect(isSteadfastServer(process.pid, 'S1')).to.equal(false);
    expect(isSteadfastServer(1, 'S1')).to.equal(false);
    expect(isSteadfastServer(0, 'S1')).to.equal(false);
    expect(isSteadfastServer(-5, 'S1')).to.equal(false);
    expect(isSteadfastServer(2 ** 22 + 7, 'S1')).to.equal(false);
  });
});
