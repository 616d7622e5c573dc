/**
 * Simulated time for one cluster: a deterministic timer queue that stands in for the global
 * `setTimeout`, `setInterval`, `queueMicrotask`, `Date` (`Date.now()`, `new Date()`), `Math.random`
 * and `process.pid` while a run is going.
 *
 * Everything the roles do is driven from here: xstate's default clock and the transport both look
 * `setTimeout` up on `globalThis` at call time, and the in-memory network reads `Date.now()`. Timers
 * fire in (due time, creation order); after each one the microtask queue is drained, so code that
 * defers with `queueMicrotask` runs before the next timer, as it would in Node. Nothing is async:
 * a run is one synchronous loop, which is both fast and exactly reproducible.
 *
 * A process can be paused (a hung server, SIGSTOP): `ProcessClock` is the xstate clock of one
 * process; while paused its due timers are kept, and on resume they run first, in order (Node runs
 * expired timers before I/O when a process is thawed), then what the network held for it.
 */
import { mulberry32 } from '../random.js';

/** A pending callback; also what `setTimeout` returns (with the methods of Node's Timeout). */
export class Timer {
  cancelled = false;
  constructor(
    public at: number,
    public seq: number,
    readonly fn: () => void,
    /** Repeat period for `setInterval`. */
    readonly every: number | null,
  ) {}
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  hasRef(): boolean {
    return true;
  }
  [Symbol.toPrimitive](): number {
    return this.seq;
  }
}

const EPOCH_MS = Date.UTC(2026, 0, 1, 12, 0, 0);

export class Scheduler {
  /** Simulated milliseconds since the run started. */
  now = 0;
  /** Timers fired so far (a cost measure). */
  fired = 0;
  private seq = 0;
  private readonly heap: Timer[] = [];
  private jobs: (() => void)[] = [];
  private jobHead = 0;
  private saved: Record<string, unknown> | null = null;
  /** A callback threw: the run stops and reports it (an actor crash is a bug). */
  error: unknown = null;
  /** Set to stop `runUntil` at once (a violation was found). */
  halted = false;
  /**
   * The simulated process whose code runs now (`process.pid`), or null: the simulator's own. Every
   * replica of a real cluster runs in a process of its own, so an app that reads its pid must see
   * a different one in each.
   */
  pid: number | null = null;
  /** Added to the wall clock: the app audit re-runs a request "later" (`app-audit.ts`). */
  clockShiftMs = 0;

  constructor(private readonly random: () => number) {}

  /** Wall-clock milliseconds as the roles see them (`Date.now()`). */
  get wall(): number {
    return EPOCH_MS + this.now + this.clockShiftMs;
  }

  /** Run `fn` as simulated process `pid`, its clock shifted by `shiftMs`. */
  as<T>(pid: number, shiftMs: number, fn: () => T): T {
    const before = { pid: this.pid, shift: this.clockShiftMs };
    this.pid = pid;
    this.clockShiftMs = shiftMs;
    try {
      return fn();
    } finally {
      this.pid = before.pid;
      this.clockShiftMs = before.shift;
    }
  }

  setTimeout = (fn: (...args: any[]) => void, ms?: number, ...args: any[]): Timer => {
    const delay = Number(ms);
    return this.push(args.length ? () => fn(...args) : fn, delay >= 1 ? delay : 1, null);
  };

  setInterval = (fn: (...args: any[]) => void, ms?: number, ...args: any[]): Timer => {
    const delay = Number(ms);
    const period = delay >= 1 ? delay : 1;
    return this.push(args.length ? () => fn(...args) : fn, period, period);
  };

  clearTimeout = (timer: unknown): void => {
    if (timer instanceof Timer) timer.cancelled = true;
  };

  queueMicrotask = (fn: () => void): void => {
    this.jobs.push(fn);
  };

  private push(fn: () => void, delay: number, every: number | null): Timer {
    const timer = new Timer(this.now + delay, this.seq++, fn, every);
    this.heapPush(timer);
    return timer;
  }

  /** Run the microtasks queued so far (and those they queue). */
  drain(): void {
    while (this.jobHead < this.jobs.length) {
      const job = this.jobs[this.jobHead++]!;
      this.call(job);
    }
    this.jobs = [];
    this.jobHead = 0;
  }

