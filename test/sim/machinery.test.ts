/**
 * The simulator's own parts: the clock (timer order, microtasks, pause and resume of one process)
 * and the network on top of the in-memory one (a paused process gets nothing until it resumes, a
 * cut-off host nothing until it heals, and then everything, in order).
 */
import { expect } from 'chai';
import type { Conn } from '../../src/transport/connection.js';
import { SimNet } from '../../src/sim/net.js';
import { mulberry32 } from '../../src/random.js';
import { ProcessClock, Scheduler } from '../../src/sim/scheduler.js';

describe('simulator machinery', () => {
  let sched: Scheduler;
  beforeEach(() => {
    sched = new Scheduler(mulberry32(7));
    sched.install();
  });
  afterEach(() => sched.uninstall());

  describe('Scheduler', () => {
    it('fires timers by due time, then creation order, and drains microtasks after each', () => {
      const seen: string[] = [];
      setTimeout(() => seen.push('b@20'), 20);
      setTimeout(() => {
        seen.push('a@10');
        queueMicrotask(() => seen.push('micro after a'));
      }, 10);
      setTimeout(() => seen.push('c@20'), 20);
      const dropped = setTimeout(() => seen.push('never'), 15);
      clearTimeout(dropped);
      sched.runUntil(100);
      expect(seen).to.deep.equal(['a@10', 'micro after a', 'b@20', 'c@20']);
      expect(Date.now() - new Date(Date.now()).getTime()).to.equal(0);
      expect(sched.now).to.equal(100);
    });

    it('repeats intervals, moves Date.now, and puts the real globals back on uninstall', () => {
      const start = Date.now();
      const at: number[] = [];
      const every = setInterval(() => at.push(Date.now() - start), 30);
      sched.runUntil(100);
      clearInterval(every);
      sched.runUntil(200);
      expect(at).to.deep.equal([30, 60, 90]);
      sched.uninstall();
      expect(globalThis.setTimeout).to.not.equal(sched.setTimeout);
      sched.install();
    });

    it('a paused process clock keeps its due timers and runs them, in order, when resumed', () => {
      const clock = new ProcessClock(sched);
      const seen: string[] = [];
      clock.setTimeout(() => seen.push('lease'), 50);
      clock.setTimeout(() => seen.push('checkpoint'), 20);
      const cancelled = clock.setTimeout(() => seen.push('cancelled'), 30);
      clock.pause();
      sched.runUntil(40);
      clock.clearTimeout(cancelled);
      sched.runUntil(100);
      expect(seen).to.deep.equal([]);
      clock.resume();
      expect(seen).to.deep.equal(['checkpoint', 'lease']);
      clock.setTimeout(() => seen.push('after kill'), 10);
      clock.kill();
      sched.runUntil(200);
      expect(seen).to.deep.equal(['checkpoint', 'lease']);
    });
  });

  describe('SimNet', () => {
    /** A listener on host A and a connection to it from host B; what each end received. */
    function pair(net: SimNet) {
      const a = net.process('A', '10.0.0.1');
      const b = net.process('B', '10.0.0.2');
      const got = { a: [] as string[], b: [] as string[] };
      const text = (c: Uint8Array | string) => (typeof c === 'string' ? c : new TextDecoder().decode(c));
      let server: Conn | null = null;
      let client: Conn | null = null;
      a.driver.listen('10.0.0.1', 7000, (conn) => {
        server = conn;
        conn.onData((c) => got.a.push(`${text(c)}@${sched.now}`));
        conn.onClose(() => got.a.push(`closed@${sched.now}`));
      }, () => {});
      sched.runUntil(1);
      b.driver.connect('10.0.0.1', 7000, (r) => {
        if (!r.ok) throw new Error(r.reason);
        client = r.conn;
        r.conn.onData((c) => got.b.push(`${text(c)}@${sched.now}`));
      });
      sched.runUntil(20);
      return { a, b, got, server: () => server!, client: () => client! };
    }

    it('a paused process gets what was sent to it only when it resumes, in order', () => {
      const net = new SimNet(() => 0, () => sched.now, (fn) => sched.run(fn));
      const p = pair(net);
      p.a.pause();
      p.client().write('one');
      sched.runUntil(30);
      p.client().write('two');
      sched.runUntil(100);
      expect(p.got.a).to.deep.equal([]);
      p.a.resume();
      expect(p.got.a).to.deep.equal(['one@100', 'two@100']);
    });

    it('a cut-off host gets nothing across the cut until it heals, then everything; connections wait too', () => {
      const net = new SimNet(() => 0, () => sched.now, (fn) => sched.run(fn));
      const p = pair(net);
      net.isolate('10.0.0.1');
      p.client().write('held');
      p.server().write('also held');
      let connected = -1;
      p.b.driver.connect('10.0.0.1', 7000, (r) => {
        if (r.ok) connected = sched.now;
      });
      sched.runUntil(500);
      expect(p.got.a).to.deep.equal([]);
      expect(p.got.b).to.deep.equal([]);
      expect(connected).to.equal(-1);
      net.heal('10.0.0.1');
      sched.runUntil(600);
      expect(p.got.a).to.deep.equal(['held@500']);
      expect(p.got.b).to.deep.equal(['also held@500']);
      expect(connected).to.be.within(500, 510);
    });

    it('drop resets one connection: both ends see it closed', () => {
      const net = new SimNet(() => 0, () => sched.now, (fn) => sched.run(fn));
      const p = pair(net);
      expect(net.drop(() => 0)).to.equal('B -> A');
      sched.runUntil(100);
      expect(p.got.a.at(-1)).to.match(/^closed@/);
      expect(p.client().closed).to.equal(true);
    });
  });
});
