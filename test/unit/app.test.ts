/** Applications: defineApp's defaults and checks, the loader's one-line refusals, apply that throws, kv. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { applyRequest, defineApp } from '../../src/app/app.js';
import { kvApp } from '../../src/app/kv.js';
import { logApp } from '../../src/app/log.js';
import { AppLoadError, loadApp, resolveAppSpec } from '../../src/app/load.js';
import { parseConfig } from '../../src/config/load.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'steadfast-app-'));
function moduleFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function refusal(spec: string): Promise<string> {
  try {
    await loadApp(spec, 'x.ini: [cluster] app');
  } catch (err) {
    expect(err).to.be.instanceOf(AppLoadError);
    return (err as Error).message;
  }
  throw new Error(`${spec} was loaded`);
}

describe('applications', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('defineApp', () => {
    const counter = defineApp({ name: 'counter', initial: () => ({ n: 0 }), apply: (s, r) => ({ state: { n: s.n + Number(r) }, reply: String(s.n + Number(r)) }) });

    it('fills in JSON snapshot and restore, and a short show', () => {
      const s = counter.apply(counter.initial(), '5').state;
      expect(counter.snapshot(s)).to.equal('{"n":5}');
      expect(counter.restore('{"n":7}')).to.deep.equal({ n: 7 });
      expect(counter.show(s)).to.equal('{"n":5}');
      const long = defineApp({ name: 'long', initial: () => 'x'.repeat(100), apply: (s) => ({ state: s, reply: '' }) });
      expect(long.show(long.initial())).to.have.length(40);
    });

    it('refuses a definition without apply or with a part that is not a function', () => {
      expect(() => defineApp({ name: 'a', initial: () => 0 } as never)).to.throw(TypeError, 'no apply function');
      expect(() => defineApp({ name: 'a', initial: () => 0, apply: () => ({ state: 0, reply: '' }), show: 3 } as never)).to.throw(TypeError, 'show is not a function');
    });

    it('keeps sample when there is one, called as a method, and has none otherwise', () => {
      const dice = defineApp({
        name: 'dice',
        sides: 6,
        initial: () => 0,
        apply: (s: number) => ({ state: s, reply: '' }),
        sample(this: { sides: number }, random: () => number) {
          return `roll ${1 + Math.floor(random() * this.sides)}`;
        },
      } as never);
      expect(dice.sample!(() => 0.99)).to.equal('roll 6');
      expect(counter.sample).to.equal(undefined);
      expect(() => defineApp({ name: 'a', initial: () => 0, apply: () => ({ state: 0, reply: '' }), sample: 'x' } as never)).to.throw(TypeError, 'sample is not a function');
    });

    it('gives the snapshot as one piece and restores pieces joined, unless the app gives its own', () => {
      const s = counter.apply(counter.initial(), '5').state;
      expect(counter.snapshotParts(s)).to.deep.equal(['{"n":5}']);
      expect(counter.restoreParts(['{"n"', ':7}'])).to.deep.equal({ n: 7 });
      const bad = defineApp({ name: 'bad', initial: () => 0, apply: (n) => ({ state: n, reply: '' }), snapshotParts: () => 'x' as unknown as string[] });
      expect(() => bad.snapshotParts(0)).to.throw(TypeError, 'bad: snapshotParts returned something other than an array of strings');
    });

    it('a snapshot that is not a string is an error, not a wrong checkpoint', () => {
      const bad = defineApp({ name: 'bad', initial: () => 0, apply: (s) => ({ state: s, reply: '' }), snapshot: () => 42 as unknown as string });
      expect(() => bad.snapshot(0)).to.throw(TypeError, 'snapshot returned number, not a string');
    });
  });

  describe('applyRequest', () => {
    it('turns a throw into a failed outcome with the message, state as it was', () => {
      const app = defineApp<number[]>({
        name: 'list',
        initial: () => [],
        apply: (s, r) => {
          if (r === 'bad') throw new RangeError('no bad entries');
          s.push(r.length);
          return { state: s, reply: 'ok' };
        },
      });
      const state = [1];
      expect(applyRequest(app, state, 'bad')).to.deep.equal({ state: [1], reply: 'no bad entries', failed: true });
      expect(applyRequest(app, state, 'ab')).to.deep.equal({ state: [1, 2], reply: 'ok', failed: false });
    });

    it('a reply that is not a string fails the request', () => {
      const app = defineApp({ name: 'n', initial: () => 0, apply: (s) => ({ state: s, reply: 5 as unknown as string }) });
      expect(applyRequest(app, 0, 'x')).to.include({ failed: true, reply: 'n: apply returned a number reply, not a string' });
    });
  });

  describe('loadApp', () => {
    it('loads a plain JavaScript module: its default export or its export named app', async () => {
      const a = moduleFile('a.mjs', "export default { name: 'a', initial: () => 0, apply: (s, r) => ({ state: s + 1, reply: r }) };\n");
      const b = moduleFile('b.mjs', "export const app = { name: 'b', initial: () => '', apply: (s, r) => ({ state: r, reply: r }) };\n");
      expect((await loadApp(a, 'x')).name).to.equal('a');
      expect((await loadApp(b, 'x')).name).to.equal('b');
      expect((await loadApp('kv', 'x')).name).to.equal('kv');
    });

    it('refuses in one line naming the key and the path: missing, syntax error, throws, no apply, bad snapshot', async () => {
      const missing = path.join(dir, 'missing.mjs');
      expect(await refusal(missing)).to.match(new RegExp(`^x\\.ini: \\[cluster\\] app: ${missing.replace(/[.\\/]/g, '\\$&')}: cannot find the module`));
      expect(await refusal(moduleFile('syntax.mjs', 'export default {\n'))).to.match(/: the module failed to load: /);
      expect(await refusal(moduleFile('throws.mjs', "throw new Error('no database');\n"))).to.match(/: the module failed to load: no database$/);
      expect(await refusal(moduleFile('noapply.mjs', "export default { name: 'x', initial: () => 0 };\n"))).to.match(/: its export is not an application: no apply function$/);
      expect(await refusal(moduleFile('noexport.mjs', 'export const x = 1;\n'))).to.match(/: the module has no default export and no export named app$/);
      expect(await refusal(moduleFile('snap.mjs', "export default { name: 'x', initial: () => 0, apply: (s) => ({ state: s, reply: '' }), snapshot: () => 1 };\n")))
        .to.match(/: its initial state does not survive snapshot and restore: x: snapshot returned number, not a string$/);
      for (const text of [await refusal(missing), await refusal(path.join(dir, 'syntax.mjs'))]) expect(text).to.not.include('\n');
    });

    it('says that a TypeScript module needs compiling', async () => {
      const ts = moduleFile('c.ts', 'export default {};\n');
      if (process.execArgv.some((a) => a.includes('tsx'))) return void expect(resolveAppSpec('./c.ts', dir)).to.equal(ts);
      expect(await refusal(ts)).to.match(/needs compiling/);
    });
  });

  describe('the ini key', () => {
    const REST = '[rm]\nhost = 127.0.0.1\nport = 7000\n[gfd]\nhost = 127.0.0.1\nport = 7001\n[server.S1]\nhost = 127.0.0.1\nport = 7101\npeer_port = 7201\n';
    it('resolves a relative path against the ini file\'s folder, keeps built-in names', () => {
      const c = parseConfig(`[cluster]\napp = ./apps/mine.js\n${REST}`, 'here/cluster.ini', {}, '/srv/here');
      expect(c.cluster.app).to.equal('/srv/here/apps/mine.js');
      expect(c.appFrom).to.equal('here/cluster.ini: [cluster] app');
      expect(parseConfig(`[cluster]\napp = kv\n${REST}`, 'c.ini').cluster.app).to.equal('kv');
    });
  });

  describe('log', () => {
    const entries = ['first', 'a;b:c%d', 'é😀', 'x'.repeat(50), ''.padEnd(20, ';'), 'last'];
    const log = entries.reduce((l, e) => logApp.apply(l, e).state, logApp.initial());

    it('gives its snapshot in pieces that join to the snapshot, without copying an entry', () => {
      const parts = logApp.snapshotParts(log);
      expect(parts.join('')).to.equal(logApp.snapshot(log));
      expect(parts).to.include(entries[0]).and.include(entries[3]);
    });

    it('restores pieces cut anywhere to the log that restore gives, and knows its size', () => {
      const text = logApp.snapshot(log);
      for (const size of [1, 2, 3, 7, 50, text.length]) {
        const pieces: string[] = [];
        for (let at = 0; at < text.length; at += size) pieces.push(text.slice(at, at + size));
        const restored = logApp.restoreParts(pieces);
        expect(restored, `pieces of ${size}`).to.deep.equal(entries);
        expect(logApp.size(restored)).to.equal(text.length);
      }
      expect(logApp.restoreParts([])).to.deep.equal([]);
      expect(logApp.restoreParts(['', ''])).to.deep.equal([]);
    });
  });

  describe('kv', () => {
    const run = (requests: object[]) => {
      let state = kvApp.initial();
      return requests.map((r) => {
        const out = kvApp.apply(state, JSON.stringify(r));
        state = out.state;
        return JSON.parse(out.reply) as unknown;
      });
    };

    it('get, put, del and cas, with JSON replies', () => {
      expect(run([
        { op: 'get', key: 'x' },
        { op: 'put', key: 'x', value: '1' },
        { op: 'get', key: 'x' },
        { op: 'cas', key: 'x', expect: '2', value: '3' },
        { op: 'cas', key: 'x', expect: '1', value: { deep: [1] } },
        { op: 'get', key: 'x' },
        { op: 'del', key: 'x' },
        { op: 'cas', key: 'x', expect: null, value: 'fresh' },
        { op: 'get', key: 'x' },
      ])).to.deep.equal([
        { ok: true, value: null },
        { ok: true },
        { ok: true, value: '1' },
        { ok: false, error: 'expect does not match', value: '1' },
        { ok: true },
        { ok: true, value: { deep: [1] } },
        { ok: true },
        { ok: true },
        { ok: true, value: 'fresh' },
      ]);
    });

    it('answers a malformed request with ok false and changes nothing', () => {
      const state = kvApp.initial();
      for (const text of ['not json', '[]', '{"op":"inc","key":"x"}', '{"op":"put","key":1,"value":2}', '{"op":"put","key":"x"}', '{"op":"cas","key":"x","value":1}']) {
        const out = kvApp.apply(state, text);
        expect(JSON.parse(out.reply), text).to.have.property('ok', false);
      }
      expect(state.size).to.equal(0);
    });

    it('has one snapshot for one map, whatever order it was built in, and restores it', () => {
      const a = kvApp.initial();
      const b = kvApp.initial();
      kvApp.apply(a, '{"op":"put","key":"x","value":1}');
      kvApp.apply(a, '{"op":"put","key":"y","value":2}');
      kvApp.apply(b, '{"op":"put","key":"y","value":2}');
      kvApp.apply(b, '{"op":"put","key":"x","value":1}');
      expect(kvApp.snapshot(a)).to.equal(kvApp.snapshot(b));
      expect(kvApp.snapshot(kvApp.restore(kvApp.snapshot(a)))).to.equal(kvApp.snapshot(a));
      expect(() => kvApp.restore('{"x":1}')).to.throw('kv snapshot');
    });
  });
});
