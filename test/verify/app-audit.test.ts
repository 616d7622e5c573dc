/**
 * The app audit on its own: a deterministic app with a faithful snapshot passes; an apply that reads
 * the clock, the pid or `Math.random` fails `deterministic`; a snapshot that forgets what a reply
 * reads, or a restore that changes what the snapshot shows, fails `snapshot-restore`; a throwing
 * apply throws as it would unaudited.
 */
import { expect } from 'chai';
import { completeApp, type App, type AppDefinition } from '../../src/app/app.js';
import { AUDIT_SPACING, auditedApp, type AppCheck } from '../../src/sim/app-audit.js';

interface Counter {
  n: number;
  note: string;
}

const counter: AppDefinition<Counter> = {
  name: 'counter',
  initial: () => ({ n: 0, note: '' }),
  apply(state, request) {
    if (request === 'boom') throw new Error('no boom here');
    state.n += 1;
    state.note = request;
    return { state, reply: `${state.n} ${state.note}` };
  },
};

/** What "elsewhere" changes, as the simulator's process.pid and clock: each copy runs with its own. */
const env = { pid: 1, clock: 0 };

function audit<S>(definition: AppDefinition<S>): { app: App<S>; found: { check: AppCheck; detail: string }[] } {
  const found: { check: AppCheck; detail: string }[] = [];
  const app = auditedApp(completeApp(definition), {
    elsewhere: (k, fn) => {
      const before = { ...env };
      Object.assign(env, { pid: 100 + k, clock: k * 1000 });
      try {
        return fn();
      } finally {
        Object.assign(env, before);
      }
    },
    fail: (check, detail) => found.push({ check, detail }),
  });
  return { app, found };
}

function run<S>(app: App<S>, requests: string[]): string[] {
  let state = app.initial();
  return requests.map((r) => {
    const out = app.apply(state, r);
    state = out.state;
    return out.reply;
  });
}

describe('app audit', () => {
  it('passes a deterministic app with a faithful snapshot, replying as the app does', () => {
    const { app, found } = audit(counter);
    expect(run(app, ['a', 'b', 'c'])).to.deep.equal(['1 a', '2 b', '3 c']);
    expect(found).to.deep.equal([]);
  });

  it('fails deterministic when the reply reads the process or the clock', () => {
    for (const read of ['pid', 'clock'] as const) {
      const { app, found } = audit<Counter>({ ...counter, apply: (s, r) => ({ state: s, reply: `${r} ${env[read]}` }) });
      run(app, ['x']);
      expect(found.map((f) => f.check), read).to.deep.equal(['deterministic']);
      expect(found[0]!.detail).to.match(/in one process reply "x 10?[01]/);
    }
  });

  it('fails deterministic when the state, not only the reply, differs', () => {
    let draws = 0;
    const { app, found } = audit<Counter>({ ...counter, apply: (s) => ({ state: { ...s, n: (draws += 1) }, reply: 'ok' }) });
    run(app, ['x']);
    expect(found.map((f) => f.check)).to.deep.equal(['deterministic']);
  });

  it('fails snapshot-restore when the snapshot drops a field a reply reads', () => {
    const { app, found } = audit<Counter>({
      ...counter,
      snapshot: (s) => JSON.stringify({ n: s.n }),
      restore: (text) => ({ ...(JSON.parse(text) as { n: number }), note: '' }),
      apply: (s, r) => ({ state: s, reply: r === 'note?' ? s.note : ((s.note = r), 'noted') }),
    });
    run(app, ['a', 'note?']);
    expect(found.map((f) => f.check)).to.deep.equal(['snapshot-restore']);
    expect(found[0]!.detail).to.match(/own state gave reply "a".*restore\(snapshot\(state\)\) gave reply ""/);
  });

  it('fails snapshot-restore when restore changes what the snapshot shows, or throws on it', () => {
    const reversed = audit<string[]>({
      name: 'list',
      initial: () => [],
      apply: (s, r) => ({ state: [...s, r], reply: String(s.length + 1) }),
      restore: (text) => (JSON.parse(text) as string[]).reverse(),
    });
    run(reversed.app, ['a', 'b', 'c']);
    expect(reversed.found.map((f) => f.check)).to.deep.equal(['snapshot-restore']);
    expect(reversed.found[0]!.detail).to.match(/came back as \["b","a"\]/);

    const brittle = audit<Counter>({ ...counter, restore: (text) => (text.includes('"n":1') ? (() => { throw new Error('bad'); })() : JSON.parse(text)) });
    run(brittle.app, ['a', 'b']);
    expect(brittle.found.map((f) => f.check)).to.deep.equal(['snapshot-restore']);
    expect(brittle.found[0]!.detail).to.match(/restore threw .*\(bad\)/);
  });

  it('fails snapshot-restore when the snapshot in pieces is not the snapshot', () => {
    const list = { name: 'list', initial: () => [] as string[], apply: (s: string[], r: string) => ({ state: [...s, r], reply: String(s.length + 1) }) };
    const dropsOne = audit<string[]>({ ...list, snapshotParts: (s) => [JSON.stringify(s.slice(1))] });
    run(dropsOne.app, ['a', 'b']);
    expect(dropsOne.found.map((f) => f.check)).to.deep.equal(['snapshot-restore']);
    expect(dropsOne.found[0]!.detail).to.equal('snapshotParts(s) joins to [], not to snapshot(s) ["a"]');

    const firstPieceOnly = audit<string[]>({ ...list, restoreParts: (parts) => (parts[0] === '' ? [] : ['?']) });
    run(firstPieceOnly.app, ['a', 'b']);
    expect(firstPieceOnly.found.map((f) => f.check)).to.deep.equal(['snapshot-restore']);
    expect(firstPieceOnly.found[0]!.detail).to.match(/^snapshot\(restoreParts\(s in three pieces\)\) differs from s: \[\] came back as \["\?"\]$/);
  });

  it("a throwing apply throws the app's own error, and its copies must throw alike", () => {
    const { app, found } = audit(counter);
    expect(() => app.apply(app.initial(), 'boom')).to.throw('no boom here');
    expect(found).to.deep.equal([]);
  });

  it('audits every request on a small state, and spaces them out as the state grows', () => {
    let restores = 0;
    const { app } = audit<string[]>({
      name: 'big',
      initial: () => [],
      apply: (s, r) => ({ state: [...s, r], reply: String(s.length + 1) }),
      restore: (text) => ((restores += 1), JSON.parse(text) as string[]),
    });
    const audited = (requests: string[]): number => {
      const before = restores;
      let state = app.initial();
      for (const r of requests) state = app.apply(state, r).state;
      // Three restores an audit: two copies, and the snapshot in pieces.
      return (restores - before) / 3;
    };
    expect(audited(['a', 'b', 'c'])).to.equal(3);
    // Each snapshot of ≥ 2 × AUDIT_SPACING characters leaves the next two requests unaudited.
    const long = 'x'.repeat(2 * AUDIT_SPACING);
    expect(audited([long, 'b', 'c', 'd', 'e', 'f', 'g'])).to.equal(3);
  });

  it('reports one finding, then stays out of the way', () => {
    let k = 0;
    const { app, found } = audit<Counter>({ ...counter, apply: (s) => ({ state: s, reply: String((k += 1)) }) });
    run(app, ['a', 'b', 'c']);
    expect(found).to.have.length(1);
  });
});
