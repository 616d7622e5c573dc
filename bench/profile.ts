/**
 * Where a loaded server spends its time: a cluster whose servers run under `node --cpu-prof`
 * (started here, their LFDs with `--no-launch`: node refuses `--cpu-prof` in NODE_OPTIONS, so an
 * LFD cannot pass it on), N closed-loop clients for a while, then a clean stop (SIGTERM: profiles
 * are written on exit) and the heaviest functions of the primary, by self and by total time.
 *
 *   npx tsx bench/profile.ts [--mode passive|active] [--durability sync|checkpoint] [--clients 32] [--seconds 5] [--dir DIR]
 *
 * The `.cpuprofile` files stay in DIR (default a temporary directory) for Chrome DevTools.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { BIN, killAll, startRole, waitForLine, writeConfig, withTimeout } from '../test/support/processes.js';
import { DEFAULT_SETTINGS, rmStatus, untilTrue, WAIT_MS } from './cluster.js';
import { closedLoop, socketChannel, sleep } from './load.js';
import { profileTable, type CpuProfile } from './cpuprofile.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string', default: 'passive' },
      durability: { type: 'string', default: 'sync' },
      clients: { type: 'string', default: '32' },
      seconds: { type: 'string', default: '5' },
      dir: { type: 'string' },
      top: { type: 'string', default: '30' },
    },
  });
  const dir = values.dir ?? mkdtempSync(path.join(os.tmpdir(), 'steadfast-prof-'));
  const config = await writeConfig({ cluster: { ...DEFAULT_SETTINGS, mode: values.mode!, durability: values.durability! } });
  const args = ['--config', config.file, '--log-level', 'warn'];
  const rm = startRole(['rm', ...args]);
  await waitForLine(rm, /RM: 0 members$/, WAIT_MS);
  const servers0 = [1, 2, 3].map((i) =>
    spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, BIN, 'server', '--name', `S${i}`, ...args], { stdio: 'ignore' }),
  );
  await sleep(1500);
  startRole(['lfd', '--name', 'LFD1', '--no-launch', ...args]);
  startRole(['lfd', '--name', 'LFD2', '--no-launch', ...args]);
  startRole(['lfd', '--name', 'LFD3', '--no-launch', ...args]);
  startRole(['gfd', ...args]);
  await waitForLine(rm, /RM: 3 members/, WAIT_MS);
  await untilTrue(async () => [...(await rmStatus(config.rmPort)).phases.values()].every((p) => p === 'ready'), WAIT_MS, 'all ready');
  const status = await rmStatus(config.rmPort);
  const servers = [...status.phases.keys()].sort();
  const targets =
    values.mode === 'active'
      ? servers.map((s) => ({ server: s, port: config.server(s).port }))
      : [{ server: status.primary, port: config.server(status.primary).port }];
  const channels = await Promise.all(
    Array.from({ length: Number(values.clients) }, (_, i) => socketChannel(targets, `P${i + 1}`, 32)),
  );
  const r = await closedLoop(channels, 500, Number(values.seconds) * 1000);
  for (const c of channels) c.close();
  console.log(`${r.throughput.toFixed(0)} req/s with ${r.clients} clients (${values.mode} ${values.durability}); primary ${status.primary}`);
  // SIGTERM: a server stops cleanly and writes its profile on exit.
  await killAll();
  const exits = servers0.map((c) => new Promise((r) => c.once('exit', r)));
  for (const c of servers0) c.kill('SIGTERM');
  await withTimeout(Promise.all(exits), 10_000, () => 'servers did not stop');
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  console.log(`profiles in ${dir}: ${files.join(', ')}`);
  // The busiest profile is the primary's.
  const profiles = files.map((f) => ({ f, p: JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CpuProfile }));
  const span = (p: CpuProfile) => (p.endTime - p.startTime) / 1000;
  const busy = (p: CpuProfile) => span(p) - (profileTable(p).find((r) => r.fn.startsWith('(idle)'))?.selfMs ?? 0);
  for (const { f, p } of profiles) console.log(`${f}: ${span(p).toFixed(0)} ms profiled, ${busy(p).toFixed(0)} ms not idle`);
  const { f, p } = profiles.sort((a, b) => busy(b.p) - busy(a.p))[0]!;
  const rows = profileTable(p);
  const top = Number(values.top);
  console.log(`\n${f}: by self time`);
  for (const row of [...rows].sort((a, b) => b.selfMs - a.selfMs).slice(0, top)) {
    console.log(`${row.selfMs.toFixed(0).padStart(7)} ${row.totalMs.toFixed(0).padStart(7)}  ${row.fn}`);
  }
  console.log(`\n${f}: by total time`);
  for (const row of [...rows].sort((a, b) => b.totalMs - a.totalMs).slice(0, top)) {
    console.log(`${row.selfMs.toFixed(0).padStart(7)} ${row.totalMs.toFixed(0).padStart(7)}  ${row.fn}`);
  }
}

main().then(
  () => process.exit(0),
  async (err: Error) => {
    console.error(err.stack ?? err.message);
    await killAll();
    process.exit(1);
  },
);
