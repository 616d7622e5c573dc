/**
 * The bench's pure pieces, so that `npm run bench` (not part of `npm test`) cannot rot unseen:
 * percentile math, the echo baseline driven by the closed-loop clients for a moment, and the
 * table / JSON / SVG writers on made-up results.
 */
import { expect } from 'chai';
import type net from 'node:net';
import { portOf, startEchoServer } from './echo.js';
import { bodyOf, closedLoop, socketChannel } from './load.js';
import { failoverSvg, keepSamples, latencySvg, table, targets, toJson, type BenchResults } from './report.js';
import { median, percentile, summarize } from './stats.js';
import type { CrashTrial } from './failover.js';
import { cpuMs } from './procs.js';

describe('bench: CPU time of a process', () => {
  it('reads user + system time from /proc and grows with work; a gone process gives NaN', () => {
    // Spin for 100 ms of this process's own CPU time (not wall time: the machine may be busy).
    const before = cpuMs(process.pid);
    const own = () => process.cpuUsage().user / 1000;
    const start = own();
    let spins = 0;
    while (own() - start < 100) spins++;
    expect(spins).to.be.greaterThan(0);
    expect(cpuMs(process.pid) - before).to.be.within(80, 1000);
    expect(cpuMs(2 ** 22 + 1)).to.be.NaN;
  });
});

describe('bench: statistics', () => {
  it('takes nearest-rank percentiles of sorted samples', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 0.5)).to.equal(50);
    expect(percentile(xs, 0.99)).to.equal(99);
    expect(percentile(xs, 1)).to.equal(100);
    expect(percentile([7], 0.999)).to.equal(7);
    expect(percentile([], 0.5)).to.be.NaN;
    expect(() => percentile(xs, 0)).to.throw(/q must be/);
  });

  it('summarizes unsorted samples', () => {
    const s = summarize([5, 1, 4, 2, 3]);
    expect(s).to.include({ n: 5, min: 1, max: 5, p50: 3, mean: 3 });
    expect(summarize([]).n).to.equal(0);
    expect(median([3, 1, 2])).to.equal(2);
    expect(median([4, 1, 2, 3])).to.equal(2.5);
  });

  it('keeps every sample up to the cap, an even subset beyond it', () => {
    expect(keepSamples([1.23456, 2], 10)).to.deep.equal([1.235, 2]);
    const kept = keepSamples(Array.from({ length: 100 }, (_, i) => i), 10);
    expect(kept).to.have.length(10);
    expect(kept[1]).to.equal(10);
  });
});

describe('bench: echo baseline and closed-loop clients', () => {
  let server: net.Server | null = null;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = null;
  });

  it('drives an echo server with one request outstanding per client', async () => {
    server = await startEchoServer();
    const port = portOf(server);
    const channels = await Promise.all([1, 2].map((i) => socketChannel([{ server: 'E', port }], `T${i}`, 32)));
    const r = await closedLoop(channels, 50, 300);
    for (const c of channels) c.close();
    expect(r.errors).to.deep.equal([]);
    expect(r.completed).to.be.greaterThan(5);
    expect(r.latencies).to.have.length(r.completed);
    expect(r.throughput).to.be.closeTo((r.completed / r.durationMs) * 1000, 1e-6);
  });

  it('makes bodies of the stated size that end in the request number', () => {
    expect(bodyOf(8, 12)).to.equal('xxxxxx12');
    expect(bodyOf(2, 123)).to.equal('123');
  });
});

function crash(trial: number): CrashTrial {
  return {
    trial,
    victim: 'S1',
    newPrimary: 'S2',
    lfdFailedMs: 10,
    rmDeleteMs: 20 + trial,
    rmPrimaryMs: 21,
    firstReplyMs: 40,
    allRepliedMs: 60,
    clientFirstReplyMs: [40, 60],
    maxClientGapMs: 70,
    launchingMs: 50,
    relaunchedReadyMs: 600,
    rmShowsReadyMs: 610,
  };
}

