/**
 * The bench's pure pieces, so that `npm run bench` (not part of `npm test`) cannot rot unseen:
 * percentile math, the echo baseline driven by the closed-loop clients for a moment, and the
 * table / JSON / SVG writers on made-up results.
 */
import { expect } from 'chai';
import type net from 'node:net';
import { portOf, startEchoServer } from './echo.js';
import { bodyOf, closedLoop, socketChannel } from './load.js';
import { failoverSvg, keepSamples, latencySvg, restartRows, table, targets, toJson, type BenchResults } from './report.js';
import { median, percentile, summarize } from './stats.js';
import type { CrashTrial } from './failover.js';
import { cpuMs } from './procs.js';
import type { RestartTrial } from './restart.js';
import { parsePerfStat, SYNC_EVENTS } from './syscalls.js';

describe('bench: perf stat output', () => {
  it('reads the counts of `perf stat -x,` and skips its notes; an uncounted event is NaN', () => {
    const text = [
      'Events disabled',
      'Events enabled',
      'Events disabled',
      '48,,syscalls:sys_enter_fdatasync,8618356,100.00,,',
      '0,,syscalls:sys_enter_fsync,8618356,100.00,,',
      '<not counted>,,syscalls:sys_enter_sync,0,0.00,,',
    ].join('\n');
    const counts = parsePerfStat(text);
    expect(counts.get(SYNC_EVENTS[0])).to.equal(48);
    expect(counts.get(SYNC_EVENTS[1])).to.equal(0);
    expect(counts.get('syscalls:sys_enter_sync')).to.be.NaN;
    expect(counts.size).to.equal(3);
  });
});

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

