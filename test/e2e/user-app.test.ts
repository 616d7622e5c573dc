/**
 * A user's own application, end to end: a plain JavaScript module in a temporary folder outside the
 * repository, named by a relative path in the ini, replicated by real processes in passive and in
 * active mode through kill -9 of the primary (the sequencer), with the client library as the client.
 *
 * The app keeps every request it applied, in order, and replies with the request's position, so the
 * final states say whether every acknowledged request is there exactly once. A request `boom` makes
 * `apply` throw: answered `failed` (the library's `AppError`), on every replica alike.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { AppError, connect, type Client } from '../../src/client/index.js';
import { closeRawConns, connectRaw, isAlive, killAllAndCheck, queryStatus, runToExit, startRole, until, waitForLine, writeConfig, type Role, type TestCluster } from '../support/processes.js';

const T = 20_000;

/** Plain JavaScript, no import of steadfast: what a user writes without any build step. */
const APP = `export default {
  name: 'journal',
  initial: () => ({ entries: [] }),
  apply(state, request) {
    if (request === 'boom') throw new Error('boom is not allowed');
    state.entries.push(request);
    return { state, reply: String(state.entries.length) };
  },
  show: (state) => state.entries.length + ' entries',
};
`;

async function startCluster(mode: 'active' | 'passive'): Promise<{ cluster: TestCluster; rm: Role }> {
  const cluster = await writeConfig({ cluster: { mode, app: './journal.mjs' } });
  writeFileSync(path.join(cluster.dir, 'journal.mjs'), APP);
  const run = (args: string[]) => startRole([...args, '--config', cluster.file], { cwd: cluster.dir });
  const rm = run(['rm']);
  run(['gfd']);
  for (let i = 1; i <= 3; i++) run(['lfd', '--name', `LFD${i}`]);
  await waitForLine(rm, /RM: 3 members: S1, S2, S3/, T);
  return { cluster, rm };
}

async function primaryOf(cluster: TestCluster): Promise<{ name: string; pid: number }> {
  for (const s of cluster.servers) {
    const st = await queryStatus(s.port, s.name).catch(() => null);
    if (st?.role === 'primary' && st.phase === 'ready') return { name: s.name, pid: st.pid };
  }
  throw new Error('no serving primary');
}

/** Sends `count` requests `NAME-i` one after another; returns each reply (its position). */
async function drive(client: Client, count: number, onSent: (i: number) => void): Promise<Map<string, number>> {
  const replies = new Map<string, number>();
  for (let i = 1; i <= count; i++) {
    const body = `${client.name}-${i}`;
    onSent(i);
    replies.set(body, Number(await client.request(body, { timeoutMs: T })));
  }
  return replies;
}

for (const mode of ['passive', 'active'] as const) {
  describe(`e2e: a user's JavaScript app by path, ${mode}`, function () {
    this.timeout(90_000);
    const clients: Client[] = [];
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      closeRawConns();
      await killAllAndCheck();
    });

    it(`survives kill -9 of the ${mode === 'passive' ? 'primary' : 'sequencer'}: replicas equal, every acknowledged request in them once`, async () => {
      const { cluster, rm } = await startCluster(mode);
      const a = await connect({ config: cluster.file, name: 'W1' });
      const b = await connect({ config: cluster.file, name: 'W2' });
      clients.push(a, b);

      // One request whose apply throws: answered failed, the state untouched, and the client goes on.
      const failed = await a.request('boom', { timeoutMs: T }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(failed).to.be.instanceOf(AppError);
      expect((failed as AppError).message).to.equal('boom is not allowed');

      // A resend of the same number is answered from the client table, not applied again.
      const victim = await primaryOf(cluster);
      const raw = await connectRaw(cluster.server(victim.name).port);
      for (let i = 0; i < 2; i++) {
        raw.sendText(`<C9, ${victim.name}, 1, boom, request>`);
        expect(await raw.nextFrame()).to.equal(`<C9, ${victim.name}, 1, boom is not allowed, failed>`);
      }
      const table = (await queryStatus(cluster.server(victim.name).port, victim.name)).clients;
      expect(table.get('C9')).to.deep.equal({ num: 1, reply: 'boom is not allowed' });

      let killed = false;
      const kill = (i: number) => {
        if (i === 20 && !killed) {
          killed = true;
          process.kill(victim.pid, 'SIGKILL');
        }
      };
      const [ra, rb] = await Promise.all([drive(a, 40, kill), drive(b, 40, () => {})]);
      expect(killed).to.equal(true);
      expect(isAlive(victim.pid)).to.equal(false);
      await waitForLine(rm, new RegExp(`RM: (primary|sequencer) is (?!${victim.name})`), T);

      // The relaunched replica recovers; then all three must hold the same state.
      let states: string[] = [];
      await until(async () => {
        const all = await Promise.all(cluster.servers.map((s) => queryStatus(s.port, s.name).catch(() => null)));
        if (all.some((s) => s === null || s.phase !== 'ready')) return false;
        states = all.map((s) => s!.state);
        return states.every((s) => s === states[0]);
      }, T, () => `replicas never agreed: ${states.join(' | ')}`);

      const entries = (JSON.parse(states[0]!) as { entries: string[] }).entries;
      expect(entries).to.not.include('boom');
      for (const [body, position] of [...ra, ...rb]) {
        expect(entries.filter((e) => e === body), body).to.have.length(1);
        expect(entries[position - 1], `${body} at the position its reply named`).to.equal(body);
      }
      expect(entries).to.have.length(80);
    });
  });
}

describe('e2e: a bad app module is refused before anything starts', function () {
  this.timeout(60_000);
  afterEach(killAllAndCheck);

  const cases: [string, string, RegExp][] = [
    ['missing file', '', /cannot find the module/],
    ['syntax error', 'export default {\n', /the module failed to load: /],
    ['no apply', "export default { name: 'x', initial: () => 0 };\n", /its export is not an application: no apply function/],
    ['snapshot not a string', "export default { name: 'x', initial: () => 0, apply: (s) => ({ state: s, reply: '' }), snapshot: () => 7 };\n", /snapshot returned number, not a string/],
  ];
  for (const [what, text, why] of cases) {
    it(`${what}: exit 2 and one line naming [cluster] app and the path, from server, lfd, cluster and scenario`, async () => {
      const cluster = await writeConfig({ cluster: { app: './mine.mjs' }, clients: { C1: {} } });
      const file = path.join(cluster.dir, 'mine.mjs');
      if (text !== '') writeFileSync(file, text);
      for (const args of [['server', '--name', 'S1'], ['lfd', '--name', 'LFD1'], ['cluster'], ['scenario', 'passive', '--app', file]]) {
        const { role, exit } = await runToExit([...args, '--config', cluster.file], 20_000, { cwd: cluster.dir });
        expect(exit.code, `${args[0]}\n${role.tail()}`).to.equal(2);
        expect(role.stderr, args[0]).to.have.length(1);
        const line = role.stderr[0]!;
        expect(line).to.include(file);
        expect(line).to.match(why);
        expect(line).to.match(args[0] === 'scenario' ? /--app/ : /cluster\.ini: \[cluster\] app/);
        expect(role.stdout.join('\n'), `${args[0]} started something`).to.not.match(/started on|launching|members/);
      }
    });
  }
});