  /** Run everything due up to `until` (inclusive), then set the clock to `until`. */
  runUntil(until: number): void {
    this.drain();
    const heap = this.heap;
    while (heap.length > 0 && this.error === null && !this.halted) {
      const top = heap[0]!;
      if (top.cancelled) {
        this.heapPop();
        continue;
      }
      if (top.at > until) break;
      this.heapPop();
      this.now = top.at;
      if (top.every !== null) {
        top.at += top.every;
        top.seq = this.seq++;
        this.heapPush(top);
      }
      this.fired += 1;
      this.call(top.fn);
      this.drain();
    }
    if (this.now < until && !this.halted) this.now = until;
  }

  /** Run `fn` as the simulation would run a callback: errors stop the run, microtasks drain after. */
  run(fn: () => void): void {
    this.call(fn);
    this.drain();
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (this.error === null) this.error = err;
    }
  }

  /** Put the simulated globals in place (one scheduler per thread at a time). */
  install(): void {
    if (this.saved) return;
    const g = globalThis as any;
    this.saved = {
      setTimeout: g.setTimeout,
      clearTimeout: g.clearTimeout,
      setInterval: g.setInterval,
      clearInterval: g.clearInterval,
      queueMicrotask: g.queueMicrotask,
      Date: g.Date,
      now: Date.now,
      random: Math.random,
      pid: Object.getOwnPropertyDescriptor(process, 'pid'),
    };
    g.setTimeout = this.setTimeout;
    g.clearTimeout = this.clearTimeout;
    g.setInterval = this.setInterval;
    g.clearInterval = this.clearTimeout;
    g.queueMicrotask = this.queueMicrotask;
    const wall = () => this.wall;
    const RealDate = Date;
    Date.now = wall;
    // `new Date()` reads the clock too; with arguments it is the real Date.
    g.Date = class SimDate extends RealDate {
      constructor(...args: unknown[]) {
        if (args.length === 0) super(wall());
        else super(...(args as [string]));
      }
      static override now = wall;
    };
    Math.random = this.random;
    const ownPid = process.pid;
    Object.defineProperty(process, 'pid', { get: () => this.pid ?? ownPid, configurable: true, enumerable: true });
  }

  uninstall(): void {
    const s = this.saved;
    if (!s) return;
    const g = globalThis as any;
    g.setTimeout = s.setTimeout;
    g.clearTimeout = s.clearTimeout;
    g.setInterval = s.setInterval;
    g.clearInterval = s.clearInterval;
    g.queueMicrotask = s.queueMicrotask;
    g.Date = s.Date;
    Date.now = s.now as () => number;
    Math.random = s.random as () => number;
    Object.defineProperty(process, 'pid', s.pid as PropertyDescriptor);
    this.saved = null;
  }

  // A binary heap ordered by (at, seq).
  private less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private heapPush(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private heapPop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

/**
 * The xstate clock of one process (`createActor(machine, { clock })`, shared by its whole actor
 * system). While the process is paused its due timers wait; `resume` runs them in due order.
 */
export class ProcessClock {
  paused = false;
  private deferred: { timer: Timer; fn: () => void }[] = [];
  private dead = false;

  constructor(private readonly sched: Scheduler) {}

  setTimeout = (fn: (...args: any[]) => void, ms: number): Timer => {
    const timer: Timer = this.sched.setTimeout(() => {
      if (this.dead) return;
      if (this.paused) this.deferred.push({ timer, fn });
      else fn();
    }, ms);
    return timer;
  };

  clearTimeout = (timer: unknown): void => {
    this.sched.clearTimeout(timer);
  };

  pause(): void {
    this.paused = true;
  }

  /** Thaw: the timers that came due meanwhile fire now, oldest first. */
  resume(): void {
    this.paused = false;
    const due = this.deferred;
    this.deferred = [];
    for (const { timer, fn } of due) {
      if (!timer.cancelled && !this.dead) this.sched.run(fn);
    }
  }

  /** The process is gone: nothing of it fires any more. */
  kill(): void {
    this.dead = true;
    this.deferred = [];
  }
}

/**
 * Independent streams from one seed (schedule, network, stray `Math.random`, the kv clients'
 * requests, how an aimed fault is carried out, the disks' timing and torn writes). Newer streams
 * are drawn after older ones, so the older ones are what they were before the newer existed.
 */
export function streams(seed: number): {
  schedule: () => number;
  network: () => number;
  stray: () => number;
  workload: () => number;
  aim: () => number;
  disk: () => number;
} {
  const root = mulberry32(seed ^ 0x5eed);
  const next = () => Math.floor(root() * 4294967296);
  return {
    schedule: mulberry32(next()),
    network: mulberry32(next()),
    stray: mulberry32(next()),
    workload: mulberry32(next()),
    aim: mulberry32(next()),
    disk: mulberry32(next()),
  };
}
