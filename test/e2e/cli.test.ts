/**
 * The command line as a user meets it (SPEC §3): exit status 0 done, 1 failure at run time, 2 bad
 * usage or configuration with one line on standard error; `--help`; a clean stop on SIGTERM.
 */
import { expect } from 'chai';
import net from 'node:net';
import {
  HOST,
  connectRaw,
  closeRawConns,
  freePorts,
  isAlive,
  launchedPid,
  killAllAndCheck,
  runToExit,
  startRole,
  until,
  waitForLine,
  withTimeout,
  writeConfig,
  writeIni,
  type Role,
} from '../support/processes.js';

/** How a role's output must not look after a clean stop or a user's mistake. */
const STACK_TRACE = /^\s+at |internal error|Error:/;

interface Ports {
  rm: number;
  gfd: number;
  s1: number;
  s1peer: number;
}

async function ports(): Promise<Ports> {
  const [rm, gfd, s1, s1peer] = await freePorts(4);
  return { rm: rm!, gfd: gfd!, s1: s1!, s1peer: s1peer! };
}

/** A regex source matching `s` literally. */
function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A valid file on the given ports; tests edit it into a mistake. */
function validIni(ports: Ports): string {
  return [
    '[cluster]',
    'mode = active',
    '',
    '[rm]',
    `host = ${HOST}`,
    `port = ${ports.rm}`,
    '',
    '[gfd]',
    `host = ${HOST}`,
    `port = ${ports.gfd}`,
    '',
    '[server.S1]',
    `host = ${HOST}`,
    `port = ${ports.s1}`,
    `peer_port = ${ports.s1peer}`,
    '',
    '[lfd.LFD1]',
    'server = S1',
    '',
    '[client.C1]',
    'interval = 0.2',
    '',
  ].join('\n');
}

/** Bad usage: exit status 2, exactly one line on stderr, nothing on stdout. Returns the line. */
async function expectUsageError(args: string[]): Promise<string> {
  const { role, exit } = await runToExit(args);
  const shown = `\n${role.tail()}`;
  expect(exit.code, `exit status of steadfast ${args.join(' ')}${shown}`).to.equal(2);
  expect(role.stderr, `stderr of steadfast ${args.join(' ')}${shown}`).to.have.length(1);
  expect(role.stdout, `stdout of steadfast ${args.join(' ')}${shown}`).to.deep.equal([]);
  expect(role.stderr[0]).to.not.match(STACK_TRACE);
  return role.stderr[0]!;
}

/** Holds a port the way another program would. */
async function occupy(port: number): Promise<net.Server> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: HOST, port }, () => resolve());
  });
  return server;
}

