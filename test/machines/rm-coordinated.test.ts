/**
 * The RM among several (SPEC §8, docs/coordination.md), its leadership events given by hand: it
 * listens where its own section says and goes by its name; a standby redirects; elected it starts
 * above etcd's counter, a new epoch's frames wait for their grant, and a deposed leader sends none
 * of what it held.
 */
import { expect } from 'chai';
import { createActor, fromCallback } from 'xstate';
import { rmMachine } from '../../src/actors/rm.js';
import type { LeadCommand, LeadershipInput } from '../../src/actors/leadership.js';
import { parseConfig } from '../../src/config/load.js';
import type { LogEvent } from '../../src/log/events.js';
import type { Frame } from '../../src/protocol/frames.js';
import { summarize } from '../../src/inspect/summary.js';
import { eachCommand } from '../../src/transport/actors.js';
import type { LinksInput, ListenerInput, Origin, TransportCommand } from '../../src/transport/types.js';

const INI = `
[cluster]
coordinator = etcd
[etcd]
endpoints = http://127.0.0.1:2379
[rm.RM1]
host = 127.0.0.1
port = 7000
[rm.RM2]
host = 127.0.0.2
port = 7010
[gfd.GFD1]
host = 127.0.0.1
port = 7001
[gfd.GFD2]
host = 127.0.0.2
port = 7011
[server.S1]
host = 127.0.0.1
port = 7101
peer_port = 7201
[server.S2]
host = 127.0.0.1
port = 7102
peer_port = 7202
`;

describe('rm: by name', () => {
  it('RM2 listens on [rm.RM2], accepts hellos from the configured RM and GFD names, asks and prints as RM2', () => {
    const config = parseConfig(INI, 'named.ini');
    let listener: ListenerInput | null = null;
    let probes: LinksInput | null = null;
    const printed: LogEvent[] = [];
    const machine = rmMachine.provide({
      actors: {
        listener: fromCallback<TransportCommand, ListenerInput>(({ input }) => void (listener = input)),
        links: fromCallback<TransportCommand, LinksInput>(({ input }) => void (probes = input)),
      },
    });
    const rm = createActor(machine, { input: { config, print: (e: LogEvent) => void printed.push(e), name: 'RM2' } }).start();
    try {
      expect(listener).to.include({ host: '127.0.0.2', port: 7010 });
      expect(listener!.self).to.deep.equal({ name: 'RM2', role: 'rm' });
      expect(listener!.names).to.deep.include({ rm: ['RM1', 'RM2'], gfd: ['GFD1', 'GFD2'] });
      expect(probes!.self).to.deep.equal({ name: 'RM2', role: 'rm' });
      expect(printed).to.deep.equal([{ event: 'members', name: 'RM2', members: [] }]);
    } finally {
      rm.stop();
    }
  });
});

const client = (link: string): Origin => ({ via: 'port', link, peer: null });
const gfd = (link: string, name = 'GFD1'): Origin => ({ via: 'port', link, peer: { name, role: 'gfd' } });
const gfdHello = (link: string, name = 'GFD1') => ({ type: 'frame.hello', frame: { kind: 'hello', name, role: 'gfd' }, origin: gfd(link, name) }) as never;

function start() {
  const sent: TransportCommand[] = [];
  const grants: number[] = [];
  const printed: LogEvent[] = [];
  const machine = rmMachine.provide({
    actors: {
      listener: fromCallback<TransportCommand, ListenerInput>(({ receive }) => receive((c) => void sent.push(...eachCommand(c)))),
      links: fromCallback<TransportCommand, LinksInput>(() => undefined),
      leadership: fromCallback<LeadCommand, LeadershipInput>(({ receive }) => receive((c) => void grants.push(c.epoch))),
    },
  });
  const config = parseConfig(INI, 'named.ini');
  const rm = createActor(machine, { input: { config, print: (e: LogEvent) => void printed.push(e), name: 'RM2' } }).start();
  /** The frames sent on a listener connection since `from`. */
  const framesTo = (link: string, from = 0): Frame[] =>
    sent.slice(from).flatMap((c) => (c.type === 'send' && c.link === link ? [c.frame] : []));
  return { rm, sent, grants, printed, framesTo };
}

/** A fresh RM asks each joining server what it holds: `server` answers as a new process. */
function answerFresh(rm: ReturnType<typeof start>['rm'], server: string): void {
  const origin: Origin = { via: 'probes', link: server, peer: null };
  rm.send({ type: 'link.up', origin } as never);
  rm.send({
    type: 'frame.serverStatus', origin,
    frame: { kind: 'serverStatus', server, mode: null, role: null, phase: 'booting', state: '', clients: [], checkpoint: 0, epoch: 0, pid: 1 },
  } as never);
}

