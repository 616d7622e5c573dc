/**
 * The inspector in a real browser (Debian's chromium, driven by playwright-core): a passive cluster
 * with `--inspect 0`, the page opened once and never reloaded. It shows the three serving members
 * and the primary; after `kill -9` of the primary the killed member's phase cell turns `down`,
 * another member's role cell turns `primary`, and the relaunched member comes back as backup. The
 * highlighted states of each server's machine equal what its `status` frame reports, and of every
 * machine shown what the hub last heard. Every request the page makes goes to the hub itself.
 * A screenshot is saved to test-artifacts/ (or $ARTIFACTS_DIR).
 */
/// <reference lib="dom" />
import { expect } from 'chai';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { queryRm, queryServer } from '../../src/transport/query.js';
import { loadConfig } from '../../src/config/load.js';
import { activeIds, type StateTree } from '../../src/inspect/graph.js';
import type { InspectRecord } from '../../src/inspect/records.js';
import { ROOT, killEverything, startSteadfast, writeClusterIni, type Steadfast } from '../e2e/cluster-helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = process.env.ARTIFACTS_DIR ?? path.join(ROOT, 'test-artifacts');
const T = 30_000;
/** Progress, for a run that fails: INSPECT_TEST_DEBUG=1 prints each step as it is reached. */
const step = (what: string) => {
  if (process.env.INSPECT_TEST_DEBUG) console.error(`  ${new Date().toISOString().slice(11, 23)} ${what}`);
};

/** A cell's text as the page shows it now. */
function cell(page: Page, member: string, field: string): Promise<string> {
  return page.$eval(`tr[data-member="${member}"] td[data-field="${field}"]`, (td) => td.textContent ?? '').catch(() => '');
}

/** Waits (bounded) until `member`'s `field` cell reads `text`. */
async function cellBecomes(page: Page, member: string, field: string, text: string, timeoutMs = T): Promise<void> {
  await page.waitForFunction(
    ([m, f, t]) => document.querySelector(`tr[data-member="${m}"] td[data-field="${f}"]`)?.textContent === t,
    [member, field, text] as const,
    { timeout: timeoutMs, polling: 50 },
  );
}

/** The ids of the states an actor's figure has highlighted. */
function highlighted(page: Page, actor: string): Promise<string[]> {
  return page
    .$eval(`figure[data-actor="${actor}"]`, (f) => Array.from(f.querySelectorAll('g.state.active'), (g) => g.getAttribute('data-state')!))
    .catch(() => []);
}

