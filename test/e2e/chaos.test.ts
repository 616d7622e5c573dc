/**
 * `steadfast chaos`: 20 seconds of kill -9, SIGSTOP/SIGCONT and SIGTERM against a cluster of real
 * processes, the primary (sequencer) most of all, then the replicas compared and the clients'
 * histories checked for linearizability. (The 2-minute runs are `npm run chaos -- --mode M
 * --seconds 120`; their results are in docs/chaos.md.) And a shorter run of the kv app: clients
 * send generated get/put/cas/del requests, checked per key. And a run with standby RMs and GFDs
 * through a local etcd, whose leading RM and GFD are killed and frozen too. And one on four test
 * hosts whose network is cut and made lossy too.
 */
import { expect } from 'chai';
import { killEverything, pidsIn, startSteadfast, until, type Steadfast } from './cluster-helpers.js';
import { isGone } from '../support/processes.js';
import { requireEtcd } from '../support/etcd.js';
import { requireHosts } from '../support/hosts.js';
import { execFileSync } from 'node:child_process';

const SECONDS = 20;
const KV_SECONDS = 15;
const HOSTS_SECONDS = 20;
// Faults, then up to 30 s to recover, 10 s to settle, the stop: generous for a loaded machine.
const runMs = (seconds: number) => (seconds + 75) * 1000;

