/** An RM by name (SPEC §8): it listens where its own section says and goes by its name. */
import { expect } from 'chai';
import { createActor, fromCallback } from 'xstate';
import { rmMachine } from '../../src/actors/rm.js';
import { parseConfig } from '../../src/config/load.js';
import type { LogEvent } from '../../src/log/events.js';
import type { LinksInput, ListenerInput, TransportCommand } from '../../src/transport/types.js';

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
[server.S1]
host = 127.0.0.1
port = 7101
peer_port = 7201
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
      expect(listener!.names).to.deep.include({ rm: ['RM1', 'RM2'], gfd: ['GFD1'] });
      expect(probes!.self).to.deep.equal({ name: 'RM2', role: 'rm' });
      expect(printed).to.deep.equal([{ event: 'members', name: 'RM2', members: [] }]);
    } finally {
      rm.stop();
    }
  });
});
