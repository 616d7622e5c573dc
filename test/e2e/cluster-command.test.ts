/**
 * `steadfast cluster` driven through its standard input, as an operator would: `status`, `kill S2`
 * (its LFD reports it, the RM has it relaunched, it serves again), `pause S3` / `resume S3`, `quit`.
 * Every line is `NAME | ` + a role's line; afterwards none of the processes it started is alive.
 *
 * heartbeat_timeout is 3 s so that a pause of about a second does not get S3 killed by its LFD
 * (that is what a longer pause does: SPEC §6 Fencing); a kill -9 is seen at once anyway
 * (connection lost).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'chai';
import { killEverything, pidsIn, startSteadfast, until, writeClusterIni, type Steadfast } from './cluster-helpers.js';
import { isGone } from '../support/processes.js';

const T = 20_000;

/** `NAME    | rest`: the name and the line. */
const LINE = /^(\S+)( *) \| (.*)$/;

/** Sends `status` and returns the table's rows by member name (the rows after its header). */
async function status(cluster: Steadfast): Promise<Map<string, string>> {
  const since = cluster.mark();
  cluster.send('status');
  const header = await cluster.waitFor(/^cluster +\| member +pid +process +role +phase +epoch +state +ckpt +clients$/, T, since);
  const last = await cluster.waitFor(/^cluster +\| C2 /, T, header.index);
  const rows = new Map<string, string>();
  for (const line of cluster.lines.slice(header.index + 1, last.index + 1)) {
    const m = /^cluster +\| (\S+) +(.*)$/.exec(line);
    if (m) rows.set(m[1]!, m[2]!);
  }
  return rows;
}

