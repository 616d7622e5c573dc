/** The state guard: a request that would grow the state past half of max_state_frame is undone and failed. */
import { expect } from 'chai';
import sinon from 'sinon';
import { defineApp } from '../../src/app/app.js';
import { kvApp } from '../../src/app/kv.js';
import { logApp } from '../../src/app/log.js';
import { statusApp } from '../../src/app/status.js';
import { guardedApply, stateLimit, tooLargeMessage } from '../../src/core/state-guard.js';
import { mulberry32 } from '../../src/random.js';

describe('state guard', () => {
  it('applies a log until the next entry would pass the limit, then refuses it and keeps the state', () => {
    const limit = stateLimit({ maxStateFrame: 2000 });
    expect(limit).to.equal(1000);
    let state = logApp.initial();
    let size = 0;
    const entry = 'e'.repeat(99);
    for (let i = 0; i < 10; i++) {
      const g = guardedApply(logApp, state, size, entry, limit);
      expect(g.failed, `entry ${i + 1}`).to.equal(false);
      ({ state, size } = g);
    }
    expect(size).to.equal(logApp.snapshot(state).length).and.to.equal(999);
    const refused = guardedApply(logApp, state, size, entry, limit);
    expect(refused).to.include({ failed: true, reply: tooLargeMessage(limit), size: 999 });
    expect(refused.state).to.have.length(10);
    // A request small enough still fits: nothing is stuck.
    const small = guardedApply(logApp, refused.state, refused.size, '', limit);
    expect(small.failed).to.equal(false);
    expect(small.size).to.equal(1000);
  });

  it('undoes from the snapshot in pieces: an app with a large state never has its whole text built', () => {
    // The log's pieces are its entries: a whole snapshot on every request near the limit would
    // copy the state each time (it did, and a 200 MB log's replicas spent gigabytes on it).
    const whole = sinon.spy(logApp, 'snapshot');
    try {
      const limit = 1000;
      // Entries with a separator in them: restoring from pieces must decode them.
      const entries = Array.from({ length: 9 }, (_, i) => `${i};`.padEnd(99, 'x'));
      let state = logApp.initial();
      let size = 0;
      for (const e of entries) ({ state, size } = guardedApply(logApp, state, size, e, limit));
      expect(size).to.equal(9 * 101 + 8);
      const refused = guardedApply(logApp, state, size, 'y'.repeat(99), limit);
      expect(refused.failed).to.equal(true);
      expect(refused.state).to.deep.equal(entries);
      expect(refused.size).to.equal(size);
      expect(logApp.size(refused.state)).to.equal(size);
      expect(whole.callCount).to.equal(0);
    } finally {
      whole.restore();
    }
  });

  it('lets a kv near its limit shrink (del) and overwrite with a value no longer, but not grow', () => {
    const limit = 400;
    let state = kvApp.initial();
    let size = kvApp.size(state);
    const put = (key: string, value: string) => JSON.stringify({ op: 'put', key, value });
    for (let i = 0; ; i++) {
      const g = guardedApply(kvApp, state, size, put(`k${i}`, 'v'.repeat(40)), limit);
      // Refused or not, the state to go on with is the one returned (`apply` changed the old one in place).
      ({ state, size } = g);
      if (g.failed) {
        expect(g.reply).to.equal(tooLargeMessage(limit));
        expect(state.has(`k${i}`)).to.equal(false);
        break;
      }
    }
    const keys = state.size;
    expect(size).to.be.at.most(limit).and.above(limit - 60);
    expect(guardedApply(kvApp, state, size, put('k0', 'w'.repeat(40)), limit).failed).to.equal(false);
    const del = guardedApply(kvApp, state, size, JSON.stringify({ op: 'del', key: 'k1' }), limit);
    expect(del.failed).to.equal(false);
    expect(del.state.size).to.equal(keys - 1);
    expect(del.size).to.equal(kvApp.snapshot(del.state).length);
  });

  it('built-in sizes are their snapshots\' lengths, kept up to date request by request', () => {
    const random = mulberry32(3);
    let kv = kvApp.initial();
    let log = logApp.initial();
    const values = [null, 1, 'x;y', { a: [1, 'é'] }, 'quote"d'];
    for (let i = 0; i < 400; i++) {
      const key = `k${Math.floor(random() * 12)}`;
      const value = values[Math.floor(random() * values.length)];
      const op = ['put', 'del', 'cas', 'get'][Math.floor(random() * 4)];
      kv = kvApp.apply(kv, JSON.stringify({ op, key, value, expect: null })).state;
      expect(kvApp.size(kv), `kv after request ${i}`).to.equal(kvApp.snapshot(kv).length);
      log = logApp.apply(log, `entry:${i};%`).state;
      expect(logApp.size(log), `log after request ${i}`).to.equal(logApp.snapshot(log).length);
    }
    expect(kvApp.size(kvApp.restore(kvApp.snapshot(kv)))).to.equal(kvApp.snapshot(kv).length);
    expect(statusApp.size('abc')).to.equal(3);
  });

  it('measures an app without size by its snapshot, and takes its size when it has one', () => {
    const plain = defineApp({ name: 'plain', initial: () => ({ n: 0 }), apply: (s) => ({ state: s, reply: '' }) });
    expect(plain.size({ n: 12 })).to.equal('{"n":12}'.length);
    const sized = defineApp({ name: 'sized', initial: () => [1, 2], apply: (s) => ({ state: s, reply: '' }), size: (s) => s.length });
    expect(sized.size([1, 2, 3])).to.equal(3);
  });
});