describe('e2e: steadfast chaos (real processes, histories checked)', function () {
  this.timeout(runMs(SECONDS) + 30_000);
  let run: Steadfast | null = null;

  afterEach(async () => {
    // Let chaos stop its own cluster first (it knows every server pid); then anything named.
    if (run && run.exit === null) {
      process.kill(run.child.pid!, 'SIGTERM');
      await run.ended(20_000).catch(() => {});
    }
    run = null;
    await killEverything();
  });

  for (const mode of ['passive', 'active'] as const) {
    it(`${mode}: ${SECONDS} s of faults; the cluster recovers, the replicas agree, the history is linearizable`, async () => {
      run = startSteadfast(['chaos', '--mode', mode, '--seconds', String(SECONDS)]);
      const exit = await run.ended(runMs(SECONDS));
      const out = run.lines.join('\n');
      console.log(run.lines.filter((l) => /^(operations|faults:|primary|sequencer|linearizability|replicas|verdict|problem)/.test(l)).map((l) => `      ${l}`).join('\n'));
      expect(exit, `exit of chaos\n${run.tail(30)}`).to.deep.equal({ code: 0, signal: null });
      expect(out).to.match(/^verdict: PASS$/m);
      const word = mode === 'active' ? 'sequencer' : 'primary';
      const kills = Number(new RegExp(`^${word} kills \\(kill -9\\): (\\d+)`, 'm').exec(out)?.[1]);
      expect(kills, `${word} kills`).to.be.at.least(2);
      const completed = Number(/^operations: \d+ \((\d+) completed/m.exec(out)?.[1]);
      expect(completed, 'operations completed').to.be.above(100);
      expect(out).to.match(/^linearizability \((direct|search) check with S\d's final log of \d+ entries, \d+ ms\): linearizable$/m);
      expect(out).to.match(/^replicas: all 3 serve the same log of \d+ entries and the same client table$/m);
      const pids = pidsIn(run.lines);
      expect(pids.length, 'pids named').to.be.at.least(9);
      await until(() => pids.every(isGone), 5000, () => `still alive: ${pids.filter((p) => !isGone(p)).join(', ')}`);
    });
  }

  it('refuses --app status (a register history shows too little), apps it has no model for, and partitions without hosts, with one line', async () => {
    const refused = [
      [['--app', 'status'], /a status history says too little/],
      [['--app', './mine.js'], /checks the histories of log or kv/],
      [['--partitions'], /say --hosts N/],
      [['--hosts', '2'], /--hosts: at least 3/],
    ] as const;
    for (const [args, why] of refused) {
      run = startSteadfast(['chaos', '--mode', 'passive', ...args, '--seconds', '1']);
      const exit = await run.ended(20_000);
      expect(exit, run.tail(5)).to.deep.equal({ code: 2, signal: null });
      expect(run.tail(5)).to.match(why);
    }
  });

  it(`kv, active: ${KV_SECONDS} s of faults; generated get/put/cas/del requests, linearizable per key, the replicas' maps agree`, async () => {
    run = startSteadfast(['chaos', '--app', 'kv', '--mode', 'active', '--seconds', String(KV_SECONDS)]);
    const exit = await run.ended(runMs(KV_SECONDS));
    const out = run.lines.join('\n');
    console.log(run.lines.filter((l) => /^(operations|faults:|sequencer|linearizability|replicas|verdict|problem)/.test(l)).map((l) => `      ${l}`).join('\n'));
    expect(exit, `exit of chaos\n${run.tail(30)}`).to.deep.equal({ code: 0, signal: null });
    expect(out).to.match(/^verdict: PASS$/m);
    expect(Number(/^faults: (\d+)/m.exec(out)?.[1]), 'faults').to.be.at.least(3);
    const mix = /^operations: \d+ \((\d+) completed, \d+ unknown\): get (\d+), put (\d+), cas (\d+) \((\d+) succeeded\), del (\d+) on (\d+) keys$/m.exec(out);
    expect(mix, 'the operations line with the kv mix').to.not.equal(null);
    const [completed, get, put, cas, casOk, del, keys] = mix!.slice(1).map(Number) as [number, number, number, number, number, number, number];
    expect(completed, 'operations completed').to.be.above(50);
    for (const [what, n] of Object.entries({ get, put, cas, casOk, del })) expect(n, what).to.be.above(0);
    expect(keys, 'keys').to.equal(4);
    expect(out).to.match(/^linearizability \(search check per key with S\d's final map of \d keys, \d+ ms\): linearizable$/m);
    expect(out).to.match(/^replicas: all 3 serve the same map of \d keys and the same client table$/m);
  });

  it(`--coordinator etcd, passive: ${SECONDS} s of faults, the leading RM and GFD killed and frozen too; linearizable, the replicas agree`, async function () {
    requireEtcd(this);
    run = startSteadfast(['chaos', '--mode', 'passive', '--coordinator', 'etcd', '--seconds', String(SECONDS), '--every', '1', '--leader-faults', '0.4']);
    const exit = await run.ended(runMs(SECONDS));
    const out = run.lines.join('\n');
    console.log(run.lines.filter((l) => /^(operations|faults:|primary|RM takeovers|GFD takeovers|linearizability|replicas|verdict|problem)/.test(l)).map((l) => `      ${l}`).join('\n'));
    expect(exit, `exit of chaos\n${run.tail(30)}`).to.deep.equal({ code: 0, signal: null });
    expect(out).to.match(/^verdict: PASS$/m);
    for (const kind of ['RM', 'GFD']) {
      const faults = Number(new RegExp(`kill leading ${kind} (\\d+)`).exec(out)?.[1] ?? 0) + Number(new RegExp(`stop leading ${kind} (\\d+)`).exec(out)?.[1] ?? 0);
      expect(faults, `faults at the leading ${kind}`).to.be.at.least(1);
      expect(Number(new RegExp(`^${kind} takeovers: (\\d+)`, 'm').exec(out)?.[1]), `${kind} takeovers`).to.be.at.least(1);
    }
    expect(out).to.match(/^replicas: all 3 serve the same log of \d+ entries and the same client table$/m);
  });

  it(`--hosts 4 --partitions, passive: ${HOSTS_SECONDS} s of process and network faults; linearizable, the replicas agree, no host left`, async function () {
    requireHosts(this);
    // Seed 29's first fault cuts the primary's host off for 1.4 timeouts, past failure detection.
    run = startSteadfast(['chaos', '--mode', 'passive', '--hosts', '4', '--partitions', '--seconds', String(HOSTS_SECONDS), '--every', '1', '--seed', '29']);
    const exit = await run.ended(runMs(HOSTS_SECONDS));
    const out = run.lines.join('\n');
    console.log(run.lines.filter((l) => /^(on 4 test hosts|operations|faults:|primary|linearizability|replicas|verdict|problem)/.test(l)).map((l) => `      ${l}`).join('\n'));
    expect(exit, `exit of chaos\n${run.tail(30)}`).to.deep.equal({ code: 0, signal: null });
    expect(out).to.match(/^on 4 test hosts: RM and GFD 10\.231\.\d+\.1, S1 10\.231\.\d+\.2, S2 10\.231\.\d+\.3, S3 10\.231\.\d+\.4; clients from 10\.231\.\d+\.254; with partitions$/m);
    expect(out).to.match(/^verdict: PASS$/m);
    const faults = /^faults: \d+ \((.*)\)$/m.exec(out)?.[1] ?? '';
    expect(faults, 'the primary\'s host cut off').to.match(/isolate primary host [1-9]/);
    expect(out).to.match(/^replicas: all 3 serve the same log of \d+ entries and the same client table$/m);
    const left = execFileSync('ip', ['netns', 'list']).toString().split('\n').filter((l) => l.startsWith(`sf${run!.child.pid}h`));
    expect(left, 'namespaces left').to.deep.equal([]);
  });
});
