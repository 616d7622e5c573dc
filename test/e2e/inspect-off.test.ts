/**
 * With `--inspect` off (and no parent's hub in STEADFAST_INSPECT_SINK), a role does no inspection
 * work: `createActor` gets no `inspect` option (so xstate's own inspection path returns at its first
 * check, no observers), and not one of the inspector's modules is even loaded (checked with a
 * module-resolution hook that records every module the process loads). The same check with
 * `--inspect 0` sees them loaded, so it can fail.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { actorOptions } from '../../src/cli/run-role.js';
import { ROOT, killEverything, startSteadfast, tempDir, writeClusterIni } from './cluster-helpers.js';

const HOOK = path.join(ROOT, 'test', 'fixtures', 'record-imports.mjs');

/** Runs `steadfast rm` until it is up, stops it, and returns the modules it loaded from dist/. */
async function modulesOf(args: string[], ready: RegExp): Promise<string[]> {
  const file = await writeClusterIni({ mode: 'passive' }, {});
  const record = path.join(tempDir(), 'imports.txt');
  writeFileSync(record, '');
  const rm = startSteadfast(['rm', '--config', file, ...args], { env: { NODE_OPTIONS: `--import=${HOOK}`, RECORD_IMPORTS: record } });
  await rm.waitFor(ready, 20_000);
  rm.child.kill('SIGTERM');
  await rm.ended(10_000);
  const dist = path.join(ROOT, 'dist') + path.sep;
  const urls = new Set(readFileSync(record, 'utf8').split('\n'));
  return [...urls]
    .filter((u) => u.startsWith('file://'))
    .map((u) => new URL(u).pathname)
    .filter((p) => p.startsWith(dist))
    .map((p) => p.slice(dist.length));
}

describe('e2e: --inspect off means no inspection work', function () {
  this.timeout(60_000);
  afterEach(killEverything);

  it('passes no inspect callback to createActor when there is none', () => {
    expect(actorOptions({ a: 1 }, undefined)).to.deep.equal({ input: { a: 1 } });
    expect(actorOptions({ a: 1 }, undefined)).not.to.have.property('inspect');
    const inspect = () => {};
    expect(actorOptions({ a: 1 }, inspect)).to.deep.equal({ input: { a: 1 }, inspect });
  });

  it('loads none of the inspector (but its one-line env constant) without --inspect, and loads it with', async () => {
    const off = await modulesOf([], /RM: 0 members/);
    expect(off, 'the hook recorded the role itself').to.include('cli/run-role.js');
    expect(off.filter((m) => m.startsWith('inspect/'))).to.deep.equal(['inspect/env.js']);

    const on = await modulesOf(['--inspect', '0'], /inspector at http:\/\/127\.0\.0\.1:\d+\//);
    expect(on).to.include.members(['inspect/hub.js', 'inspect/recorder.js', 'inspect/role.js']);
  });
});
