/**
 * A reload of the configuration (SIGHUP, docs/operations.md): what a new text changes, and what the
 * RM makes of it (servers removed are drained by the machine and never launched again).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Reloader } from '../../src/cli/reload.js';
import { loadConfig, membershipChanges } from '../../src/config/load.js';
import { parseMembers, withMembers } from '../../src/coordination/members.js';
import type { LogEvent } from '../../src/log/events.js';
import { clusterIni } from '../../src/sim/cluster.js';
import { initialMembership, onAdd, onDelete, onReconfigure, onServing } from '../../src/core/replication.js';

const ini = (servers: number, cluster: Record<string, string | number> = {}) =>
  clusterIni({
    cluster: { mode: 'active', ...cluster },
    rm: { host: '127.0.0.1', port: 7000 },
    gfd: { host: '127.0.0.1', port: 7001 },
    servers: Array.from({ length: servers }, (_, i) => ({ name: `S${i + 1}`, host: '127.0.0.1', port: 7101 + i, peerPort: 7201 + i })),
    clients: { C1: { interval: 1 } },
  });

describe('reload: what a new text of the ini changes', () => {
  it('servers added and removed, with their LFDs, are the membership; nothing is fixed', () => {
    expect(membershipChanges(ini(3), ini(4), 'c.ini')).to.deep.equal({ added: ['S4'], removed: [], fixed: [] });
    expect(membershipChanges(ini(4), ini(2), 'c.ini')).to.deep.equal({ added: [], removed: ['S3', 'S4'], fixed: [] });
  });

  it("names every key that cannot change at run time, a server's own included; clients may change", () => {
    const changed = ini(3, { heartbeat_timeout: 2 }).replace('port = 7102', 'port = 7999').replace('interval = 1', 'interval = 5');
    expect(membershipChanges(ini(3), changed, 'c.ini').fixed).to.deep.equal(['[cluster] heartbeat_timeout', '[server.S2] port']);
  });

  it('an LFD that comes or goes without its server, or watches another, is a fixed change', () => {
    const moved = ini(3).replace('[lfd.LFD3]\nserver = S3', '[lfd.LFD3]\nserver = S2');
    expect(membershipChanges(ini(3), moved, 'c.ini').fixed).to.deep.equal(['[lfd.LFD3] server']);
    const extra = ini(3) + '[lfd.LFD9]\nserver = S1\n';
    expect(membershipChanges(ini(3), extra, 'c.ini').fixed).to.deep.equal(['[lfd.LFD9]']);
  });

  it('a text that does not parse is an error, as at start', () => {
    expect(() => membershipChanges(ini(3), ini(3).replace('[server.S1]', '[server.S1'), 'c.ini')).to.throw(/not a \[section\] header/);
  });
});

describe('reload: the RM launches no server the configuration no longer names', () => {
  const serving = (names: string[]) => {
    let m = initialMembership('passive', names);
    m = { ...m, choosing: null };
    for (const s of names) m = onAdd(m, s).next;
    for (const s of names) m = onServing(m, s, m.epoch).next;
    return m;
  };

  const launches = (d: ReturnType<typeof onDelete>) => d.commands.filter((c) => c.kind === 'launch');

  it('a removed server is not launched when it goes, a configured one is; named again, it is launched again', () => {
    let m = onReconfigure(serving(['S1', 'S2', 'S3']), ['S1', 'S2']);
    expect(launches(onDelete(m, 'S3'))).to.deep.equal([]);
    expect(launches(onDelete(m, 'S2'))).to.deep.equal([{ kind: 'launch', server: 'S2' }]);
    m = onReconfigure(m, ['S1', 'S2', 'S3']);
    expect(launches(onDelete(m, 'S3'))).to.deep.equal([{ kind: 'launch', server: 'S3' }]);
  });

  it('a restarted RM, which knows only the file as it is now, does not launch a removed server either', () => {
    // Its LFD may still be linked to a GFD not reloaded yet, which reports it deleted.
    const restarted = initialMembership('passive', ['S1', 'S2']);
    expect(launches(onDelete(restarted, 'S3'))).to.deep.equal([]);
    expect(launches(onDelete(restarted, 'S2'))).to.deep.equal([{ kind: 'launch', server: 'S2' }]);
  });
});

describe('reload: the file read again by a running RM or GFD', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const setUp = (servers: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'steadfast-reload-'));
    dirs.push(dir);
    const file = join(dir, 'cluster.ini');
    writeFileSync(file, ini(servers));
    const lines: string[] = [];
    const print = (e: LogEvent) => void lines.push(e.event === 'note' ? e.text : e.event);
    const reloader = new Reloader({ path: file }, loadConfig({ path: file }), print, 'RM');
    return { file, lines, reloader };
  };

  it('says which servers came and went since the last read, and refuses a fixed change with nothing changed', () => {
    const { file, lines, reloader } = setUp(3);
    writeFileSync(file, ini(4));
    const added = reloader.next(null)!;
    expect([added.added, added.removed, added.config.servers.map((s) => s.name)]).to.deep.equal([['S4'], [], ['S1', 'S2', 'S3', 'S4']]);
    writeFileSync(file, ini(3, { mode: 'passive' }));
    expect(reloader.next(null)).to.equal(null);
    expect(lines).to.deep.equal(['reload refused: these cannot change while the cluster runs: [cluster] mode (nothing changed)']);
    writeFileSync(file, ini(3));
    const removed = reloader.next(null)!;
    expect([removed.added, removed.removed]).to.deep.equal([[], ['S4']]);
  });

  it("with etcd's members: the file cut to them; a member the file does not describe is refused", () => {
    const { file, lines, reloader } = setUp(3);
    writeFileSync(file, ini(4));
    const cut = reloader.next(['S1', 'S2', 'S3'])!;
    expect([cut.added, cut.removed]).to.deep.equal([[], []]);
    expect(reloader.next(['S1', 'S2', 'S3', 'S4'])!.added).to.deep.equal(['S4']);
    expect(reloader.next(['S1', 'S5'])).to.equal(null);
    expect(lines[0]).to.match(/^reload refused: members in etcd that .* does not describe: S5 \(nothing changed\)$/);
  });

  it("etcd's value: a list of names, or nothing usable", () => {
    expect(parseMembers('["S2","S1","S2"]')).to.deep.equal(['S1', 'S2']);
    expect(parseMembers('{"S1":1}')).to.equal(null);
    expect(parseMembers('not json')).to.equal(null);
    const config = loadConfig({ path: setUp(3).file });
    const { config: cut, unknown } = withMembers(config, ['S1', 'S9']);
    expect([cut.servers.map((s) => s.name), cut.lfds.map((l) => l.name), unknown]).to.deep.equal([['S1'], ['LFD1'], ['S9']]);
  });
});
