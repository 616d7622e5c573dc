/**
 * `steadfast scenario passive|active`: SPEC §7's eight steps against a fresh cluster of real
 * processes on real TCP, with `app = log` (the default of the scenario), end to end. Each run takes
 * about 10–15 s here; the bound is generous for a slow CI machine.
 */
import { expect } from 'chai';
import { killEverything, pidsIn, startSteadfast, until } from './cluster-helpers.js';
import { isGone } from '../support/processes.js';

const RUN_MS = 50_000;

describe('e2e: steadfast scenario (SPEC §7, real processes)', function () {
  this.timeout(RUN_MS + 10_000);

  afterEach(killEverything);

  for (const mode of ['passive', 'active'] as const) {
    it(`${mode}: all eight steps pass, with app = log and durability = sync`, async () => {
      const run = startSteadfast(['scenario', mode]);
      const exit = await run.ended(RUN_MS);
      const out = run.lines.join('\n');
      expect(exit, `exit of the scenario\n${run.tail(60)}`).to.deep.equal({ code: 0, signal: null });

      expect(run.lines[0]).to.match(new RegExp(`^steadfast scenario ${mode}: S1, S2, S3 with LFD1, LFD2, LFD3, clients C1, C2, C3`));
      expect(out).to.include('app log, durability sync');
      // Each step, in order, with its PASS.
      let at = 0;
      for (let n = 1; n <= 8; n++) {
        const header = run.lines.findIndex((l, i) => i >= at && l.startsWith(`step ${n}/8: `));
        expect(header, `step ${n} is printed after step ${n - 1}\n${run.tail(60)}`).to.be.greaterThan(at - 1);
        const result = run.lines.findIndex((l, i) => i > header && /^ {2}(PASS|FAIL)/.test(l));
        expect(run.lines[result], `step ${n}: ${run.lines[header]}`).to.match(/^ {2}PASS \(\d+\.\d s\)$/);
        at = result;
      }
      expect(out).to.match(/^final: the clients stop/m);
      // The evidence: members at RM and GFD, the primary, every replica's state, the clients' progress, the checks.
      expect(out).to.match(/RM printed "\[\d\d:\d\d:\d\d\] RM: 3 members: S1, S2, S3"/);
      expect(out).to.match(/GFD printed "\[\d\d:\d\d:\d\d\] GFD: 3 members: S1, S2, S3"/);
      expect(out).to.match(new RegExp(`RM: ${mode}, ${mode === 'active' ? 'sequencer' : 'primary'} S1, epoch 1, members S1:ready S2:ready S3:ready`));
      expect(out).to.match(/S2 \(pid \d+\): \w+ \w+, ready, epoch \d+, checkpoint \d+, state \d+ entries \(last 'C\d_hello_world\d+'\), clients C1:\d+ C2:\d+ C3:\d+/);
      expect(out).to.match(/clients: C1 answered up to #\d+, C2 answered up to #\d+, C3 answered up to #\d+/);
      expect(out).to.include('none applied twice, none missing');
      // Both modes: equal states (active: the sequencer's total order) and the positions told.
      expect(out).to.match(/states and client tables equal on S1, S2, S3/);
      expect(out).to.match(/each at the position its client was told/);
      if (mode === 'passive') {
        expect(out).to.match(/RM promoted S2 in epoch 2/);
        expect(out).to.match(/S1 is back as pid \d+: passive backup, ready/);
      } else {
        expect(out).to.match(/Discarded duplicate reply from S\d/);
        expect(out).to.match(/S2 is back as pid \d+: active backup, ready/);
        expect(out).to.match(/S3 is back as pid \d+: active backup, ready/);
      }
      // The summary table, and nothing left running.
      expect(out).to.match(/^summary: scenario (passive|active)$/m);
      for (let n = 1; n <= 8; n++) expect(out).to.match(new RegExp(`^ {2}${n} +PASS +\\d+\\.\\d s +\\S`, 'm'));
      expect(out).to.match(/^ {2}final +PASS/m);
      expect(out).to.match(/stopped: \d+ processes started, none left running/);
      expect(run.lines[run.lines.length - 1]).to.match(/^all 8 steps passed in \d+\.\d s$/);
      const pids = pidsIn(run.lines);
      expect(pids.length, 'pids named in the evidence').to.be.greaterThan(10);
      await until(() => pids.every(isGone), 5000, () => `still alive: ${pids.filter((p) => !isGone(p)).join(', ')}`);
    });
  }

  it('refuses a mode it does not know (exit 2, one line)', async () => {
    const bad = startSteadfast(['scenario', 'sideways']);
    expect((await bad.ended(10_000)).code).to.equal(2);
    expect(bad.lines.join('\n')).to.match(/scenario: say active or passive/);
  });
});