describe('rm: standing by and leading through a coordinator', () => {
  it('a standby redirects clients and the GFD, answers status as standby, and says who leads', () => {
    const { rm, sent, printed, framesTo } = start();
    try {
      expect(rm.getSnapshot().value).to.equal('standby');
      rm.send({ type: 'lead.leader', role: 'rm', name: 'RM1' });
      expect(printed.at(-1)).to.deep.equal({ event: 'leadership', name: 'RM2', state: 'standby', leader: 'RM1' });
      rm.send({ type: 'frame.clientHello', frame: { kind: 'clientHello', client: 'C1' }, origin: client('L1') });
      expect(framesTo('L1')).to.deep.equal([{ kind: 'redirect', from: 'RM2', leader: 'RM1' }]);
      rm.send({ type: 'frame.statusQuery', frame: { kind: 'statusQuery', from: 'ops', target: 'RM' }, origin: client('L2') });
      expect(framesTo('L2')).to.deep.equal([{ kind: 'rmStandby', from: 'RM2', leader: 'RM1' }]);
      rm.send(gfdHello('L3'));
      expect(framesTo('L3')).to.deep.equal([{ kind: 'redirect', from: 'RM2', leader: 'RM1' }]);
      expect(sent.filter((c) => c.type === 'close')).to.deep.equal([{ type: 'close', link: 'L3' }]);
      // The inspector's row says so too.
      const summary = () => summarize('rm', rm.getSnapshot().value, rm.getSnapshot().context);
      expect(summary()).to.include({ kind: 'rm', standby: true, leader: 'RM1' });
      rm.send({ type: 'lead.elected', role: 'rm', floor: 3 });
      expect(summary()).to.include({ kind: 'rm', standby: false, leader: 'RM2', epoch: 3 });
    } finally {
      rm.stop();
    }
  });

  it('elected, it opens epochs above the counter, holds each new epoch\'s frames until granted, and drops them when deposed', () => {
    const { rm, sent, grants, printed, framesTo } = start();
    try {
      rm.send({ type: 'frame.clientHello', frame: { kind: 'clientHello', client: 'C1' }, origin: client('L1') });
      const elected = sent.length;
      rm.send({ type: 'lead.elected', role: 'rm', floor: 7 });
      expect(printed.at(-1)).to.deep.equal({ event: 'leadership', name: 'RM2', state: 'leading', floor: 7 });
      rm.send({ type: 'lead.leader', role: 'gfd', name: 'GFD1' });
      rm.send(gfdHello('G1'));
      rm.send({ type: 'frame.members', frame: { kind: 'members', from: 'GFD', servers: [], epoch: 0 }, origin: gfd('G1') });
      rm.send({ type: 'frame.membership', frame: { kind: 'membership', from: 'GFD', server: 'S1', change: 'add' }, origin: gfd('G1') });
      answerFresh(rm, 'S1');
      // S2, configured, has not joined: the RM waits for it (or for the time to run out).
      expect(grants).to.deep.equal([]);
      rm.send({ type: 'choice.due' } as never);
      // S1 is primary of epoch 8, above the counter: nothing leaves before etcd grants 8.
      expect(grants).to.deep.equal([8]);
      const readies = (from = 0) => framesTo('G1', from).flatMap((f) => (f.kind === 'ready' ? [[f.server, f.role, f.epoch]] : []));
      expect(readies()).to.deep.equal([]);
      expect(framesTo('L1', elected)).to.deep.equal([]);
      rm.send({ type: 'lead.granted', role: 'rm', epoch: 8 });
      expect(readies()).to.deep.equal([['S1', 'primary', 8]]);
      rm.send({ type: 'frame.serving', frame: { kind: 'serving', server: 'S1', epoch: 8 }, origin: gfd('G1') } as never);
      expect(framesTo('L1', elected)).to.deep.equal([{ kind: 'clientView', client: 'C1', mode: 'passive', servers: ['S1'] }]);
      // Within a granted epoch, frames go at once.
      const mark = sent.length;
      rm.send({ type: 'frame.membership', frame: { kind: 'membership', from: 'GFD', server: 'S2', change: 'add' }, origin: gfd('G1') });
      expect(readies(mark)).to.deep.include(['S2', 'backup', 8]);
      expect(grants).to.deep.equal([8]);
      // S2 serves too; S1 dies: S2 would be primary of epoch 9, which etcd never grants: deposed,
      // nothing of 9 left.
      rm.send({ type: 'frame.serving', frame: { kind: 'serving', server: 'S2', epoch: 8 }, origin: gfd('G1') } as never);
      const before = sent.length;
      rm.send({ type: 'frame.membership', frame: { kind: 'membership', from: 'GFD', server: 'S1', change: 'delete' }, origin: gfd('G1') });
      expect(grants).to.deep.equal([8, 9]);
      rm.send({ type: 'lead.deposed', role: 'rm', reason: 'its election key is gone' });
      expect(sent.slice(before)).to.deep.equal([{ type: 'close', link: 'G1' }]);
      const [note, standby] = printed.slice(-2);
      expect(note).to.include({ event: 'note', name: 'RM2', level: 'warn' });
      expect((note as { text: string }).text).to.match(/^[1-9]\d* frames of epoch 9 not sent: etcd did not grant the epoch$/);
      expect(standby).to.deep.equal({ event: 'leadership', name: 'RM2', state: 'standby', leader: null, reason: 'its election key is gone' });
      expect(rm.getSnapshot().value).to.equal('standby');
      rm.send({ type: 'lead.granted', role: 'rm', epoch: 9 });
      expect(sent.slice(before)).to.have.length(1);
    } finally {
      rm.stop();
    }
  });

  it('hears only the GFD that leads the GFDs: another one\'s link is closed, and a new leader\'s replaces the old one', () => {
    const { rm, sent, printed, framesTo } = start();
    try {
      rm.send({ type: 'lead.elected', role: 'rm', floor: 0 });
      rm.send({ type: 'lead.granted', role: 'rm', epoch: 10 });
      rm.send({ type: 'lead.leader', role: 'gfd', name: 'GFD1' });
      // GFD2, a standby (or a deposed leader thawed), is not heard.
      rm.send(gfdHello('G2', 'GFD2'));
      expect(sent.filter((c) => c.type === 'close')).to.deep.equal([{ type: 'close', link: 'G2' }]);
      expect(printed.at(-1)).to.deep.equal({ event: 'note', name: 'RM2', level: 'warn', text: 'GFD2 does not lead the GFDs (GFD1 does): link closed' });
      rm.send({ type: 'frame.members', frame: { kind: 'members', from: 'GFD2', servers: ['S1'], epoch: 0 }, origin: gfd('G2', 'GFD2') });
      expect(rm.getSnapshot().value).to.equal('syncing');
      rm.send(gfdHello('G1'));
      rm.send({ type: 'frame.members', frame: { kind: 'members', from: 'GFD1', servers: [], epoch: 0 }, origin: gfd('G1') });
      rm.send({ type: 'frame.membership', frame: { kind: 'membership', from: 'GFD1', server: 'S1', change: 'add' }, origin: gfd('G1') });
      answerFresh(rm, 'S1');
      rm.send({ type: 'choice.due' } as never);
      expect(framesTo('G1').filter((f) => f.kind === 'ready')).to.have.length(1);
      // Between two leaders nobody leads for a moment: GFD1 is still heard.
      const closes = () => sent.filter((c) => c.type === 'close').length;
      const closedBefore = closes();
      rm.send({ type: 'lead.leader', role: 'gfd', name: null });
      expect(closes()).to.equal(closedBefore);
      // GFD2 is elected: GFD1's link is closed at once, and what comes on it is not heard any more.
      rm.send({ type: 'lead.leader', role: 'gfd', name: 'GFD2' });
      expect(sent.filter((c) => c.type === 'close').at(-1)).to.deep.equal({ type: 'close', link: 'G1' });
      const membersBefore = printed.filter((e) => e.event === 'members').length;
      rm.send({ type: 'frame.membership', frame: { kind: 'membership', from: 'GFD1', server: 'S1', change: 'delete' }, origin: gfd('G1') });
      expect(printed.filter((e) => e.event === 'members')).to.have.length(membersBefore);
      // GFD2's hello is taken, and its members are heard.
      rm.send(gfdHello('G3', 'GFD2'));
      rm.send({ type: 'frame.members', frame: { kind: 'members', from: 'GFD2', servers: ['S1', 'S2'], epoch: 1 }, origin: gfd('G3', 'GFD2') });
      expect(printed.at(-1)).to.deep.equal({ event: 'members', name: 'RM2', members: ['S1', 'S2'] });
    } finally {
      rm.stop();
    }
  });
});