function restart(state: string, trial: number): RestartTrial {
  return {
    trial,
    state,
    stateBytes: state === 'small' ? 3200 : 10_000_000,
    rmMembersMs: 3500 + trial,
    rmPrimaryMs: 3510,
    firstReplyMs: state === 'small' ? 3600 + trial : 5000 + trial,
    allReadyMs: 3700,
    primary: 'S1',
    furthest: { epoch: 1, position: 100 },
    reply: String(100 + trial),
    expectedReply: String(100 + trial),
    survivors: [],
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
      {
        config: 'passive sync data_dir',
        clients: 32,
        completed: 400,
        durationMs: 1000,
        throughput: 400,
        latency: summarize([3, 5]),
        echoThroughput: 1000,
        ratio: 0.4,
        pairedRatio: 0.4,
        errors: [],
        epochBefore: 1,
        epochAfter: 1,
        cpu: { 'S1 (primary)': 150, load: 50 },
        samples: [3, 5],
        syncs: { calls: { 'S1 (primary)': 40, 'S2 (backup)': 30, 'S3 (backup)': 30 }, perRequest: 0.25 },
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
    drain: [{ ...crash(3), lfdFailedMs: NaN }],
    hang: [{ trial: 1, victim: 'S2', lfdFailedMs: 3000, rmDeleteMs: 3010, relaunchedReadyMs: 3600 }],
    bigSettings: {},
    big: [],
    errors: [],
  },
  restart: {
    settings: { heartbeat_timeout: 3, durability: 'sync', app: 'log' },
    trials: [restart('small', 1), restart('small', 2), { ...restart('small', 3), survivors: ['8518: server --name S1'] }, restart('10 MB', 1), { ...restart('10 MB', 2), reply: '7' }],
    errors: [],
  },
  takeover: {
    settings: { heartbeat_timeout: 3, durability: 'sync', lease_ttl: 2 },
    trials: [
      { kind: 'rm', trial: 1, leadsMs: 2100, firstReadyMs: 2150, gapMs: 30 },
      { kind: 'rm', trial: 2, leadsMs: 1500, firstReadyMs: 1560, gapMs: 20 },
      { kind: 'rm+primary', trial: 1, leadsMs: 2000, firstReadyMs: 2600, gapMs: 2200 },
      { kind: 'gfd+primary', trial: 1, leadsMs: 1900, firstReadyMs: 1950, gapMs: 2050 },
    ],
    errors: ['takeover: Error: no primary'],
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
    // fsyncs: in all and per server, per request.
    expect(text).to.match(/^passive sync data_dir\s+32\s+0\.250 a request \(S1 \(primary\) 0\.100, S2 \(backup\) 0\.075, S3 \(backup\) 0\.075; 100 calls, 400 requests\)$/m);
    // Restarts: median and spread per state, and a wrong position called out.
    expect(text).to.match(/^small state: a client request answered\s+3\s+3602\s+3601\s+3603$/m);
    expect(text).to.match(/^10 MB state: a client request answered\s+2\s+5001\s+5001\s+5002$/m);
    expect(text).to.match(/10 MB 2: the request was answered at position 7, 102 was due/);
    expect(text).to.match(/small 3: outlived the kill of everything .*: 8518: server --name S1\)$/m);
    // Takeovers: each measure over its kind's trials, and a broken-off run said.
    expect(text).to.match(/^kill -9 leading RM → the standby leads\s+2\s+1500\s+2100\s+2100$/m);
    expect(text).to.match(/^kill -9 leading RM \+ primary → longest client gap\s+1\s+2200\s+2200\s+2200$/m);
    expect(text).to.match(/^kill -9 leading GFD \+ primary → first ready\s+1\s+1950\s+1950\s+1950$/m);
    expect(text).to.match(/^  \(takeover: Error: no primary\)$/m);
  });

  it('says why fsyncs were not counted instead of a figure', () => {
    const r = structuredClone(results);
    r.throughput!.points[1]!.syncs = { calls: null, perRequest: NaN, error: 'perf: not found' };
    expect(table(r)).to.match(/^passive sync data_dir\s+32\s+not counted: perf: not found$/m);
  });

  it('groups the restart figures by state', () => {
    const rows = restartRows(results.restart!);
    expect(rows.map((r) => r.label)).to.include.members(['small state: RM names the primary', '10 MB state: every replica serving']);
    expect(rows.find((r) => r.key === 'small firstReplyMs')!.samples).to.deep.equal([3601, 3602, 3603]);
  });

  it('judges the targets from the figures', () => {
    const byWhat = new Map(targets(results).map((t) => [`${t.what} ${t.goal}`, t.met]));
    expect(byWhat.get('crash detection p99 ≤ 100 ms')).to.equal(true);
    expect(byWhat.get('hang detection max ≤ 4100 ms')).to.equal(true);
    // Every crash trial of the figures relaunched in 600 ms.
    expect(byWhat.get('relaunch to serving, small state p50 ≤ 300 ms')).to.equal(false);
    expect(byWhat.get('passive sync throughput at 32 clients / echo ≥ 45 %')).to.be.a('boolean');
  });

  it('judges a drain\'s longest client silence against the kills of the same run', () => {
    const judged = (r: BenchResults) => targets(r).filter((t) => t.what.startsWith('drain')).map((t) => `${t.goal}: ${t.met}`);
    expect(judged(results)).to.deep.equal(["p99 < kill -9's p99 (70 ms): false"]);
    const r = structuredClone(results);
    r.failover!.drain = [{ ...r.failover!.drain[0]!, maxClientGapMs: 60 }];
    expect(judged(r)).to.deep.equal(["p99 < kill -9's p99 (70 ms): true"]);
  });

  it('judges latency at one client where the figures have that point', () => {
    const r = structuredClone(results);
    const one = { ...structuredClone(r.throughput!.points[0]!), clients: 1, latency: summarize([0.2, 0.3, 0.4]) };
    r.throughput!.points.push(one);
    const latency = targets(r).filter((t) => t.what.endsWith('at 1 client')).map((t) => `${t.what} ${t.goal}: ${t.met}`);
    expect(latency).to.deep.equal(['passive sync latency at 1 client p50 ≤ 0.25 ms: false', 'passive sync latency at 1 client p99 ≤ 1 ms: true']);
  });

  it('writes JSON with raw samples, trial counts and summaries', () => {
    const json = JSON.parse(toJson(results));
    expect(json.throughput.points[0].samples).to.deep.equal([2, 4]);
    expect(json.failover.crash).to.have.length(2);
    expect(json.failureSummaries.crashDetect).to.include({ n: 2, p50: 21 });
    expect(json.restartSummaries['small firstReplyMs']).to.include({ n: 3, p50: 3602 });
    expect(json.takeoverSummaries.bothReady).to.include({ n: 1, p50: 2600 });
    expect(json.throughput.points[1].syncs.perRequest).to.equal(0.25);
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
