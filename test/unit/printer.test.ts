import { expect } from 'chai';
import type { LogEvent, LogLevel } from '../../src/log/events.js';
import { createPrinter, formatText, levelOf, REFUSALS_PER_SECOND } from '../../src/log/printer.js';

/** Local time 12:00:03, so the prefix is `[12:00:03]` whatever the machine's time zone. */
const NOON = new Date(2024, 0, 2, 12, 0, 3, 250);
const req = { client: 'C1', server: 'S1', num: 4 };

/** Every text form of SPEC §5 (and the remaining events), exactly. */
const LINES: Array<[LogEvent, string]> = [
  [{ event: 'server.started', name: 'S1', host: '127.0.0.1', port: 7101, peerHost: '127.0.0.1', peerPort: 7201, pid: 4242 },
    '[12:00:03] S1 started on 127.0.0.1:7101 (peer 127.0.0.1:7201), pid 4242'],
  [{ event: 'server.heartbeat', name: 'S1', from: 'LFD1', count: 5 }, '[12:00:03] [5] S1 receives heartbeat from LFD1'],
  [{ event: 'server.before', name: 'S1', state: 'hello_world3', request: req },
    '[12:00:03] my_state_S1 = hello_world3 before processing <C1, S1, 4, request>'],
  [{ event: 'server.after', name: 'S1', state: 'hello_world4', request: req },
    '[12:00:03] my_state_S1 = hello_world4 after processing <C1, S1, 4, request>'],
  [{ event: 'checkpoint.sent', name: 'S1', to: 'S2', number: 3, state: 'hello_world4' },
    '[12:00:03] [3] [hello_world4] S1 sending checkpoint to S2'],
  [{ event: 'checkpoint.taken', name: 'S2', from: 'S1', number: 3, state: 'hello_world4' },
    '[12:00:03] [3] [hello_world4] S2 receives checkpoint from S1'],
  [{ event: 'server.ready', name: 'S1', mode: 'passive', replicaRole: 'primary', epoch: 4 },
    '[12:00:03] S1 is ready [passive] [primary] (epoch 4)'],
  [{ event: 'server.ready', name: 'S2', mode: 'active', replicaRole: 'backup', epoch: 1 },
    '[12:00:03] S2 is ready [active] [backup] (epoch 1)'],
  [{ event: 'lfd.heartbeat', name: 'LFD1', server: 'S1', count: 5 }, '[12:00:03] [5] LFD1 sending heartbeat to S1'],
  [{ event: 'lfd.failed', name: 'LFD1', server: 'S1', reason: 'connection lost', timeoutS: 3 },
    '[12:00:03] LFD1: S1 failed (connection lost)'],
  [{ event: 'lfd.failed', name: 'LFD1', server: 'S1', reason: 'no heartbeat answer', timeoutS: 3 },
    '[12:00:03] LFD1: S1 failed (no heartbeat answer in 3 s)'],
  [{ event: 'lfd.failed', name: 'LFD1', server: 'S1', reason: 'no heartbeat answer', timeoutS: 0.5 },
    '[12:00:03] LFD1: S1 failed (no heartbeat answer in 0.5 s)'],
  [{ event: 'lfd.failed', name: 'LFD1', server: 'S1', reason: 'no heartbeat answer', timeoutS: 0.1 + 0.2 },
    '[12:00:03] LFD1: S1 failed (no heartbeat answer in 0.3 s)'],
  [{ event: 'lfd.membership', name: 'LFD1', server: 'S1', change: 'add' }, '[12:00:03] LFD1: add S1'],
  [{ event: 'lfd.membership', name: 'LFD1', server: 'S1', change: 'delete' }, '[12:00:03] LFD1: delete S1'],
  [{ event: 'lfd.launching', name: 'LFD1', server: 'S1', pid: 4250 }, '[12:00:03] LFD1 launching S1 (pid 4250)'],
  [{ event: 'lfd.exited', name: 'LFD1', server: 'S1', pid: 4250, how: 'signal SIGKILL' },
    '[12:00:03] LFD1: S1 exited (signal SIGKILL), pid 4250'],
  [{ event: 'members', name: 'GFD', members: [] }, '[12:00:03] GFD: 0 members'],
  [{ event: 'members', name: 'GFD', members: ['S3', 'S2'] }, '[12:00:03] GFD: 2 members: S2, S3'],
  [{ event: 'members', name: 'RM', members: [] }, '[12:00:03] RM: 0 members'],
  [{ event: 'members', name: 'RM', members: ['S1'] }, '[12:00:03] RM: 1 members: S1'],
  [{ event: 'rm.primary', name: 'RM', mode: 'passive', primary: 'S2', epoch: 5 }, '[12:00:03] RM: primary is S2'],
  [{ event: 'rm.primary', name: 'RM', mode: 'active', primary: 'S1', epoch: 5 }, '[12:00:03] RM: sequencer is S1'],
  [{ event: 'client.sent', name: 'C1', request: req }, '[12:00:03] Sent <C1, S1, 4, request>'],
  [{ event: 'client.received', name: 'C1', request: req, result: 'hello_world4' }, '[12:00:03] Received <C1, S1, 4, reply>'],
  [{ event: 'client.duplicate', name: 'C1', num: 4, server: 'S2' }, '[12:00:03] request_num 4: Discarded duplicate reply from S2.'],
  [{ event: 'client.allDead', name: 'C1' }, '[12:00:03] C1: all servers are dead'],
  [{ event: 'server.phase', name: 'S1', phase: 'recovering', reason: 'ready names peers' }, '[12:00:03] S1: recovering (ready names peers)'],
  [{ event: 'server.phase', name: 'S1', phase: 'booting', reason: '' }, '[12:00:03] S1: booting'],
  [{ event: 'server.recovered', name: 'S2', from: 'S1', applied: 2, state: 'hello_world9' },
    '[12:00:03] S2: recovered from S1 (its state after 2 requests), my_state_S2 = hello_world9'],
  [{ event: 'server.duplicate', name: 'S1', request: req }, '[12:00:03] S1: duplicate <C1, S1, 4, request> answered with the saved reply'],
  [{ event: 'link.refused', name: 'S1', peer: 'LFD1', reason: 'unknown type' }, '[12:00:03] S1: refused frame from LFD1: unknown type'],
  [{ event: 'link.error', name: 'LFD1', peer: 'S1', message: 'ECONNREFUSED' }, '[12:00:03] LFD1: link with S1: ECONNREFUSED'],
  [{ event: 'note', name: 'RM', level: 'warn', text: 'state lost' }, '[12:00:03] RM: state lost'],
];