describe('browser: the inspector page of steadfast cluster --inspect', function () {
  this.timeout(150_000);
  let browser: Browser | null = null;
  let cluster: Steadfast | null = null;

  before(function () {
    if (existsSync(CHROMIUM)) return;
    // CI installs chromium (.ci/run): there a missing browser is a failure, not a skip.
    if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing (.ci/run installs it: apt-get install -y chromium)`);
    console.log(`    skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);
    this.skip();
  });

  afterEach(async () => {
    await browser?.close().catch(() => {});
    browser = null;
    if (cluster && cluster.exit === null) {
      cluster.send('quit');
      await cluster.ended(15_000).catch(() => {});
    }
    cluster = null;
    await killEverything();
  });

  it('follows a failover live: down, a new primary, the relaunched member back as backup; machines highlighted as status says', async () => {
    const file = await writeClusterIni(
      { mode: 'passive', heartbeat_freq: 0.25, heartbeat_timeout: 1, checkpoint_freq: 1 },
      { C1: 0.5 },
    );
    const config = loadConfig({ path: file });
    cluster = startSteadfast(['cluster', '--config', file, '--inspect', '0', '--quiet'], { stdin: true });
    const url = (await cluster.waitFor(/inspector at (http:\/\/127\.0\.0\.1:\d+\/)/, T)).match[1]!;
    await cluster.waitFor(/all started/, 60_000);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(url);
    step('page open');

    // Three serving members and the primary.
    for (const s of ['S1', 'S2', 'S3']) await cellBecomes(page, s, 'phase', 'ready');
    const rm = await queryRm('127.0.0.1', config.rms[0]!.port, 2000);
    const primary = rm.primary!;
    expect(primary).to.match(/^S[123]$/);
    await cellBecomes(page, primary, 'role', 'primary');
    for (const s of ['S1', 'S2', 'S3'].filter((x) => x !== primary)) await cellBecomes(page, s, 'role', 'backup');

    // From now on every change of a cell is noted in the page, so that a short-lived `down` counts.
    await page.evaluate(() => {
      const w = window as unknown as { changes: string[] };
      w.changes = [];
      new MutationObserver((ms) => {
        for (const m of ms) {
          const td = (m.target.nodeType === 1 ? m.target : m.target.parentElement) as HTMLElement | null;
          const cellEl = td?.closest('td[data-field]') as HTMLElement | null;
          if (!cellEl) continue;
          const member = (cellEl.parentElement as HTMLElement).dataset.member;
          w.changes.push(`${member}.${cellEl.dataset.field}=${cellEl.textContent}`);
        }
      }).observe(document.querySelector('#members tbody')!, { subtree: true, childList: true, characterData: true });
    });
    const changes = () => page.evaluate(() => (window as unknown as { changes: string[] }).changes);

    step(`primary ${primary} shown`);
    const shownPid = await cell(page, primary, 'pid');
    const since = cluster.mark();
    cluster.send(`kill ${primary}`);
    const killed = await cluster.waitFor(new RegExp(`kill -9 ${primary} \\(pid (\\d+)\\)`), T, since);
    expect(killed.match[1], 'the page shows the pid that was killed').to.equal(shownPid);
    await page.waitForFunction((p) => (window as unknown as { changes: string[] }).changes.includes(`${p}.phase=down`), primary, { timeout: T, polling: 50 });
    step('down shown');
    const others = ['S1', 'S2', 'S3'].filter((x) => x !== primary);
    await page.waitForFunction(
      (os) => os.some((o) => (window as unknown as { changes: string[] }).changes.includes(`${o}.role=primary`)),
      others,
      { timeout: T, polling: 50 },
    );
    const roles = await Promise.all(others.map((o) => cell(page, o, 'role')));
    const newPrimary = others.find((_o, i) => roles[i] === 'primary');
    expect(newPrimary, 'a new primary among the others').to.be.a('string');
    step(`new primary ${newPrimary} shown`);
    // The relaunched member comes back as a backup, still on the same page.
    await cellBecomes(page, primary, 'role', 'backup', 45_000);
    await cellBecomes(page, primary, 'phase', 'ready', 10_000);
    expect(await cell(page, primary, 'pid'), 'a new process').not.to.equal(shownPid);
    step('relaunched member shown as backup');
    const seen = await changes();
    const down = seen.indexOf(`${primary}.phase=down`);
    const back = seen.lastIndexOf(`${primary}.role=backup`);
    expect(down, seen.join('\n')).to.be.greaterThan(-1);
    expect(back, seen.join('\n')).to.be.greaterThan(down);

    // Each server's highlighted states are what its status frame says (polled until both agree:
    // a checkpoint or heartbeat may land between the two looks).
    for (const s of config.servers) {
      let last = '';
      const deadline = Date.now() + 10_000;
      for (;;) {
        const status = await queryServer('127.0.0.1', s.port, s.name, 2000);
        const want = status.phase === 'ready' ? [`server.role.ready`, `server.role.ready.${status.role}`] : [`server.role.${status.phase}`];
        const shown = await highlighted(page, s.name);
        last = `${s.name}: status ${status.phase}/${status.role}, page ${shown.join(' ')}`;
        const roleStates = shown.filter((id) => id.startsWith('server.role.') && id.split('.').length <= 4);
        if (want.every((w) => shown.includes(w)) && roleStates.length === want.length) break;
        if (Date.now() > deadline) throw new Error(`highlight disagrees with status: ${last}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    step('servers highlighted as their status says');
    // The RM's machine (one state) and every other machine shown: highlighted as the hub last heard.
    const shownActors = await page.$$eval('figure[data-actor]', (fs) => fs.map((f) => (f as HTMLElement).dataset.actor!));
    expect(shownActors).to.include.members(['RM', 'GFD', 'LFD1', 'S1', 'S2', 'S3', 'C1']);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const records = (await (await fetch(`${url}state.json`)).json()) as InspectRecord[];
      const trees = new Map<string, StateTree>();
      for (const r of records) if (r.t === 'machine') trees.set(r.machine, r.tree);
      const machines = new Map<string, string>();
      for (const r of records) if (r.t === 'actor' && r.machine) machines.set(r.actor, r.machine);
      const wrong: string[] = [];
      for (const r of records) {
        if (r.t !== 'snapshot' || !shownActors.includes(r.actor)) continue;
        const want = activeIds(trees.get(machines.get(r.actor)!)!, r.value).sort();
        const shown = (await highlighted(page, r.actor)).sort();
        if (want.join(' ') !== shown.join(' ')) wrong.push(`${r.actor}: hub ${want.join(' ')} / page ${shown.join(' ')}`);
      }
      if (wrong.length === 0) break;
      if (Date.now() > deadline) throw new Error(`highlight disagrees with the hub:\n${wrong.join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await highlighted(page, 'RM')).to.deep.equal(['rm', 'rm.running']);
    // Inside the GFD, its machine of each LFD: alive (a server's failover leaves its LFD up).
    const lfdMachines = shownActors.filter((a) => a.startsWith('GFD/lfd:'));
    expect(lfdMachines, 'the GFD`s machine of each LFD').to.have.length(3);
    for (const a of lfdMachines) expect(await highlighted(page, a), a).to.deep.equal(['watchedLfd', 'watchedLfd.alive']);

    // The timeline tells the failover in order: the kill, then the new primary's ready.
    const timeline = await page.$$eval('#events li', (lis) => lis.map((li) => li.textContent ?? ''));
    const downRow = timeline.findIndex((t) => t.includes(`${primary} down`));
    const readyRow = timeline.findIndex((t, i) => i > downRow && t.includes('frame.ready') && t.includes('primary'));
    expect(downRow, 'the kill in the timeline').to.be.greaterThan(-1);
    expect(readyRow, 'a ready naming a primary after it').to.be.greaterThan(downRow);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'inspect.png'), fullPage: true });

    // Nothing off the machine, and no reload: one page load, one event stream.
    const origin = new URL(url).origin;
    expect(requests.filter((r) => !r.startsWith(origin + '/') && !r.startsWith('data:'))).to.deep.equal([]);
    expect(requests.filter((r) => r === url)).to.have.length(1);
    expect(requests.filter((r) => r === `${origin}/events`)).to.have.length(1);
    expect(pageErrors).to.deep.equal([]);
  });
});
