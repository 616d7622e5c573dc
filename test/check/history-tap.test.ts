import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { operationsOf, parseHistory } from '../../src/check/history.js';
import { historyTap } from '../../src/cli/history-tap.js';
import type { LogEvent } from '../../src/log/events.js';

describe('client --history: the tap on the client\'s printed events', () => {
  let dir = '';
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'steadfast-history-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the first send of each number and each reply, passes every event on, and reads back as operations', () => {
    const file = path.join(dir, 'C1.jsonl');
    const tap = historyTap(file);
    const seen: LogEvent[] = [];
    const print = tap.wrap((e) => seen.push(e));
    const req = (num: number, server: string) => ({ client: 'C1', server, num });
    const events: LogEvent[] = [
      { event: 'client.sent', name: 'C1', request: req(1, 'S1'), body: 'a1' },
      { event: 'client.sent', name: 'C1', request: req(1, 'S2'), body: 'a1' },
      { event: 'client.received', name: 'C1', request: req(1, 'S2'), result: '4' },
      { event: 'client.duplicate', name: 'C1', num: 1, server: 'S1' },
      { event: 'client.sent', name: 'C1', request: req(2, 'S1'), body: 'a2' },
    ];
    for (const e of events) print(e);
    tap.close();
    expect(seen).to.deep.equal(events);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).to.have.length(3);
    const ops = operationsOf(parseHistory(readFileSync(file, 'utf8'), file));
    expect(ops.map((o) => [o.num, o.value, o.reply, o.complete === null])).to.deep.equal([
      [1, 'a1', '4', false],
      [2, 'a2', null, true],
    ]);
    expect(ops[0]!.complete!).to.be.at.least(ops[0]!.invoke);
  });

  it('records any app\'s reply string as it came (a kv reply is JSON, not a position)', () => {
    const file = path.join(dir, 'C2.jsonl');
    const tap = historyTap(file);
    const print = tap.wrap(() => {});
    const req = { client: 'C2', server: 'S1', num: 1 };
    print({ event: 'client.sent', name: 'C2', request: req, body: '{"op":"get","key":"k1"}' });
    print({ event: 'client.received', name: 'C2', request: req, result: '{"ok":true,"value":"c1-3"}' });
    tap.close();
    const ops = operationsOf(parseHistory(readFileSync(file, 'utf8'), file));
    expect(ops.map((o) => [o.value, o.reply])).to.deep.equal([['{"op":"get","key":"k1"}', '{"ok":true,"value":"c1-3"}']]);
  });

  it('marks an answer that was a failed frame, and reads it back as failed', () => {
    const file = path.join(dir, 'C3.jsonl');
    const tap = historyTap(file);
    const print = tap.wrap(() => {});
    const req = (num: number) => ({ client: 'C3', server: 'S1', num });
    print({ event: 'client.sent', name: 'C3', request: req(1), body: 'boom' });
    print({ event: 'client.received', name: 'C3', request: req(1), result: 'no such op', failed: true });
    print({ event: 'client.sent', name: 'C3', request: req(2), body: 'fine' });
    print({ event: 'client.received', name: 'C3', request: req(2), result: 'ok' });
    tap.close();
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n').filter((l) => l.includes('"failed":true'))).to.have.length(1);
    expect(operationsOf(parseHistory(text, file)).map((o) => [o.reply, o.failed])).to.deep.equal([
      ['no such op', true],
      ['ok', undefined],
    ]);
  });

  it('refuses a history line whose failed is not true', () => {
    expect(() => parseHistory('{"type":"complete","client":"C1","num":1,"reply":"x","t":1,"failed":"yes"}\n', 'h.jsonl')).to.throw('h.jsonl:1: failed is true or absent');
  });

  it('refuses a file it cannot write with one clear line', () => {
    expect(() => historyTap(path.join(dir, 'no', 'such', 'dir', 'h.jsonl'))).to.throw(/--history: cannot write .*ENOENT/);
  });
});
