import { expect } from 'chai';
import { kvApp } from '../../src/app/kv.js';
import { logApp } from '../../src/app/log.js';
import { checkHistory, isCheckedApp } from '../../src/check/apps.js';
import type { Operation } from '../../src/check/history.js';
import { KvWorkload } from '../../src/check/kv-workload.js';
import { mulberry32 } from '../../src/random.js';

const op = (client: string, value: string, invoke: number, complete: number, reply: string): Operation => ({ client, num: 1, value, invoke, complete, reply });

describe('checking an application\'s history by its name, with the final state as its snapshot', () => {
  it('log, kv and status each go to their model', () => {
    const log = [op('C1', 'a', 0, 10, '1'), op('C2', 'b', 20, 30, '2')];
    expect(checkHistory('log', log, { finalSnapshot: logApp.snapshot(['a', 'b']) }).ok).to.equal(true);
    expect(checkHistory('log', log, { finalSnapshot: logApp.snapshot(['b', 'a']) }).ok).to.equal(false);

    const kv = [op('C1', '{"op":"put","key":"k","value":1}', 0, 10, '{"ok":true}')];
    expect(checkHistory('kv', kv, { finalSnapshot: kvApp.snapshot(new Map([['k', 1]])) }).ok).to.equal(true);
    expect(checkHistory('kv', kv, { finalSnapshot: kvApp.snapshot(new Map()) }).ok).to.equal(false);

    const status = [op('C1', 'a', 0, 10, 'a'), op('C2', 'b', 20, 30, 'b')];
    expect(checkHistory('status', status, { finalSnapshot: 'b' }).ok).to.equal(true);
    expect(checkHistory('status', status, { finalSnapshot: 'a' }).ok).to.equal(false);
  });

  it('knows which apps it can check', () => {
    expect(['log', 'kv', 'status', './my-app.js'].map(isCheckedApp)).to.deep.equal([true, true, true, false]);
  });
});

describe('the kv workload of checked runs', () => {
  it('writes values unique to the client, contends on a few keys, mixes every op, and expects in a cas what it last saw', () => {
    const w = new KvWorkload(mulberry32(7), 'c1-', 3);
    const requests = Array.from({ length: 400 }, () => JSON.parse(w.next()) as { op: string; key: string; value?: string; expect?: unknown });
    const values = requests.filter((r) => r.op === 'put' || r.op === 'cas').map((r) => r.value);
    expect(new Set(values).size, 'unique values').to.equal(values.length);
    expect(values.every((v) => v!.startsWith('c1-'))).to.equal(true);
    expect(new Set(requests.map((r) => r.key))).to.deep.equal(new Set(['k1', 'k2', 'k3']));
    for (const kind of ['get', 'put', 'cas', 'del']) expect(requests.filter((r) => r.op === kind).length, kind).to.be.above(20);

    const seen = new KvWorkload(mulberry32(8), 'c2-', 1);
    seen.observe('{"op":"get","key":"k1"}', '{"ok":true,"value":"c9-4"}');
    let cas: { expect?: unknown } | undefined;
    for (let i = 0; i < 100 && !cas; i++) {
      const r = JSON.parse(seen.next()) as { op: string; expect?: unknown };
      if (r.op === 'cas') cas = r;
    }
    expect(cas?.expect).to.equal('c9-4');
  });

  it('gives the same requests for the same seed', () => {
    const draw = () => {
      const w = new KvWorkload(mulberry32(42), 'c1-');
      return Array.from({ length: 50 }, () => w.next());
    };
    expect(draw()).to.deep.equal(draw());
  });
});
