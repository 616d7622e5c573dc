/**
 * The total order of active mode (src/core/ordering.ts), checked exhaustively over its pure
 * functions: replicas and clients on a tiny network whose delivery order a seed picks, the
 * sequencer killed after every possible number of deliveries (and, with four replicas, the next
 * sequencer too), the RM's rule for the successor (the serving replica that sorts first, a new
 * epoch). After every run: the survivors hold the same log and client table, every request a client
 * saw answered is at the position its reply named, none twice, and every client got all its answers.
 * With `batches`, a delivery may hand a replica a run of one connection's requests, forwards or
 * orders at once, as the server's listeners do (src/transport/inbox.ts).
 */
import { expect } from 'chai';
import { adoptEpoch, takeCatchUpSnapshot, takeCommit, takeOrderAck, takeOrders, takeRequests } from '../../src/core/ordering.js';
import { initialData, restore, type ReplicaData, type Step } from '../../src/core/replica.js';
import type { Effect } from '../../src/core/effects.js';
import { logApp } from '../../src/app/log.js';
import { mulberry32 } from '../../src/random.js';
import type { ClusterSettings } from '../../src/config/types.js';
import type { Frame } from '../../src/protocol/frames.js';

const settings: ClusterSettings = {
  mode: 'active',
  heartbeatFreqMs: 1000,
  heartbeatTimeoutMs: 3000,
  checkpointFreqMs: 5000,
  durability: 'sync',
  app: 'log',
  maxFrame: 1 << 20,
  maxStateFrame: 1 << 26,
  maxConnections: 1024,
  maxClients: 10000,
  tls: null,
  secret: null,
};

const CLIENTS = ['C1', 'C2'];
const REQUESTS = 3;
const body = (client: string, num: number) => `${client.toLowerCase()}-${num}`;

interface Message {
  to: string;
  frame: Frame;
}


/** One run: returns how many deliveries it took (to choose kill points) and what it found wrong. */
class Model {
  readonly replicas = new Map<string, ReplicaData>();
  /** FIFO queues by `from>to`: one connection each way, as TCP. */
  readonly queues = new Map<string, Message[]>();
  readonly answered: { client: string; num: number; result: string }[] = [];
  /** Each client's current number (all answered below it). */
  readonly current = new Map<string, number>();
  deliveries = 0;
  /** Deliveries of more than one frame at once. */
  runsOfMany = 0;
  epoch = 1;

  constructor(
    readonly names: string[],
    private readonly pick: () => number,
    cluster: ClusterSettings = settings,
    private readonly batches = false,
  ) {
    for (const n of names) this.replicas.set(n, initialData(n, 1, logApp, cluster));
    this.assign();
    for (const c of CLIENTS) this.send(c, 1);
  }

  /** The RM's `ready` frames: the first serving name sequences, in the current epoch. */
  assign(): void {
    const live = [...this.replicas.keys()].sort();
    for (const n of live) {
      const d = this.replicas.get(n)!;
      const ready: ReplicaData = { ...d, mode: 'active', role: n === live[0] ? 'primary' : 'backup', epoch: this.epoch, peers: live.filter((p) => p !== n) };
      this.step(n, adoptEpoch(ready));
    }
  }

  send(client: string, num: number): void {
    this.current.set(client, num);
    if (num > REQUESTS) return;
    for (const n of this.replicas.keys()) this.enqueue(client, n, { kind: 'request', client, server: n, num, body: body(client, num) });
  }

  enqueue(from: string, to: string, frame: Frame): void {
    const key = `${from}>${to}`;
    this.queues.set(key, [...(this.queues.get(key) ?? []), { to, frame }]);
  }

  /** Carries out a replica's effects: peer frames onto the queues, replies to the clients. */
  step(name: string, s: Step): void {
    this.replicas.set(name, s.data);
    for (const e of s.effects as Effect[]) {
      if (e.kind === 'peer') this.enqueue(name, e.to, e.frame);
      else if (e.kind === 'reply' && e.frame.kind === 'reply') this.reply(e.frame.client, e.frame.num, e.frame.result);
    }
  }

  reply(client: string, num: number, result: string): void {
    if (num !== this.current.get(client)) return; // a later copy: discarded, as the client does
    this.answered.push({ client, num, result });
    this.send(client, num + 1);
  }

  kill(name: string, dropInFlight: boolean): void {
    this.replicas.delete(name);
    for (const key of [...this.queues.keys()]) {
      const [from, to] = key.split('>');
      if (to === name || (dropInFlight && from === name)) this.queues.delete(key);
    }
    this.epoch += 1;
    this.assign();
  }

