/**
 * `steadfast cluster`: the whole cluster on this machine, every role its own process, started in
 * dependency order (RM, GFD, each LFD with its server, the clients), each waited for by its
 * listener. Every line is printed as `NAME | ` + the role's own line. Standard input takes
 * commands (`help` lists them); `quit`, Ctrl-C, SIGTERM or SIGHUP stop everything.
 */
import { createInterface } from 'node:readline';
import type { App } from '../app/app.js';
import { SINK_ENV } from '../inspect/env.js';
import { formatEndpoint, overridesToArgs } from '../config/load.js';
import type { ClusterConfig } from '../config/types.js';
import type { ServerStatusFrame } from '../protocol/frames.js';
import { COMMON_HELP, UsageError, appOf, childArgs, commonFlags, configFrom, loadOptions, parse, positive, type Options } from './args.js';
import { processState } from './cluster/liveness.js';
import { Labeler, colourWanted, eventText, table } from './cluster/output.js';
import { queryAnyRm, queryServer, reachable } from '../transport/query.js';
import { MAIN, StartError, startGfd, startLfd, startRm } from './cluster/start.js';
import { drainServer } from './drain.js';
import { Reloader } from './reload.js';
import { Supervisor, type Member, type RoleKind } from './cluster/supervisor.js';

export const CLUSTER_HELP = `steadfast cluster [--config FILE] [--mode active|passive] [--clients N]
Runs the whole cluster on this machine, every role its own process: the RM, the GFD, every LFD
(each starts its server), then the clients; each waits for the one before it to listen. Every line
is printed as NAME | followed by the role's own line.
  --clients N          start the first N clients of the file (default: all of them)
  --start-timeout S    seconds each role may take to come up (default 15)
  --inspect [[HOST:]PORT]  one page for the whole cluster: every process streams its machines'
                       events to this one, which serves the page
  --admin [[HOST:]PORT]    each role its own /healthz, /readyz and /metrics, from PORT on: the
                       RMs, the GFDs, each LFD (its server at the next port), the clients

Commands on standard input:
${commandHelp('  ')}

${COMMON_HELP}`;

function commandHelp(indent: string): string {
  return [
    'kill NAME     kill -9 (a server: its LFD reports it, the RM has it relaunched)',
    'pause NAME    SIGSTOP (a server paused past heartbeat_timeout is killed by its LFD)',
    'resume NAME   SIGCONT',
    'stop NAME     SIGTERM, a clean stop (a server hands its role over first; an LFD drains its server)',
    'drain NAME    hand server NAME\'s role over and stop it; its LFD starts it again (docs/operations.md)',
    'reload        read the ini file again: servers added are started, servers removed drained and stopped',
    'start NAME    start a stopped RM, GFD, LFD or client again (servers: their LFD does)',
    'status        a table: every member, its role, phase, epoch, state, last checkpoint; client progress',
    'quit          stop everything and exit (so do Ctrl-C, SIGTERM and SIGHUP)',
  ]
    .map((l) => indent + l)
    .join('\n');
}

/**
 * `cluster --admin [HOST:]PORT`: each role its own endpoint, in the order they start: the RMs, the
 * GFDs, each LFD (its server at the LFD's port + 1, which the LFD passes on), then the clients.
 * Port 0: every role any free port (each prints its own).
 */
export function adminPortsOf(config: ClusterConfig, clients: string[], first: number): Map<string, number> {
  const ports = new Map<string, number>();
  let next = first;
  const take = (name: string, width = 1) => {
    ports.set(name, first === 0 ? 0 : next);
    next += width;
  };
  for (const r of config.rms) take(r.name);
  for (const g of config.gfds) take(g.name);
  for (const l of config.lfds) take(l.name, 2);
  for (const c of clients) take(c);
  if (next - 1 > 65535) throw new UsageError(`--admin: ${ports.size} roles from port ${first} go past 65535`);
  return ports;
}

interface ClientProgress {
  answered: number;
  last: number;
  from: string;
}

/** The flags of this command besides the common ones (docs/configuration.md lists them). */
export const CLUSTER_OPTIONS = { clients: { type: 'string' }, 'start-timeout': { type: 'string' } } as const satisfies Options;

