/** The bounded client table: what it forgets, in which order, and that a restored copy forgets alike. */
import { expect } from 'chai';
import { ClientTable, tableBounds } from '../../src/core/client-table.js';
import { mulberry32 } from '../../src/random.js';

const names = (t: ClientTable) => t.entries().map((e) => e.client);

describe('client table', () => {
  it('keeps at most max_clients, forgetting the client applied longest ago', () => {
    const t = new ClientTable({ maxClients: 3, maxChars: 1e9 });
    for (const [c, n] of [['C1', 1], ['C2', 1], ['C3', 1], ['C1', 2], ['C4', 1]] as const) t.record(c, { num: n, reply: 'r' });
    // C1's second request made it the most recent, so C2 went first.
    expect(names(t)).to.deep.equal(['C3', 'C1', 'C4']);
    expect(t.get('C2')).to.equal(undefined);
    expect(t.get('C1')).to.deep.equal({ num: 2, reply: 'r' });
  });

  it('keeps under its characters, but always the client just recorded', () => {
    const t = new ClientTable({ maxClients: 100, maxChars: 200 });
    t.record('C1', { num: 1, reply: 'a'.repeat(60) });
    t.record('C2', { num: 1, reply: 'b'.repeat(60) });
    expect(names(t)).to.deep.equal(['C1', 'C2']);
    t.record('C3', { num: 1, reply: 'c'.repeat(60) });
    expect(names(t)).to.deep.equal(['C2', 'C3']);
    t.record('C4', { num: 1, reply: 'd'.repeat(500) });
    expect(names(t)).to.deep.equal(['C4']);
    // Its smaller next reply frees room again.
    t.record('C4', { num: 2, reply: 'd' });
    t.record('C5', { num: 1, reply: 'e' });
    expect(names(t)).to.deep.equal(['C4', 'C5']);
  });

  it('restored from its entries, forgets the same clients as the original for the same requests', () => {
    const bounds = { maxClients: 20, maxChars: 2000 };
    const random = mulberry32(7);
    const original = new ClientTable(bounds);
    const draw = () => [`C${Math.floor(random() * 40)}`, 'x'.repeat(Math.floor(random() * 80))] as const;
    for (let i = 1; i <= 300; i++) {
      const [c, reply] = draw();
      original.record(c, { num: i, reply });
    }
    const copy = ClientTable.of(bounds, original.entries());
    expect(copy.entries()).to.deep.equal(original.entries());
    for (let i = 301; i <= 600; i++) {
      const [c, reply] = draw();
      original.record(c, { num: i, reply, ...(i % 7 === 0 && { failed: true }) });
      copy.record(c, { num: i, reply, ...(i % 7 === 0 && { failed: true }) });
      expect(copy.entries(), `after request ${i}`).to.deep.equal(original.entries());
    }
    expect(original.size).to.be.at.most(20);
  });

  it('sorts by name for status answers, and takes its bounds from the cluster', () => {
    const t = new ClientTable(tableBounds({ maxClients: 10, maxStateFrame: 4000 }));
    expect(t.bounds).to.deep.equal({ maxClients: 10, maxChars: 1000 });
    for (const c of ['C3', 'C1', 'C2']) t.record(c, { num: 1, reply: '' });
    expect(t.sorted().map((e) => e.client)).to.deep.equal(['C1', 'C2', 'C3']);
    expect(names(t)).to.deep.equal(['C3', 'C1', 'C2']);
  });
});