const results: BenchResults = {
  when: '2026-11-26T07:10:00.000Z',
  quick: true,
  durationS: 1,
  machine: { cores: 2, cpu: 'test cpu', node: 'v20', platform: 'linux', loadStart: 0.5, loadEnd: 0.6 },
  options: { bodySize: 32, warmupMs: 100, durationMs: 1000 },
  throughput: {
    settings: {},
    echo: [{ before: 'passive sync 32', clients: 32, completed: 3, durationMs: 1000, throughput: 1000, latency: summarize([1, 2, 3]), cpu: { echo: 20, load: 30 }, samples: [1, 2, 3] }],
    points: [
      {
        config: 'passive sync',
        clients: 32,
        completed: 2,
        durationMs: 1000,
        throughput: 500,
        latency: summarize([2, 4]),
        echoThroughput: 1000,
        ratio: 0.5,
        pairedRatio: 0.5,
        errors: [],
        epochBefore: 1,
        epochAfter: 1,
        cpu: { 'S1 (primary)': 100, 'S2 (backup)': 40, RM: 1, load: 59 },
        samples: [2, 4],
      },
    ],
    memory: {
      idle: { RM: 50, 'S1 (primary)': 90 },
      load: { RM: 51, 'S1 (primary)': 95 },
      manyClients: { connections: 1000, answered: 1000, errors: [], primaryIdleMb: 90, primaryMb: 100 },
    },
    errors: [],
  },
  failover: {
    settings: { heartbeat_freq: 1, heartbeat_timeout: 3, checkpoint_freq: 5, durability: 'sync' },
    loadClients: 2,
    crash: [crash(1), crash(2)],
    hang: [{ trial: 1, victim: 'S2', lfdFailedMs: 3000, rmDeleteMs: 3010, relaunchedReadyMs: 3600 }],
    bigSettings: {},
    big: [],
    errors: [],
  },
};

describe('bench: report writers', () => {
  it('prints one table with the machine, the figures and the targets', () => {
    const text = table(results);
    expect(text).to.match(/2 cores \(test cpu\)/);
    expect(text).to.match(/passive sync\s+32\s+500\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+0\.50\s+200$/m);
    expect(text).to.match(/echo \(raw TCP\) ×1\s+32\s+1000\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+1\.00\s+50$/m);
    // Where the CPU goes: every process above 2 % of the total, by name.
    expect(text).to.match(/^passive sync\s+S1 \(primary\) 100, S2 \(backup\) 40, load 59$/m);
    expect(text).to.match(/^echo \(raw TCP\)\s+echo 20, load 30$/m);
    expect(text).to.match(/SIGSTOP backup → RM delete\s+1\s+3010/);
    expect(text).to.match(/met\s+passive sync throughput at 32 clients \/ echo: 50 %/);
    expect(text).to.match(/MISSED\s+idle resident memory, largest role: 90 MB/);
  });

  it('judges the targets from the figures', () => {
    const byWhat = new Map(targets(results).map((t) => [`${t.what} ${t.goal}`, t.met]));
    expect(byWhat.get('crash detection p99 ≤ 100 ms')).to.equal(true);
    expect(byWhat.get('hang detection max ≤ 4100 ms')).to.equal(true);
    expect(byWhat.get('relaunch to serving, small state p50 ≤ 1000 ms')).to.equal(true);
  });

  it('writes JSON with raw samples, trial counts and summaries', () => {
    const json = JSON.parse(toJson(results));
    expect(json.throughput.points[0].samples).to.deep.equal([2, 4]);
    expect(json.failover.crash).to.have.length(2);
    expect(json.failureSummaries.crashDetect).to.include({ n: 2, p50: 21 });
    expect(json.targets).to.be.an('array').that.is.not.empty;
  });

  it('draws both charts as well-formed SVG', () => {
    for (const svg of [latencySvg(results.throughput!), failoverSvg(results.failover!)]) {
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).to.equal(true);
      expect(svg.trim().endsWith('</svg>')).to.equal(true);
      expect(svg).to.not.match(/NaN|undefined/);
    }
    expect(latencySvg(results.throughput!)).to.include('passive sync, 32');
    expect(failoverSvg(results.failover!)).to.include('2: S1→S2');
  });
});