export async function clusterCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, CLUSTER_OPTIONS);
  const flags = commonFlags(values);
  if (flags.help) return void console.log(CLUSTER_HELP), 0;
  let config = configFrom(flags);
  const app = await appOf(config);
  let clientCount = config.clients.length;
  if (values.clients !== undefined) {
    const n = Number(values.clients);
    if (!/^\d+$/.test(values.clients) || n > config.clients.length) {
      throw new UsageError(`--clients: not a whole number from 0 to ${config.clients.length} (the clients in ${config.source}): '${values.clients}'`);
    }
    clientCount = n;
  }
  const startTimeoutMs = positive('--start-timeout', values['start-timeout'], 15) * 1000;
  const clients = config.clients.slice(0, clientCount).map((c) => c.name);

  const names = ['cluster', ...config.rms.map((r) => r.name), ...config.gfds.map((g) => g.name), ...config.lfds.map((l) => l.name), ...config.servers.map((s) => s.name), ...config.clients.map((c) => c.name)];
  const labeler = new Labeler(names, colourWanted());
  // A closed standard output (`steadfast cluster | head`) stops the cluster instead of crashing.
  let outputOpen = true;
  const out = (name: string, text: string) => {
    if (outputOpen) process.stdout.write(labeler.line(name, text) + '\n');
  };
  const say = (text: string) => out('cluster', text);
  // The cluster's own check of the file before it tells the RM and GFD: the same as theirs.
  const reloader = new Reloader(loadOptions(flags), config, (e) => say(e.event === 'note' ? e.text : e.event), 'cluster');

  const progress = new Map<string, ClientProgress>();
  /** What each GFD printed last (a GFD has no status frame). */
  const gfdSeen = new Map<string, GfdSeen>();
  let stopping = false;
  // The hub comes first: every role process streams to it from its first event.
  let hub: import('../inspect/hub.js').Hub | null = null;
  if (flags.inspect) {
    const { Hub } = await import('../inspect/hub.js');
    hub = new Hub(flags.inspect);
    try {
      await hub.listen();
    } catch (err) {
      say(`cannot start the inspector on ${flags.inspect.host}:${flags.inspect.port}: ${(err as Error).message}`);
      return 1;
    }
    say(`inspector at ${hub.url}`);
  }
  const adminPorts = flags.admin ? adminPortsOf(config, clients, flags.admin.port) : new Map<string, number>();
  if (flags.admin) say(`admin endpoints on ${flags.admin.host}: ${[...adminPorts].map(([n, p]) => `${n} ${p === 0 ? 'any free port' : p}`).join(', ')} (each LFD's server at the next port)`);
  const sup = new Supervisor({
    main: MAIN,
    ...(hub ? { env: { [SINK_ENV]: hub.ingestUrl } } : {}),
    // The roles print JSON so that each line tells who printed it; it is shown in the form asked for.
    roleArgs: childArgs({ ...flags, logFormat: 'json' }, overridesToArgs(flags.overrides)),
    argsOf: (name) => {
      const port = adminPorts.get(name);
      return port === undefined ? [] : ['--admin', formatEndpoint(flags.admin!.host, port)];
    },
    keep: () => false,
    onLine: (name, raw, event) => {
      if (event && config.gfds.some((g) => g.name === name)) gfdSeen.set(name, seenOfGfd(gfdSeen.get(name), event.data));
      if (event?.event === 'client.received') {
        const d = event.data as { request?: { num?: number; server?: string } };
        const p = progress.get(name) ?? { answered: 0, last: 0, from: '' };
        progress.set(name, { answered: p.answered + 1, last: d.request?.num ?? p.last, from: d.request?.server ?? p.from });
      }
      out(name, event && flags.logFormat === 'text' ? eventText(event.data) : raw);
    },
    onExit: (m) => {
      if (!stopping) say(`${m.name} (pid ${m.pid}) exited (${m.exit?.signal ? `signal ${m.exit.signal}` : `code ${m.exit?.code}`})`);
    },
  });

  let resolveStop: (code: number) => void = () => {};
  const stopped = new Promise<number>((r) => (resolveStop = r));
  const stop = async (why: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    say(`stopping everything (${why})`);
    await sup.stopAll();
    const left = sup.alivePids();
    if (left.length > 0) {
      say(`still running after stop: pids ${left.join(', ')}`);
      code = 1;
    } else {
      say(`stopped: ${sup.pids.size} processes started, none left running`);
    }
    resolveStop(code);
  };
  const onSignal = (sig: NodeJS.Signals) => void stop(sig);
  const onOutputError = () => {
    outputOpen = false;
    void stop('standard output closed');
  };
  process.stdout.on('error', onOutputError);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  const started = (m: Member) => say(`started ${m.name} (pid ${m.pid})`);
  const paused = new Map<string, number>();
  const kinds = new Map<string, RoleKind>([
    ...config.rms.map((r) => [r.name, 'rm'] as [string, RoleKind]),
    ...config.gfds.map((g) => [g.name, 'gfd'] as [string, RoleKind]),
    ...config.lfds.map((l) => [l.name, 'lfd'] as [string, RoleKind]),
    ...config.clients.map((c) => [c.name, 'client'] as [string, RoleKind]),
  ]);

  const startAll = async () => {
    say(`starting the cluster of ${config.source}: mode ${config.cluster.mode}, app ${config.cluster.app}, ` +
      `${config.servers.length} servers, ${clients.length} clients`);
    for (const rm of config.rms) {
      if (stopping) return;
      started(await startRm(sup, config, rm.name, startTimeoutMs));
    }
    for (const gfd of config.gfds) {
      if (stopping) return;
      started(await startGfd(sup, config, gfd.name, startTimeoutMs));
    }
    for (const lfd of config.lfds) {
      if (stopping) return;
      started(await startLfd(sup, config, lfd.name, startTimeoutMs));
    }
    for (const c of clients) {
      if (stopping) return;
      started(sup.start(c, 'client'));
    }
    say(`all started; commands: kill|pause|resume|stop|start NAME, status, quit (help for more)`);
  };

  const lines = createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    queue = queue.then(() => command(line)).catch((err: unknown) => say(`error: ${(err as Error).message}`));
  });

  const command = async (line: string) => {
    const [verb = '', name = '', ...rest] = line.trim().split(/\s+/);
    if (verb === '' || stopping) return;
    if (verb === 'quit' || verb === 'exit') return void stop('quit');
    if (verb === 'help') {
      for (const l of ['commands:', ...commandHelp('  ').split('\n')]) say(l);
      return;
    }
    if (verb === 'status') return printStatus();
    if (verb === 'reload') return reload();
    if (!['kill', 'pause', 'resume', 'stop', 'start', 'drain'].includes(verb)) return say(`unknown command '${line.trim()}' (try help)`);
    if (name === '' || rest.length > 0) return say(`usage: ${verb} NAME (one of: ${[...kinds.keys(), ...config.servers.map((s) => s.name)].join(', ')})`);
    const isServer = config.servers.some((s) => s.name === name);
    if (!isServer && !kinds.has(name)) return say(`no member named '${name}'`);
    switch (verb) {
      case 'drain': {
        const server = config.servers.find((s) => s.name === name);
        if (!server) return say(`drain takes a server (one of: ${config.servers.map((s) => s.name).join(', ')})`);
        say(`draining ${name}`);
        return drainServer(config, server, 30_000).then(say, (err: Error) => say(`drain ${name}: ${err.message}`));
      }
      case 'kill': {
        const pid = sup.signal(name, 'SIGKILL');
        return say(pid === null ? `${name} is not running` : `kill -9 ${name} (pid ${pid})`);
      }
      case 'pause': {
        const pid = sup.signal(name, 'SIGSTOP');
        if (pid !== null) paused.set(name, pid);
        return say(pid === null ? `${name} is not running` : `paused ${name} (pid ${pid})`);
      }
      case 'resume': {
        const was = paused.get(name);
        paused.delete(name);
        const pid = sup.signal(name, 'SIGCONT');
        if (was !== undefined && was !== pid) {
          say(`${name} (pid ${was}) is gone: it was replaced while paused (a hung server is killed by its LFD)`);
        }
        return say(pid === null ? `${name} is not running` : `resumed ${name} (pid ${pid})`);
      }
      case 'stop': {
        const pid = sup.signal(name, 'SIGTERM');
        return say(pid === null ? `${name} is not running` : `stopping ${name} (pid ${pid})`);
      }
      case 'start': {
        if (isServer) {
          const lfd = config.lfds.find((l) => l.server === name)?.name ?? 'its LFD';
          return say(`${name} is started by ${lfd} (start ${lfd} if it is stopped)`);
        }
        const running = sup.pidOf(name);
        if (running !== null) return say(`${name} runs already (pid ${running})`);
        const kind = kinds.get(name)!;
        try {
          if (kind === 'rm') started(await startRm(sup, config, name, startTimeoutMs));
          else if (kind === 'gfd') started(await startGfd(sup, config, name, startTimeoutMs));
          else if (kind === 'lfd') started(await startLfd(sup, config, name, startTimeoutMs));
          else started(sup.start(name, 'client'));
        } catch (err) {
          say(`could not start ${name}: ${(err as Error).message}`);
        }
        return;
      }
    }
  };

  /**
   * `reload`: the ini file again (docs/operations.md, "Membership without a restart"). Checked here
   * first, as the RM and the GFD check it on SIGHUP: only servers, with their LFDs, may come or go.
   * The RM and the GFD are told (SIGHUP); an added server's LFD is started, which starts it; a
   * removed server's LFD is stopped with SIGTERM, which drains its server first (the RM drains it too).
   */
  const reload = async () => {
    if (config.etcd !== null) return say('reload: with coordinator = etcd the members are etcd\'s: steadfast members add|remove NAME');
    const event = reloader.next(null);
    if (event === null) return;
    const before = config;
    config = event.config;
    const changes = event;
    for (const leader of [...config.rms, ...config.gfds]) sup.signal(leader.name, 'SIGHUP');
    const said = [...changes.added.map((s) => `${s} added`), ...changes.removed.map((s) => `${s} removed`)];
    say(`reloading ${config.source}: ${said.length === 0 ? 'no server added or removed' : said.join(', ')}`);
    for (const server of changes.removed) {
      const lfd = before.lfds.find((l) => l.server === server)?.name;
      if (lfd === undefined) continue;
      kinds.delete(lfd);
      const pid = sup.signal(lfd, 'SIGTERM');
      if (pid !== null) say(`stopping ${lfd} (pid ${pid}); it drains ${server} first`);
    }
    for (const server of changes.added) {
      const lfd = config.lfds.find((l) => l.server === server)?.name;
      if (lfd === undefined) continue;
      kinds.set(lfd, 'lfd');
      try {
        started(await startLfd(sup, config, lfd, startTimeoutMs));
      } catch (err) {
        say(`could not start ${lfd}: ${(err as Error).message}`);
      }
    }
  };

  const printStatus = async () => {
    const repliesShown = flags.logLevel === 'info' || flags.logLevel === 'debug';
    for (const row of table(await statusRows(config, app, sup, clients, progress, repliesShown, gfdSeen))) say(row);
  };

  try {
    await startAll();
  } catch (err) {
    if (!(err instanceof StartError)) throw err;
    say(`cannot start the cluster: ${err.message}`);
    await stop('start failed', 1);
  }
  const code = await stopped;
  await hub?.close();
  lines.close();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  process.stdout.off('error', onOutputError);
  return code;
}

