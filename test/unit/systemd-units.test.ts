/**
 * The systemd units of examples/systemd, checked by `systemd-analyze verify` (a template through an
 * instance of it): no error and nothing said about them. Skipped (one line) where systemd-analyze
 * is missing, except under CI, where .ci/run installs it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';

const UNITS = new URL('../../examples/systemd/', import.meta.url);

describe('examples/systemd units', function () {
  this.timeout(30_000);
  let dir = '';

  before(function () {
    if (spawnSync('systemd-analyze', ['--version']).error) {
      if (process.env.CI) throw new Error('systemd-analyze is missing (.ci/run installs systemd)');
      console.log('      skipped: systemd-analyze is not installed');
      this.skip();
    }
    dir = mkdtempSync(path.join(os.tmpdir(), 'steadfast-units-'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('every unit passes systemd-analyze verify without a word', () => {
    const files = readdirSync(UNITS).filter((f) => f.endsWith('.service'));
    expect(files).to.include.members(['steadfast-rm.service', 'steadfast-gfd.service', 'steadfast-lfd@.service']);
    for (const file of files) {
      copyFileSync(new URL(file, UNITS), path.join(dir, file));
      // A template is checked through an instance of it.
      const unit = path.join(dir, file.replace('@.service', '@LFD1.service'));
      const run = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
      expect({ status: run.status, said: `${run.stdout}${run.stderr}`.trim() }, file).to.deep.equal({ status: 0, said: '' });
    }
  });
});