  /**
   * Delivers one message, or with `batches` a run of one kind and epoch (which connection and how
   * many: the seed's picks); false when nothing is in flight.
   */
  deliverOne(): boolean {
    const ready = [...this.queues.entries()].filter(([, q]) => q.length > 0);
    if (ready.length === 0) return false;
    const [key, q] = ready[Math.floor(this.pick() * ready.length)]!;
    const head = q[0]!.frame;
    const most = this.batches && ['request', 'forward', 'order'].includes(head.kind) ? 1 + Math.floor(this.pick() * q.length) : 1;
    const epochOf = (f: Frame) => ('epoch' in f ? f.epoch : null);
    let n = 1;
    while (n < most && q[n]!.frame.kind === head.kind && epochOf(q[n]!.frame) === epochOf(head)) n++;
    const run = q.slice(0, n);
    this.queues.set(key, q.slice(n));
    this.deliveries += n;
    if (n > 1) this.runsOfMany += 1;
    const to = run[0]!.to;
    const d = this.replicas.get(to);
    if (!d) return true;
    const frames = run.map((m) => m.frame);
    const origin = { via: 'clients', link: key.split('>')[0]!, peer: null };
    if ('epoch' in head && head.kind !== 'ready' && head.epoch < d.epoch) return true; // SPEC §6 Epochs
    const request = (f: Frame, o: typeof origin | null) =>
      f.kind === 'request' || f.kind === 'forward' ? [{ client: f.client, num: f.num, body: f.body, origin: o, update: null }] : [];
    switch (head.kind) {
      case 'request':
        this.step(to, takeRequests(d, frames.flatMap((f) => request(f, origin))));
        break;
      case 'forward':
        this.step(to, takeRequests(d, frames.flatMap((f) => request(f, null))));
        break;
      case 'order':
        this.step(to, takeOrders(d, frames.filter((f) => f.kind === 'order'), true));
        break;
      case 'commit':
        this.step(to, takeCommit(d, head, true));
        break;
      case 'ack':
        this.step(to, takeOrderAck(d, head.from, head.seq));
        break;
      case 'recovery':
        if (head.applied > d.applied) this.step(to, takeCatchUpSnapshot(d, restore(d, head.state, head.clients, head.applied)));
        break;
      default:
        break;
    }
    return true;
  }

  /** What is wrong once nothing is in flight. */
  problems(): string[] {
    const out: string[] = [];
    const views = [...this.replicas.values()].map((d) => ({ name: d.name, log: d.state as string[], clients: JSON.stringify(d.clients.entries()) }));
    for (const v of views.slice(1)) {
      if (v.log.join() !== views[0]!.log.join()) out.push(`${views[0]!.name} [${views[0]!.log}] and ${v.name} [${v.log}] differ`);
      if (v.clients !== views[0]!.clients) out.push(`client tables of ${views[0]!.name} and ${v.name} differ`);
    }
    for (const v of views) {
      if (new Set(v.log).size !== v.log.length) out.push(`${v.name} holds a request twice: [${v.log}]`);
      for (const a of this.answered) {
        if (v.log[Number(a.result) - 1] !== body(a.client, a.num)) out.push(`${a.client}:${a.num} answered at ${a.result}, ${v.name} has [${v.log}]`);
      }
    }
    for (const c of CLIENTS) if (this.current.get(c) !== REQUESTS + 1) out.push(`${c} stuck at request ${this.current.get(c)}`);
    return out;
  }
}

function run(
  names: string[],
  seed: number,
  kills: { after: number; dropInFlight: boolean }[],
  cluster = settings,
  batches = false,
): { deliveries: number; runsOfMany: number; problems: string[] } {
  const m = new Model(names, mulberry32(seed), cluster, batches);
  const pending = [...kills];
  const killNext = () => m.kill([...m.replicas.keys()].sort()[0]!, pending.shift()!.dropInFlight);
  for (let guard = 0; guard < 100_000; guard++) {
    while (pending.length > 0 && m.deliveries >= pending[0]!.after) killNext();
    if (m.deliverOne()) continue;
    // Nothing in flight: a kill point beyond the end is a kill of the settled cluster.
    if (pending.length === 0) return { deliveries: m.deliveries, runsOfMany: m.runsOfMany, problems: m.problems() };
    killNext();
  }
  return { deliveries: m.deliveries, runsOfMany: m.runsOfMany, problems: ['did not settle'] };
}

