/**
 * `steadfast verify` as a user runs it: a correct app passes with every check named; a planted bad
 * one fails (exit 1) with the check, the shrunk seed's trace and a replay command that fails alike;
 * mistakes in the command are one line and exit 2. No progress bar when standard error is not a
 * terminal.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, requireBuilt, runToExit, writeIni } from '../support/processes.js';

const APPS = path.join(ROOT, 'test', 'fixtures', 'apps');
const TIMEOUT = 120_000;

async function verify(args: string[], cwd = ROOT): Promise<{ code: number | null; out: string; err: string }> {
  const { role, exit } = await runToExit(['verify', ...args], TIMEOUT, { cwd });
  return { code: exit.code, out: role.stdout.join('\n'), err: role.stderr.join('\n') };
}

describe('steadfast verify', function () {
  this.timeout(TIMEOUT + 10_000);
  before(requireBuilt);

  it('a correct app: every check held, named, exit 0', async () => {
    const r = await verify(['--app', path.join(APPS, 'shop.mjs'), '--seeds', '4', '--minutes', '2']);
    expect(r.code, r.out + r.err).to.equal(0);
    for (const check of ['deterministic', 'snapshot-restore', 'replicas-equal', 'linearizable', 'applied-once', 'framework']) {
      expect(r.out).to.match(new RegExp(`^  ${check} +held `, 'm'));
    }
    expect(r.out).to.match(/^4 seeds, 8 simulated minutes/m);
    expect(r.out).to.match(/^all checks held$/m);
    expect(r.err, 'no progress bar without a terminal').to.equal('');
  });

  it('a bad app: the check, the shrunk seed with its trace, and a replay that fails alike (exit 1)', async () => {
    const r = await verify(['--app', 'test/fixtures/apps/snapshot-drops-field.mjs', '--seeds', '6', '--minutes', '2']);
    expect(r.code, r.out + r.err).to.equal(1);
    expect(r.out).to.match(/^  snapshot-restore +FAILED in \d+ seeds/m);
    expect(r.out).to.match(/^smallest failing run found in \d+ replays: \d+ faults \(of \d+\), \d+ requests \(of \d+\)$/m);
    expect(r.out).to.match(/--- trace \(lifecycle/);
    const replay = /replay: (steadfast verify .*?)   \(/.exec(r.out)?.[1];
    expect(replay, r.out).to.match(/^steadfast verify --app test\/fixtures\/apps\/snapshot-drops-field\.mjs --seed \d+ --minutes 2 --max-faults \d+( --max-requests \d+)?$/);
    const violation = /^ +[\d.]+ s  (snapshot-restore: .*)$/m.exec(r.out)?.[1];
    expect(violation, r.out).to.be.a('string');
    const again = await verify(replay!.split(' ').slice(2));
    expect(again.code, again.out).to.equal(1);
    expect(again.out).to.include(violation!);
  });

  it('--config takes the app from the file, relative to it', async () => {
    const ini = writeIni('');
    const app = path.relative(path.dirname(ini), path.join(APPS, 'pid-reply.mjs'));
    writeFileSync(
      ini,
      `[cluster]\napp = ${app}\n[rm]\nhost = 127.0.0.1\nport = 7000\n[gfd]\nhost = 127.0.0.1\nport = 7001\n` +
        `[server.S1]\nhost = 127.0.0.1\nport = 7101\npeer_port = 7201\n[lfd.LFD1]\nserver = S1\n`,
    );
    expect(app).to.match(/^\.\.\//);
    const r = await verify(['--config', ini, '--seed', '1', '--minutes', '1']);
    expect(r.code, r.out + r.err).to.equal(1);
    expect(r.out).to.match(/deterministic: S\d#\d+: request "count" .*\(worker 90001\).*\(worker 90002\)/);
  });

  it('mistakes: one line on standard error, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--app', 'kv', '--colour'], /^steadfast: Unknown option '--colour'$/],
      [['--app', 'kv', '--mode', 'sideways'], /^steadfast: --mode: not active, passive or both: 'sideways'$/],
      [['--app', 'kv', '--seeds', '0'], /^steadfast: --seeds: not a positive whole number: '0'$/],
      [['--app', './nowhere.mjs'], /^steadfast: --app: .*nowhere\.mjs: cannot find the module/],
      [['--app', 'kv', '--requests', 'no-such-file'], /^steadfast: --requests: cannot read no-such-file \(ENOENT\)$/],
    ];
    for (const [args, line] of cases) {
      const r = await verify(args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.err.split('\n'), args.join(' ')).to.have.length(1);
      expect(r.err, args.join(' ')).to.match(line);
    }
  });
});
