/**
 * `examples/three-hosts.ini` for real, on test hosts (`src/hosts/network.ts`): its four addresses
 * (the RM and GFD's host and the three replica hosts) become four network namespaces, and each
 * role runs on its host as the file's comment says. The servers listen on the same ports on three
 * hosts; a client on the RM's host is answered; the primary killed -9 fails over across hosts.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TestNetwork } from '../../src/hosts/network.js';
import { requireHosts } from '../support/hosts.js';
import { killAllAndCheck, queryStatus, ROOT, startRole, tempDir, until, waitForLine, type Role } from '../support/processes.js';

const T = 30_000;

describe('e2e: examples/three-hosts.ini across test hosts', function () {
  this.timeout(120_000);
  let network: TestNetwork | null = null;

  before(function () {
    requireHosts(this);
  });
  afterEach(async () => {
    await killAllAndCheck();
    network?.remove();
    network = null;
  });

  it('runs as its comment says, one role per host, and fails the primary over from one host to another', async () => {
    network = TestNetwork.create(4);
    const [control, ...replicas] = network.hosts;
    // 192.0.2.10 is the RM and GFD's host, .11–.13 the replicas' (the file's own placeholders).
    let text = readFileSync(path.join(ROOT, 'examples/three-hosts.ini'), 'utf8');
    network.hosts.forEach((host, i) => (text = text.replaceAll(`192.0.2.1${i}`, host.address)));
    expect(text).to.not.match(/^host = 192\.0\.2\./m);
    const dir = tempDir();
    const file = path.join(dir, 'three-hosts.ini');
    writeFileSync(file, text);
    const on = (host: typeof control, args: string[]): Role => startRole([...args, '--config', file], { cwd: dir, netns: host!.ns });

    const rm = on(control, ['rm']);
    on(control, ['gfd']);
    replicas.forEach((host, i) => on(host, ['lfd', '--name', `LFD${i + 1}`]));
    await waitForLine(rm, /RM: 3 members: S1, S2, S3/, T);
    const first = await waitForLine(rm, /RM: primary is (S\d)/, T);
    const client = on(control, ['client', '--name', 'C1']);
    await waitForLine(client, /Received <C1, S\d, 2, reply>/, T);

    // Every replica serves on its own host, at the same port.
    const server = (name: string) => {
      const i = Number(name.slice(1)) - 1;
      return { host: replicas[i]!.address, port: 7101 };
    };
    const statuses = await Promise.all(['S1', 'S2', 'S3'].map((s) => queryStatus(server(s).port, s, 5000, server(s).host)));
    expect(statuses.map((st) => st.phase)).to.deep.equal(['ready', 'ready', 'ready']);

    const primary = first.match[1]!;
    const mark = rm.mark();
    process.kill(statuses[Number(primary.slice(1)) - 1]!.pid, 'SIGKILL');
    const next = await waitForLine(rm, /RM: primary is (S\d)/, T, mark);
    expect(next.match[1]).to.not.equal(primary);
    const clientMark = client.mark();
    await waitForLine(client, new RegExp(`Received <C1, ${next.match[1]}, \\d+, reply>`), T, clientMark);
    await until(async () => {
      const all = await Promise.all(['S1', 'S2', 'S3'].map((s) => queryStatus(server(s).port, s, 1000, server(s).host).catch(() => null)));
      return all.every((st) => st?.phase === 'ready');
    }, T, () => 'the killed replica does not serve again on its host');
  });
});