function collect(level: LogLevel, format: 'text' | 'json' = 'text'): { lines: string[]; print: (e: LogEvent) => void } {
  const lines: string[] = [];
  const print = createPrinter({ format, level, role: 'server', write: (l) => lines.push(l), now: () => NOON });
  return { lines, print };
}

describe('printer', () => {
  describe('text lines (SPEC §5)', () => {
    for (const [event, line] of LINES) {
      it(line, () => {
        expect(formatText(event, NOON)).to.equal(line);
        const { lines, print } = collect('debug');
        print(event);
        expect(lines).to.deep.equal([line]);
      });
    }

    it('pads the clock to [HH:MM:SS], 24-hour', () => {
      const e: LogEvent = { event: 'client.allDead', name: 'C1' };
      expect(formatText(e, new Date(2024, 0, 2, 0, 5, 9))).to.equal('[00:05:09] C1: all servers are dead');
      expect(formatText(e, new Date(2024, 0, 2, 23, 59, 59, 999))).to.equal('[23:59:59] C1: all servers are dead');
    });

    it('follows the clock from one line to the next', () => {
      const lines: string[] = [];
      let t = new Date(2024, 0, 2, 9, 0, 0, 900);
      const print = createPrinter({ format: 'text', level: 'info', role: 'client', write: (l) => lines.push(l), now: () => t });
      print({ event: 'client.allDead', name: 'C1' });
      t = new Date(2024, 0, 2, 9, 0, 1, 100);
      print({ event: 'client.allDead', name: 'C1' });
      expect(lines.map((l) => l.slice(0, 10))).to.deep.equal(['[09:00:00]', '[09:00:01]']);
    });

    it('shows an IPv6 host in brackets', () => {
      expect(formatText({ event: 'server.started', name: 'S1', host: '::1', port: 7101, peerHost: '::1', peerPort: 7201, pid: 1 }, NOON))
        .to.equal('[12:00:03] S1 started on [::1]:7101 (peer [::1]:7201), pid 1');
    });

    it('does not reorder the caller\'s member list', () => {
      const members = ['S3', 'S1'];
      formatText({ event: 'members', name: 'RM', members }, NOON);
      expect(members).to.deep.equal(['S3', 'S1']);
    });
  });

  describe('JSON lines', () => {
    it('prints one object a line: time, role, name, event and the fields', () => {
      const { lines, print } = collect('info', 'json');
      print({ event: 'client.received', name: 'C1', request: req, result: 'hello_world4' });
      print({ event: 'rm.primary', name: 'RM', mode: 'passive', primary: 'S2', epoch: 5 });
      expect(lines).to.have.length(2);
      expect(lines.every((l) => !l.includes('\n'))).to.equal(true);
      expect(JSON.parse(lines[0] ?? '')).to.deep.equal({
        time: NOON.toISOString(), role: 'server', name: 'C1', event: 'client.received', request: req, result: 'hello_world4',
      });
      const primary = JSON.parse(lines[1] ?? '');
      expect(Object.keys(primary).slice(0, 4)).to.deep.equal(['time', 'role', 'name', 'event']);
      expect(primary).to.deep.equal({ time: NOON.toISOString(), role: 'server', name: 'RM', event: 'rm.primary', mode: 'passive', primary: 'S2', epoch: 5 });
    });

    it('filters by level like the text form', () => {
      const { lines, print } = collect('warn', 'json');
      print({ event: 'server.heartbeat', name: 'S1', from: 'LFD1', count: 1 });
      print({ event: 'members', name: 'GFD', members: [] });
      expect(lines.map((l) => JSON.parse(l).event)).to.deep.equal(['members']);
    });
  });

  describe('levels', () => {
    const perRequest: LogEvent[] = [
      { event: 'server.heartbeat', name: 'S1', from: 'LFD1', count: 5 },
      { event: 'server.before', name: 'S1', state: 'x', request: req },
      { event: 'server.after', name: 'S1', state: 'x', request: req },
      { event: 'server.duplicate', name: 'S1', request: req },
      { event: 'checkpoint.sent', name: 'S1', to: 'S2', number: 3, state: 'x' },
      { event: 'checkpoint.taken', name: 'S2', from: 'S1', number: 3, state: 'x' },
      { event: 'lfd.heartbeat', name: 'LFD1', server: 'S1', count: 5 },
      { event: 'client.sent', name: 'C1', request: req },
      { event: 'client.received', name: 'C1', request: req, result: 'x' },
      { event: 'client.duplicate', name: 'C1', num: 4, server: 'S2' },
    ];

    it('per-request and heartbeat lines are info, everything else warn (note: its own)', () => {
      for (const [e] of LINES) {
        const expected = e.event === 'note' ? e.level : perRequest.some((p) => p.event === e.event) ? 'info' : 'warn';
        expect(levelOf(e), e.event).to.equal(expected);
      }
    });

    it('--quiet (warn) hides per-request and heartbeat lines but not members or other lifecycle lines', () => {
      const { lines, print } = collect('warn');
      for (const e of perRequest) print(e);
      expect(lines).to.deep.equal([]);
      for (const [e] of LINES) print(e);
      expect(lines).to.include('[12:00:03] GFD: 0 members');
      expect(lines).to.include('[12:00:03] S1 is ready [passive] [primary] (epoch 4)');
      expect(lines).to.include('[12:00:03] C1: all servers are dead');
      expect(lines).not.to.include('[12:00:03] [5] S1 receives heartbeat from LFD1');
      expect(lines).to.have.length(LINES.filter(([e]) => levelOf(e) === 'warn').length);
    });

    it('prints at or above its level: error > warn > info > debug', () => {
      const notes = (['debug', 'info', 'warn', 'error'] as const).map((level): LogEvent => ({ event: 'note', name: 'S1', level, text: level }));
      const seen = (level: LogLevel): string[] => {
        const { lines, print } = collect(level);
        for (const n of notes) print(n);
        return lines.map((l) => l.slice('[12:00:03] S1: '.length));
      };
      expect(seen('debug')).to.deep.equal(['debug', 'info', 'warn', 'error']);
      expect(seen('info')).to.deep.equal(['info', 'warn', 'error']);
      expect(seen('warn')).to.deep.equal(['warn', 'error']);
      expect(seen('error')).to.deep.equal(['error']);
    });

    it('tells beforehand which lines it prints (wants), in both forms, as it then does', () => {
      for (const format of ['text', 'json'] as const) {
        const lines: string[] = [];
        const print = createPrinter({ format, level: 'warn', role: 'server', write: (l) => lines.push(l), now: () => NOON });
        for (const [e] of LINES) {
          const before = lines.length;
          print(e);
          expect(print.wants!(e), `${format} ${e.event}`).to.equal(lines.length > before);
        }
        expect(lines.length).to.be.greaterThan(0);
        expect(print.wants!({ event: 'server.heartbeat', name: 'S1', from: 'LFD1', count: 5 })).to.equal(false);
      }
    });

    it('does not even ask the time for a line it drops', () => {
      let asked = 0;
      const print = createPrinter({ format: 'text', level: 'warn', role: 'server', write: () => {}, now: () => { asked++; return NOON; } });
      print({ event: 'server.heartbeat', name: 'S1', from: 'LFD1', count: 5 });
      expect(asked).to.equal(0);
    });
  });

  it('writes to standard output by default, one line each', () => {
    const original = process.stdout.write;
    const written: string[] = [];
    process.stdout.write = ((chunk: string) => { written.push(chunk); return true; }) as typeof process.stdout.write;
    try {
      createPrinter({ format: 'text', level: 'info', role: 'client', now: () => NOON })({ event: 'client.allDead', name: 'C1' });
    } finally {
      process.stdout.write = original;
    }
    expect(written).to.deep.equal(['[12:00:03] C1: all servers are dead\n']);
  });
});

describe('refused-frame lines, limited', () => {
  it(`prints at most ${REFUSALS_PER_SECOND} a second and then says how many it did not`, () => {
    let t = new Date(2024, 0, 2, 12, 0, 3, 0).getTime();
    const lines: string[] = [];
    const print = createPrinter({ format: 'text', level: 'info', role: 'server', write: (l) => lines.push(l), now: () => new Date(t) });
    const refused: LogEvent = { event: 'link.refused', name: 'S1', peer: 'port L7', reason: "frame 'ready' not allowed on this link" };
    for (let i = 0; i < 500; i++) print(refused);
    print({ event: 'note', name: 'S1', level: 'info', text: 'still here' });
    expect(lines).to.have.length(REFUSALS_PER_SECOND + 1);
    expect(lines.at(-1)).to.equal('[12:00:03] S1: still here');
    t += 1000;
    print(refused);
    expect(lines.slice(-2)).to.deep.equal([
      `[12:00:04] S1: ${500 - REFUSALS_PER_SECOND} more refused frames not shown`,
      "[12:00:04] S1: refused frame from port L7: frame 'ready' not allowed on this link",
    ]);
  });
});
