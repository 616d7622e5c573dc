/**
 * Hot standby GFDs (docs/coordination.md), their leadership events given by hand: an LFD links to
 * every GFD and tells each what it knows; a standby GFD watches the LFDs and keeps the membership
 * but says nothing to the RM; elected, its first `members` is the whole set; deposed, it drops the
 * RM's link and watches on.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { createActor, fromCallback, type AnyActorRef } from 'xstate';
import { gfdMachine } from '../../src/actors/gfd.js';
import { lfdMachine } from '../../src/actors/lfd.js';
import { parseConfig } from '../../src/config/load.js';
import type { LogEvent } from '../../src/log/events.js';
import type { Frame } from '../../src/protocol/frames.js';
import { eachCommand } from '../../src/transport/actors.js';
import type { LinkInput, LinksInput, ListenerInput, Origin, TransportCommand } from '../../src/transport/types.js';

const INI = `
[cluster]
coordinator = etcd
heartbeat_freq = 0.1
heartbeat_timeout = 0.3
[etcd]
endpoints = http://127.0.0.1:2379
[rm]
host = 127.0.0.1
port = 7000
[gfd.GFD1]
host = 127.0.0.1
port = 7001
[gfd.GFD2]
host = 127.0.0.1
port = 7011
[server.S1]
host = 127.0.0.1
port = 7101
peer_port = 7201
[server.S2]
host = 127.0.0.1
port = 7102
peer_port = 7202
[lfd.LFD1]
server = S1
[lfd.LFD2]
server = S2
`;

const config = parseConfig(INI, 'standby-gfd.ini');
const sends = (commands: TransportCommand[]) => commands.flatMap((c) => (c.type === 'send' ? [{ link: c.link, frame: c.frame }] : []));

describe('standby GFDs: the LFD reports to every GFD', () => {
  it('links to each GFD by name, sends its membership to all, and answers each GFD\'s heartbeat on that GFD\'s link', () => {
    const commands: TransportCommand[] = [];
    let gfdLinks: LinksInput | null = null;
    let lfd: AnyActorRef | null = null;
    const machine = lfdMachine.provide({
      actors: {
        links: fromCallback<TransportCommand, LinksInput>(({ input, receive }) => {
          gfdLinks = input;
          receive((c) => void commands.push(...eachCommand(c)));
        }),
        link: fromCallback<TransportCommand, LinkInput>(() => undefined),
      },
    });
    lfd = createActor(machine, { input: { name: 'LFD1', config, launch: false, print: () => undefined } }).start();
    try {
      expect(gfdLinks!.self).to.deep.equal({ name: 'LFD1', role: 'lfd' });
      expect(gfdLinks!.hello).to.equal(true);
      expect(commands[0]).to.deep.equal({
        type: 'links.want',
        peers: [{ name: 'GFD1', host: '127.0.0.1', port: 7001 }, { name: 'GFD2', host: '127.0.0.1', port: 7011 }],
      });
      const fromServer: Origin = { via: 'server', link: '', peer: { name: 'S1', role: 'server' } };
      lfd.send({ type: 'link.up', origin: fromServer });
      lfd.send({ type: 'frame.heartbeat', frame: { kind: 'heartbeat', from: 'S1', to: 'LFD1', count: 1 }, origin: fromServer });
      const add: Frame = { kind: 'membership', from: 'LFD1', server: 'S1', change: 'add' };
      expect(sends(commands)).to.deep.equal([{ link: 'GFD1', frame: add }, { link: 'GFD2', frame: add }]);
      // GFD2's heartbeat is answered to GFD2 only; GFD2's link coming back up learns the add again, alone.
      const mark = commands.length;
      const fromGfd2: Origin = { via: 'gfd', link: 'GFD2', peer: { name: 'GFD2', role: 'gfd' } };
      lfd.send({ type: 'frame.heartbeat', frame: { kind: 'heartbeat', from: 'GFD2', to: 'LFD1', count: 4 }, origin: fromGfd2 });
      lfd.send({ type: 'link.up', origin: fromGfd2 });
      expect(sends(commands.slice(mark))).to.deep.equal([
        { link: 'GFD2', frame: { kind: 'heartbeat', from: 'LFD1', to: 'GFD2', count: 4 } },
        { link: 'GFD2', frame: add },
      ]);
    } finally {
      lfd.stop();
    }
  });
});

describe('standby GFDs: a standby keeps the membership', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  });
  afterEach(() => clock.restore());

  it('watches the LFDs without a word to the RM; elected, its first members is the whole set; deposed, it drops the RM\'s link and watches on', async () => {
    const toLfds: TransportCommand[] = [];
    const toRm: TransportCommand[] = [];
    const rmLinks: LinkInput[] = [];
    const printed: LogEvent[] = [];
    let gfd: AnyActorRef | null = null;
    const lfdOrigin = (n: number): Origin => ({ via: 'lfds', link: `L${n}`, peer: { name: `LFD${n}`, role: 'lfd' } });
    // The LFDs answer every heartbeat at once.
    const machine = gfdMachine.provide({
      actors: {
        listener: fromCallback<TransportCommand, ListenerInput>(({ receive }) =>
          receive((command) => {
            for (const c of eachCommand(command)) {
              toLfds.push(c);
              if (c.type !== 'send' || c.frame.kind !== 'heartbeat' || c.link === undefined) continue;
              const { to, count } = c.frame;
              const n = Number(c.link.slice(1));
              queueMicrotask(() => gfd?.send({ type: 'frame.heartbeat', frame: { kind: 'heartbeat', from: to, to: 'GFD2', count }, origin: lfdOrigin(n) }));
            }
          }),
        ),
        link: fromCallback<TransportCommand, LinkInput>(({ input, receive }) => {
          rmLinks.push(input);
          receive((c) => void toRm.push(...eachCommand(c)));
        }),
      },
    });
    gfd = createActor(machine, { input: { config, print: (e: LogEvent) => void printed.push(e), name: 'GFD2' } }).start();
    try {
      gfd.send({ type: 'lead.leader', role: 'rm', name: 'RM' });
      gfd.send({ type: 'lead.leader', role: 'gfd', name: 'GFD1' });
      for (const n of [1, 2]) {
        gfd.send({ type: 'frame.hello', frame: { kind: 'hello', name: `LFD${n}`, role: 'lfd' }, origin: lfdOrigin(n) });
        gfd.send({ type: 'frame.membership', frame: { kind: 'membership', from: `LFD${n}`, server: `S${n}`, change: 'add' }, origin: lfdOrigin(n) });
      }
      await clock.tickAsync(5 * config.cluster.heartbeatTimeoutMs);
      const members = () => printed.filter((e) => e.event === 'members').at(-1);
      expect(members()).to.deep.equal({ event: 'members', name: 'GFD2', members: ['S1', 'S2'] });
      expect(toLfds.filter((c) => c.type === 'send' && c.frame.kind === 'heartbeat').length, 'heartbeats to the LFDs').to.be.at.least(20);
      expect(rmLinks, 'a standby links to no RM').to.deep.equal([]);
      // LFD2 departs for good while GFD2 stands by: it knows.
      gfd.send({ type: 'link.down', origin: lfdOrigin(2) });
      await clock.tickAsync(2 * config.cluster.heartbeatTimeoutMs);
      expect(members()).to.deep.equal({ event: 'members', name: 'GFD2', members: ['S1'] });

      gfd.send({ type: 'lead.elected', role: 'gfd', floor: 0 });
      expect(rmLinks).to.have.length(1);
      gfd.send({ type: 'link.up', origin: { via: 'rm', link: '', peer: { name: 'RM', role: 'rm' } } });
      expect(sends(toRm)).to.deep.equal([{ link: undefined, frame: { kind: 'members', from: 'GFD2', servers: ['S1'], epoch: 0 } }]);

      // Deposed: the RM's link goes (its actor stops), and what the LFDs report is kept, not sent.
      let rmLinkStopped = false;
      const rmLink = gfd.getSnapshot().children.rm as AnyActorRef;
      rmLink.subscribe({ complete: () => void (rmLinkStopped = true) });
      gfd.send({ type: 'lead.deposed', role: 'gfd', reason: 'its lease expired' });
      expect(printed.at(-1)).to.deep.equal({ event: 'leadership', name: 'GFD2', state: 'standby', leader: null, reason: 'its lease expired' });
      expect(rmLinkStopped || gfd.getSnapshot().children.rm === undefined, 'the RM link stopped').to.equal(true);
      gfd.send({ type: 'frame.membership', frame: { kind: 'membership', from: 'LFD1', server: 'S1', change: 'delete' }, origin: lfdOrigin(1) });
      expect(members()).to.deep.equal({ event: 'members', name: 'GFD2', members: [] });
      expect(toRm).to.have.length(1);
    } finally {
      gfd.stop();
    }
  });
});