describe('ordering (active mode): exhaustive sequencer kills over the pure functions', () => {
  it('without faults, three replicas under two concurrent clients apply one order and answer every request at its position', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const r = run(['S1', 'S2', 'S3'], seed, []);
      expect(r.problems, `seed ${seed}`).to.deep.equal([]);
      expect(r.deliveries).to.be.greaterThan(0);
    }
  });

  it('the sequencer killed after every possible delivery (its frames in flight delivered or lost): the survivors agree and keep every answer', () => {
    let runs = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const total = run(['S1', 'S2', 'S3'], seed, []).deliveries;
      for (let after = 0; after <= total; after++) {
        for (const dropInFlight of [false, true]) {
          const r = run(['S1', 'S2', 'S3'], seed, [{ after, dropInFlight }]);
          expect(r.problems, `seed ${seed}, S1 killed after ${after} deliveries${dropInFlight ? ', its frames lost' : ''}`).to.deep.equal([]);
          runs += 1;
        }
      }
    }
    expect(runs).to.be.greaterThan(500);
  });

  it('runs of requests, forwards and orders taken in one step, the sequencer killed after every possible delivery: the survivors agree and keep every answer', () => {
    let runs = 0;
    let runsOfMany = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const whole = run(['S1', 'S2', 'S3'], seed, [], settings, true);
      const total = whole.deliveries;
      runsOfMany += whole.runsOfMany;
      for (let after = 0; after <= total; after++) {
        for (const dropInFlight of [false, true]) {
          const r = run(['S1', 'S2', 'S3'], seed, [{ after, dropInFlight }], settings, true);
          expect(r.problems, `seed ${seed}, S1 killed after ${after} deliveries${dropInFlight ? ', its frames lost' : ''}`).to.deep.equal([]);
          runs += 1;
        }
      }
    }
    expect(runs).to.be.greaterThan(500);
    expect(runsOfMany).to.be.greaterThan(12);
  });

  it('with a client table of one client (each request forgets the other client), the sequencer killed at every point: the survivors still agree, table order included, and no client is stuck', () => {
    const tiny = { ...settings, maxClients: 1 };
    let runs = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const total = run(['S1', 'S2', 'S3'], seed, [], tiny).deliveries;
      for (let after = 0; after <= total; after++) {
        for (const dropInFlight of [false, true]) {
          // A resend of a forgotten client's request may be applied again (docs/protocol.md, "The client
          // table"), on every replica alike; agreement and progress must hold regardless.
          const problems = run(['S1', 'S2', 'S3'], seed, [{ after, dropInFlight }], tiny).problems.filter((p) => /differ|stuck|settle/.test(p));
          expect(problems, `seed ${seed}, S1 killed after ${after} deliveries${dropInFlight ? ', its frames lost' : ''}`).to.deep.equal([]);
          runs += 1;
        }
      }
    }
    expect(runs).to.be.greaterThan(200);
  });

  it('four replicas: the sequencer and then its successor killed at every pair of points', () => {
    let runs = 0;
    for (let seed = 1; seed <= 2; seed++) {
      const total = run(['S1', 'S2', 'S3', 'S4'], seed, []).deliveries;
      for (let first = 0; first <= total; first += 3) {
        for (let gap = 0; gap <= 40; gap += 3) {
          const r = run(['S1', 'S2', 'S3', 'S4'], seed, [
            { after: first, dropInFlight: (first + gap) % 2 === 0 },
            { after: first + gap, dropInFlight: gap % 2 === 0 },
          ]);
          expect(r.problems, `seed ${seed}, S1 killed after ${first}, S2 after ${first + gap}`).to.deep.equal([]);
          runs += 1;
        }
      }
    }
    expect(runs).to.be.greaterThan(100);
  });

  it('a replica that lags beyond what the sequencer keeps is sent a snapshot at the sequencer\'s sequence point', () => {
    // S1 sequencer alone applies 2500 requests, then S2 joins with nothing: its first ack (0) is
    // older than the retained entries (1000 to 2000 of them), so it gets a recovery frame.
    let s1: ReplicaData = { ...initialData('S1', 1, logApp, settings), mode: 'active', role: 'primary', epoch: 1, peers: [] };
    s1 = adoptEpoch(s1).data;
    for (let n = 1; n <= 2500; n++) s1 = takeRequests(s1, [{ client: 'C1', num: n, body: body('C1', n), origin: null, update: null }]).data;
    expect(s1.applied).to.equal(2500);
    expect(s1.order.past?.length).to.be.within(1000, 2000);
    s1 = adoptEpoch({ ...s1, peers: ['S2'] }).data;
    const step = takeOrderAck(s1, 'S2', 0);
    const frames = step.effects.filter((e): e is Extract<Effect, { kind: 'peer' }> => e.kind === 'peer').map((e) => e.frame);
    expect(frames[0]).to.include({ kind: 'recovery', to: 'S2', applied: 2500 });
    // A lag within the retained past is sent as orders instead.
    const near = takeOrderAck(s1, 'S2', 2400).effects.filter((e): e is Extract<Effect, { kind: 'peer' }> => e.kind === 'peer').map((e) => e.frame);
    expect(near.filter((f) => f.kind === 'order').map((f) => (f as { position: number }).position)).to.deep.equal(
      Array.from({ length: 100 }, (_, i) => 2401 + i),
    );
    // Position P is C1's request P here: the retained entries come back in their order.
    expect(near.filter((f) => f.kind === 'order').every((f) => (f as { num: number; position: number }).num === (f as { position: number }).position)).to.equal(true);
    expect(near.some((f) => f.kind === 'recovery')).to.equal(false);
  });
});
