/** A GFD by name (SPEC §8): it listens where its own section says and goes by its name. */
import { expect } from 'chai';
import { createActor, fromCallback } from 'xstate';
import { gfdMachine } from '../../src/actors/gfd.js';
import { parseConfig } from '../../src/config/load.js';
import { summarize } from '../../src/inspect/summary.js';
import type { LogEvent } from '../../src/log/events.js';
import type { LinkInput, ListenerInput, TransportCommand } from '../../src/transport/types.js';

const INI = `
[cluster]
coordinator = etcd
[etcd]
endpoints = http://127.0.0.1:2379
[rm]
host = 127.0.0.1
port = 7000
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
`;

describe('gfd: by name', () => {
  it('GFD2 listens on [gfd.GFD2], accepts the configured names, stands by, and once elected links to the leading RM as GFD2', () => {
    const config = parseConfig(INI, 'named.ini');
    let listener: ListenerInput | null = null;
    let rmLink: LinkInput | null = null;
    const printed: LogEvent[] = [];
    const machine = gfdMachine.provide({
      actors: {
        listener: fromCallback<TransportCommand, ListenerInput>(({ input }) => void (listener = input)),
        link: fromCallback<TransportCommand, LinkInput>(({ input }) => void (rmLink = input)),
      },
    });
    const gfd = createActor(machine, { input: { config, print: (e: LogEvent) => void printed.push(e), name: 'GFD2' } }).start();
    try {
      expect(listener).to.include({ host: '127.0.0.2', port: 7011 });
      expect(listener!.self).to.deep.equal({ name: 'GFD2', role: 'gfd' });
      expect(listener!.names).to.deep.include({ gfd: ['GFD1', 'GFD2'] });
      expect(printed).to.deep.equal([{ event: 'members', name: 'GFD2', members: [] }]);
      // With a coordinator it links to no RM until the RMs' election names one and it leads the GFDs.
      expect(rmLink).to.equal(null);
      gfd.send({ type: 'lead.leader', role: 'rm', name: 'RM' });
      expect(printed.at(-1)).to.deep.equal({ event: 'note', name: 'GFD2', level: 'warn', text: 'follows RM, the leading RM' });
      gfd.send({ type: 'lead.leader', role: 'gfd', name: 'GFD1' });
      expect(printed.at(-1)).to.deep.equal({ event: 'leadership', name: 'GFD2', state: 'standby', leader: 'GFD1' });
      expect(rmLink, 'a standby has no link to the RM').to.equal(null);
      // The inspector's row says so too.
      const summary = () => summarize('gfd', gfd.getSnapshot().value, gfd.getSnapshot().context);
      expect(summary()).to.deep.equal({ kind: 'gfd', members: [], standby: true, leader: 'GFD1' });
      gfd.send({ type: 'lead.elected', role: 'gfd', floor: 0 });
      expect(summary()).to.deep.equal({ kind: 'gfd', members: [], standby: false, leader: 'GFD2' });
      expect(printed.at(-1)).to.deep.equal({ event: 'leadership', name: 'GFD2', state: 'leading' });
      expect(rmLink).to.include({ host: '127.0.0.1', port: 7000 });
      expect(rmLink!.self).to.deep.equal({ name: 'GFD2', role: 'gfd' });
    } finally {
      gfd.stop();
    }
  });
});