describe('e2e: the command line', function () {
  this.timeout(30_000);

  let blockers: net.Server[] = [];

  afterEach(async () => {
    for (const b of blockers) b.close();
    blockers = [];
    closeRawConns();
    await killAllAndCheck();
  });

  describe('bad usage exits 2 with one line on stderr', () => {
    let file: string;

    beforeEach(async () => {
      file = writeIni(validIni(await ports()));
    });

    it('an unknown command', async () => {
      expect(await expectUsageError(['frobnicate'])).to.match(/unknown command 'frobnicate'/);
    });

    it('an unknown flag', async () => {
      expect(await expectUsageError(['rm', '--config', file, '--frobnicate'])).to.match(/--frobnicate/);
      expect(await expectUsageError(['server', '--name', 'S1', '--config', file, '--bogus', 'x'])).to.match(/--bogus/);
    });

    it('a missing --name, and a --name the file does not know', async () => {
      const lines = await Promise.all(['server', 'lfd', 'client'].map((command) => expectUsageError([command, '--config', file])));
      for (const line of lines) expect(line).to.match(/--name is required/);
      expect(await expectUsageError(['server', '--name', 'S9', '--config', file])).to.match(/S9/);
    });

    it('a bad flag value', async () => {
      expect(await expectUsageError(['rm', '--config', file, '--mode', 'hot'])).to.match(/--mode.*hot/);
      expect(await expectUsageError(['rm', '--config', file, '--heartbeat-freq', 'soon'])).to.match(/--heartbeat-freq.*soon/);
      expect(await expectUsageError(['client', '--name', 'C1', '--config', file, '--count', '0'])).to.match(/--count/);
      expect(await expectUsageError(['client', '--name', 'C1', '--config', file, '--interval=-1'])).to.match(/--interval: not a positive number: '-1'/);
      // parseArgs's own two-line message about a value that looks like a flag, on one line.
      expect(await expectUsageError(['client', '--name', 'C1', '--config', file, '--interval', '-1'])).to.equal(
        "steadfast: Option '--interval' argument is ambiguous: a value starting with a dash is written --interval=VALUE",
      );
      expect(await expectUsageError(['cluster', '--config', file, '--start-timeout', 'x'])).to.match(/--start-timeout: not a positive number: 'x'/);
    });

    it('a config file that cannot be read', async () => {
      expect(await expectUsageError(['rm', '--config', '/nonexistent/steadfast.ini'])).to.match(/\/nonexistent\/steadfast\.ini/);
    });

    // SPEC §2: "one line that names the file, the section and key, and what is wrong".
    const mistakes: { what: string; text: (p: Ports) => string; names: RegExp[] }[] = [
      {
        what: 'an unknown key',
        text: (p) => validIni(p).replace('mode = active', 'mode = active\nbogus_key = 1'),
        names: [/\[cluster\]/, /bogus_key/, /unknown key/],
      },
      {
        what: 'a value that is not a number',
        text: (p) => validIni(p).replace('mode = active', 'heartbeat_freq = fast'),
        names: [/\[cluster\]/, /heartbeat_freq/, /fast/],
      },
      {
        what: 'a timeout not above the heartbeat frequency',
        text: (p) => validIni(p).replace('mode = active', 'heartbeat_freq = 2\nheartbeat_timeout = 1'),
        names: [/\[cluster\]/, /heartbeat_timeout/],
      },
      {
        what: 'a missing key',
        text: (p) => validIni(p).replace(`peer_port = ${p.s1peer}\n`, ''),
        names: [/\[server\.S1\]/, /peer_port/, /missing/],
      },
      {
        what: 'a port out of range',
        text: (p) => validIni({ ...p, gfd: 99999 }),
        names: [/\[gfd\]/, /port/, /99999/],
      },
      {
        what: 'a duplicate section',
        text: (p) => validIni(p) + '\n[rm]\nhost = 127.0.0.1\nport = 1\n',
        names: [/\[rm\]/, /duplicate/],
      },
      {
        what: 'an unknown section',
        text: (p) => validIni(p) + '\n[bogus]\nx = 1\n',
        names: [/\[bogus\]/, /unknown section/],
      },
      {
        what: 'an LFD naming no known server',
        text: (p) => validIni(p).replace('server = S1', 'server = S9'),
        names: [/\[lfd\.LFD1\]/, /server/, /S9/],
      },
      {
        what: 'two members on one host:port',
        text: (p) => validIni({ ...p, s1: p.rm }),
        names: [/\[server\.S1\]/, /port/, new RegExp(`${escapeRegex(HOST)}:\\d+`)],
      },
      {
        what: 'a name that does not match',
        text: (p) => validIni(p).replace('[client.C1]', '[client.C 1]'),
        names: [/\[client\.C 1\]/, /name/],
      },
    ];
    for (const m of mistakes) {
      it(`a config file with ${m.what}: the line names the file, the section and what is wrong`, async () => {
        const bad = writeIni(m.text(await ports()), 'mistake.ini');
        // Every role reads the same file, and each refuses it the same way, before starting anything.
        const lines = await Promise.all([['rm'], ['gfd'], ['server', '--name', 'S1']].map((args) => expectUsageError([...args, '--config', bad])));
        for (const line of lines) {
          expect(line).to.include(bad);
          for (const re of m.names) expect(line).to.match(re);
        }
      });
    }
  });

  it('--help exits 0 and prints the usage on stdout', async () => {
    const all = [['--help'], ['rm', '--help'], ['gfd', '--help'], ['lfd', '--help'], ['server', '--help'], ['client', '--help']];
    const runs = await Promise.all(all.map((args) => runToExit(args)));
    for (const [i, { role, exit }] of runs.entries()) {
      const args = all[i]!;
      expect(exit.code, `steadfast ${args.join(' ')}\n${role.tail()}`).to.equal(0);
      expect(role.stderr).to.deep.equal([]);
      expect(role.stdout.join('\n')).to.match(/steadfast/);
      if (args.length === 2) expect(role.stdout[0]).to.match(new RegExp(`^steadfast ${args[0]}\\b`));
    }
  });

  it('SIGTERM stops a running rm promptly with exit status 0 and no stack trace', async () => {
    const cluster = await writeConfig({ servers: 1 });
    const rm = startRole(['rm', '--config', cluster.file]);
    await waitForLine(rm, /RM: 0 members$/);
    // Running means listening: a status query at its port is answered.
    const c = await connectRaw(cluster.rmPort, 5000, 'RM port');
    c.sendText('<ops, RM, status>\n');
    expect(await c.nextFrame()).to.match(/^<RM, passive, -, \d+, S1:down, status>$/);

    process.kill(rm.pid, 'SIGTERM');
    const exit = await withTimeout(rm.closed, 2000, () => `rm did not stop within 2 s of SIGTERM\n${rm.tail()}`);
    expect(exit, rm.tail()).to.deep.equal({ code: 0, signal: null });
    expect(rm.stderr).to.deep.equal([]);
    expect(rm.lines.filter((l) => STACK_TRACE.test(l))).to.deep.equal([]);
    // Sockets closed: the connection ends and the port is free again.
    await c.waitClosed();
    blockers.push(await occupy(cluster.rmPort));
  });

  it('SIGTERM or SIGINT (Ctrl-C) stops every role cleanly; an LFD stops its server too', async () => {
    const cluster = await writeConfig({ servers: 1, clients: { C1: { interval: 0.2 } } });
    const cfg = ['--config', cluster.file];
    const rm = startRole(['rm', ...cfg]);
    const gfd = startRole(['gfd', ...cfg]);
    const lfd = startRole(['lfd', '--name', 'LFD1', ...cfg]);
    const serverPid = await launchedPid(lfd, 'S1');
    // A client with nowhere to send gives up after three intervals (SPEC §6 Clients): start it
    // once the server serves.
    await waitForLine(lfd, /S1 is ready \[passive\] \[primary\]/);
    const client = startRole(['client', '--name', 'C1', ...cfg]);
    // Running and busy: the client has an answer from the server the LFD launched.
    await waitForLine(client, /Received <C1, S1, \d+, reply>$/);

    const stops: [Role, NodeJS.Signals][] = [
      [client, 'SIGINT'],
      [lfd, 'SIGTERM'],
      [gfd, 'SIGINT'],
      [rm, 'SIGTERM'],
    ];
    for (const [role, sig] of stops) {
      process.kill(role.pid, sig);
      const exit = await withTimeout(role.closed, 2000, () => `${role.label} did not stop within 2 s of ${sig}\n${role.tail()}`);
      expect(exit, `${role.label} after ${sig}\n${role.tail()}`).to.deep.equal({ code: 0, signal: null });
      expect(role.lines.filter((l) => STACK_TRACE.test(l)), role.tail()).to.deep.equal([]);
    }
    // "Children stopped": the LFD's server is gone with it.
    await until(() => !isAlive(serverPid), 3000, () => `S1 (pid ${serverPid}) outlived its LFD`);
  });

  describe('a role whose port is taken exits 1 with one line naming the address', () => {
    /** Starts `args` against a file whose `port` is held by another program; checks the way it fails. */
    async function expectBindFailure(args: string[], port: number): Promise<Role> {
      blockers.push(await occupy(port));
      const { role, exit } = await runToExit(args);
      expect(exit.code, role.tail()).to.equal(1);
      const naming = role.lines.filter((l) => l.includes(`${HOST}:${port}`) && !/ started on /.test(l));
      expect(naming, role.tail()).to.have.length(1);
      expect(naming[0]).to.match(/address in use/);
      expect(role.lines.filter((l) => STACK_TRACE.test(l)), role.tail()).to.deep.equal([]);
      return role;
    }

    it('rm', async () => {
      const cluster = await writeConfig({ servers: 1 });
      await expectBindFailure(['rm', '--config', cluster.file], cluster.rmPort);
    });

    it('gfd', async () => {
      const cluster = await writeConfig({ servers: 1 });
      await expectBindFailure(['gfd', '--config', cluster.file], cluster.gfdPort);
    });

    it('server, on its client port and on its peer port', async () => {
      const cluster = await writeConfig({ servers: 1 });
      const { port, peerPort } = cluster.server('S1');
      await expectBindFailure(['server', '--name', 'S1', '--config', cluster.file], port);
      for (const b of blockers.splice(0)) b.close();
      await expectBindFailure(['server', '--name', 'S1', '--config', cluster.file], peerPort);
    });
  });
});