describe('e2e: steadfast cluster, driven through standard input', function () {
  this.timeout(90_000);

  afterEach(killEverything);

  it('starts every role, answers status, survives kill/pause/resume, drains, refuses a bad reload, and quits leaving no process behind', async () => {
    const file = await writeClusterIni(
      { mode: 'passive', app: 'log', heartbeat_freq: 0.5, heartbeat_timeout: 3, checkpoint_freq: 1 },
      { C1: 0.3, C2: 0.3 },
    );
    const cluster = startSteadfast(['cluster', '--config', file], { stdin: true });

    // Dependency order, each process announced with its pid.
    const started = await cluster.waitFor(/^cluster +\| all started/, T);
    const order = cluster.lines.slice(0, started.index).flatMap((l) => {
      const m = /^cluster +\| started (\S+) \(pid \d+\)$/.exec(l);
      return m ? [m[1]] : [];
    });
    expect(order).to.deep.equal(['RM', 'GFD', 'LFD1', 'LFD2', 'LFD3', 'C1', 'C2']);
    await cluster.waitFor(/^RM +\| \[\d\d:\d\d:\d\d\] RM: 3 members: S1, S2, S3$/, T);
    await cluster.waitFor(/^S3 +\| \[\d\d:\d\d:\d\d\] S3 is ready \[passive\] \[backup\]/, T);
    await cluster.waitFor(/^C1 +\| \[\d\d:\d\d:\d\d\] Received <C1, S1, \d+, reply>$/, T);
    await cluster.waitFor(/^C2 +\| \[\d\d:\d\d:\d\d\] Received <C2, S1, \d+, reply>$/, T);

    // status: every member, its role, phase, epoch, state, checkpoint; the clients' progress.
    const rows = await status(cluster);
    expect([...rows.keys()]).to.deep.equal(['RM', 'GFD', 'LFD1', 'LFD2', 'LFD3', 'S1', 'S2', 'S3', 'C1', 'C2']);
    expect(rows.get('RM')).to.match(/^\d+ +running +passive +- +1 +primary S1; S1:ready S2:ready S3:ready/);
    expect(rows.get('GFD')).to.match(/running .* members S1, S2, S3/);
    expect(rows.get('LFD2')).to.match(/^\d+ +running +watches S2/);
    expect(rows.get('S1')).to.match(/^\d+ +running +passive primary +ready +1 +\d+ entries +\d+ +C1:\d+ C2:\d+$/);
    for (const s of ['S2', 'S3']) expect(rows.get(s)).to.match(/^\d+ +running +passive backup +ready +1 +\d+ entries +\d+ +C1:\d+ C2:\d+$/);
    expect(rows.get('C1')).to.match(/^\d+ +running +client .*answered \d+, last #\d+ from S1/);

    // kill S2: kill -9; its LFD reports it, the RM has it relaunched, it recovers as a backup.
    const oldS2 = Number(/^(\d+)/.exec(rows.get('S2')!)![1]);
    const beforeKill = cluster.mark();
    cluster.send('kill S2');
    await cluster.waitFor(new RegExp(`^cluster +\\| kill -9 S2 \\(pid ${oldS2}\\)$`), T, beforeKill);
    await cluster.waitFor(/^LFD2 +\| \[\d\d:\d\d:\d\d\] LFD2: S2 failed \(connection lost\)$/, T, beforeKill);
    await cluster.waitFor(/^RM +\| \[\d\d:\d\d:\d\d\] RM: 2 members: S1, S3$/, T, beforeKill);
    const relaunch = await cluster.waitFor(/^LFD2 +\| \[\d\d:\d\d:\d\d\] LFD2 launching S2 \(pid (\d+)\)$/, T, beforeKill);
    const newS2 = Number(relaunch.match[1]);
    expect(newS2).to.not.equal(oldS2);
    await cluster.waitFor(/^S2 +\| \[\d\d:\d\d:\d\d\] S2 is ready \[passive\] \[backup\]/, T, relaunch.index);
    await cluster.waitFor(/^RM +\| \[\d\d:\d\d:\d\d\] RM: 3 members: S1, S2, S3$/, T, relaunch.index);
    await until(() => isGone(oldS2), T, () => `the killed S2 (pid ${oldS2}) still runs`);
    const afterKill = await status(cluster);
    expect(afterKill.get('S2')).to.match(new RegExp(`^${newS2} +running +passive backup +ready +1 `));

    // pause S3 / resume S3: SIGSTOP, SIGCONT; the same process runs on.
    const s3 = Number(/^(\d+)/.exec(afterKill.get('S3')!)![1]);
    const beforePause = cluster.mark();
    cluster.send('pause S3');
    await cluster.waitFor(new RegExp(`^cluster +\\| paused S3 \\(pid ${s3}\\)$`), T, beforePause);
    const paused = await status(cluster);
    expect(paused.get('S3')).to.match(new RegExp(`^${s3} +paused +- +\\(no answer\\)$`));
    cluster.send('resume S3');
    await cluster.waitFor(new RegExp(`^cluster +\\| resumed S3 \\(pid ${s3}\\)$`), T, beforePause);
    const resumed = await status(cluster);
    expect(resumed.get('S3')).to.match(new RegExp(`^${s3} +running +passive backup +ready +1 `));

    // drain S1: the primary hands its role over and stops; LFD1 starts it again, as a backup.
    const beforeDrain = cluster.mark();
    cluster.send('drain S1');
    await cluster.waitFor(/^cluster +\| S1 drained: its process \(pid \d+\) stopped; passive primary S[23], epoch \d+$/, T, beforeDrain);
    await cluster.waitFor(/^S1 +\| \[\d\d:\d\d:\d\d\] S1 is ready \[passive\] \[backup\]/, T, beforeDrain);

    // reload: a key that cannot change while the cluster runs is refused, and nothing changes.
    writeFileSync(file, readFileSync(file, 'utf8').replace('heartbeat_timeout = 3', 'heartbeat_timeout = 4'));
    cluster.send('reload');
    await cluster.waitFor(/^cluster +\| reload refused: these cannot change while the cluster runs: \[cluster\] heartbeat_timeout \(nothing changed\)$/, T, beforeDrain);

    // quit: everything stops, in order, and nothing is left.
    const beforeQuit = cluster.mark();
    cluster.send('quit');
    await cluster.waitFor(/^cluster +\| stopping everything \(quit\)$/, T, beforeQuit);
    const exit = await cluster.ended(T);
    expect(exit).to.deep.equal({ code: 0, signal: null });
    expect(cluster.lines[cluster.lines.length - 1]).to.match(/^cluster +\| stopped: \d+ processes started, none left running$/);

    // Every line is NAME | line, the names padded to one width, and no colour (not a terminal).
    const widths = new Set<number>();
    for (const line of cluster.lines) {
      const m = LINE.exec(line);
      expect(m, `a prefixed line: ${JSON.stringify(line)}`).to.not.equal(null);
      expect(['cluster', 'RM', 'GFD', 'LFD1', 'LFD2', 'LFD3', 'S1', 'S2', 'S3', 'C1', 'C2']).to.include(m![1]);
      widths.add(m![1]!.length + m![2]!.length);
      expect(line).to.not.include('\x1b[');
    }
    expect([...widths]).to.deep.equal(['cluster'.length]);
    // The roles' own lines are those of SPEC §5 after the prefix.
    for (const line of cluster.lines.filter((l) => !l.startsWith('cluster'))) expect(LINE.exec(line)![3]).to.match(/^\[\d\d:\d\d:\d\d\] /);

    // None of the pids it started (roles and servers, as its output names them) is alive.
    const pids = pidsIn(cluster.lines);
    expect(pids).to.include.members([oldS2, newS2, s3]);
    expect(pids.length).to.be.at.least(11);
    await until(() => pids.every(isGone), 5000, () => `still alive after quit: ${pids.filter((p) => !isGone(p)).join(', ')}`);
  });

  it('refuses --clients beyond the file before starting anything (exit 2)', async () => {
    const file = await writeClusterIni({ heartbeat_freq: 0.5, heartbeat_timeout: 3 }, { C1: 1 });
    const cluster = startSteadfast(['cluster', '--config', file, '--clients', '2'], { stdin: true });
    expect((await cluster.ended(T)).code).to.equal(2);
    expect(cluster.lines).to.deep.equal([`steadfast: --clients: not a whole number from 0 to 1 (the clients in ${file}): '2'`]);
  });
});