const SHOWN_STATE = 32;

/** The `status` table: every member, then the clients' progress. */
/** A GFD's members and, with a coordinator, whether it leads, as its lines last said. */
interface GfdSeen {
  members?: string[];
  office?: 'leader' | 'standby';
}

function seenOfGfd(seen: GfdSeen = {}, e: Record<string, unknown>): GfdSeen {
  if (e.event === 'members' && Array.isArray(e.members)) return { ...seen, members: e.members as string[] };
  if (e.event === 'leadership') return { ...seen, office: e.state === 'leading' ? 'leader' : 'standby' };
  return seen;
}

async function statusRows(
  config: ClusterConfig,
  app: App<any>,
  sup: Supervisor,
  clients: string[],
  progress: Map<string, ClientProgress>,
  repliesShown: boolean,
  gfdSeen: Map<string, GfdSeen>,
): Promise<string[][]> {
  const proc = (name: string) => {
    const pid = sup.pidOf(name);
    return { pid: pid === null ? '-' : String(pid), state: pid === null ? 'not running' : processState(pid) === 'stopped' ? 'paused' : processState(pid) };
  };
  const [rms, servers] = await Promise.all([
    Promise.all(config.rms.map((rm) => {
      const at = reachable(rm);
      return queryAnyRm(at.host, at.port, 1000, config.cluster.tls).catch((e: Error) => e);
    })),
    Promise.all(config.servers.map((s) => {
      const at = reachable(s);
      return queryServer(at.host, at.port, s.name, 1000, config.cluster.tls).catch((e: Error) => e);
    })),
  ]);
  const rows: string[][] = [['member', 'pid', 'process', 'role', 'phase', 'epoch', 'state', 'ckpt', 'clients']];
  config.rms.forEach(({ name }, i) => {
    const r = proc(name);
    const s = rms[i]!;
    if (s instanceof Error) rows.push([name, r.pid, r.state, '-', '(no answer)']);
    else if (s.kind === 'rmStandby') rows.push([name, r.pid, r.state, 'standby', '-', '-', `leader ${s.leader ?? 'unknown'}`, '-', '-']);
    else {
      const members = s.members.map((m) => `${m.server}:${m.phase}`).join(' ') || 'no members';
      rows.push([name, r.pid, r.state, s.mode, '-', String(s.epoch), `${s.mode === 'active' ? 'sequencer' : 'primary'} ${s.primary ?? '-'}; ${members}`, '-', '-']);
    }
  });
  for (const { name } of config.gfds) {
    const g = proc(name);
    const { members = null, office = '-' } = gfdSeen.get(name) ?? {};
    // A GFD that is not running leads nothing, whatever it said last.
    const role = g.pid === '-' ? '-' : office;
    rows.push([name, g.pid, g.state, role, '-', '-', members === null ? '-' : members.length === 0 ? 'no members' : `members ${members.join(', ')}`, '-', '-']);
  }
  for (const l of config.lfds) {
    const p = proc(l.name);
    rows.push([l.name, p.pid, p.state, `watches ${l.server}`, '-', '-', '-', '-', '-']);
  }
  config.servers.forEach((srv, i) => {
    const p = proc(srv.name);
    const s = servers[i];
    if (s === undefined || s instanceof Error) {
      rows.push([srv.name, p.pid, p.state, '-', '(no answer)']);
      return;
    }
    const f = s as ServerStatusFrame;
    let shown: string;
    try {
      const state = app.restore(f.state);
      shown = config.cluster.app === 'log' ? `${app.show(state)} entries` : app.show(state);
    } catch {
      shown = f.state;
    }
    if (shown.length > SHOWN_STATE) shown = shown.slice(0, SHOWN_STATE - 1) + '…';
    rows.push([
      srv.name,
      String(f.pid),
      p.state,
      f.mode === null ? '-' : `${f.mode} ${f.role ?? '-'}`,
      f.phase,
      String(f.epoch),
      shown === '' ? '""' : shown,
      String(f.checkpoint),
      f.clients.map((c) => `${c.client}:${c.num}`).join(' ') || '-',
    ]);
  });
  for (const c of config.clients) {
    const p = proc(c.name);
    const pr = progress.get(c.name);
    const what = !clients.includes(c.name) && p.pid === '-' ? 'not started' : pr ? `answered ${pr.answered}, last #${pr.last} from ${pr.from}`
      : repliesShown ? 'no reply seen' : 'replies not printed at this --log-level';
    rows.push([c.name, p.pid, p.state, 'client', '-', '-', what, '-', '-']);
  }
  return rows;
}
