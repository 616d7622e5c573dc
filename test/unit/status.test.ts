/** A server's status answer: the state whole to the tools, summarized to the cluster's roles when it is large. */
import { expect } from 'chai';
import sinon from 'sinon';
import { logApp } from '../../src/app/log.js';
import { parseConfig } from '../../src/config/load.js';
import { initialData, restore, statusOf, type ReplicaData } from '../../src/core/replica.js';
import { partChars } from '../../src/protocol/transfer.js';
import { summarizeState } from '../../src/protocol/state-summary.js';
import { iniText } from '../../src/sim/world.js';

const config = parseConfig(
  iniText({ app: 'log', mode: 'passive', durability: 'sync', heartbeatFreqS: 1, heartbeatTimeoutS: 3, checkpointFreqS: 5, servers: 2, clients: [] }),
  'status.ini',
);
const replica = (entries: string[]): ReplicaData => restore(initialData('S1', 1, logApp, config.cluster), [logApp.snapshot(entries)], [], entries.length);
const large = Array.from({ length: 400 }, (_, i) => `${i}-`.padEnd(1000, 'x'));

describe('server status', () => {
  it('a state larger than one part of max_frame goes to the RM and the LFDs as its length and CRC, without its text built', () => {
    const d = replica(large);
    expect(d.size).to.be.above(partChars(config.cluster.maxFrame));
    const whole = sinon.spy(logApp, 'snapshot');
    try {
      const toRm = statusOf(d, 'ready', 'RM').state;
      const toLfd = statusOf(d, 'ready', 'LFD1').state;
      expect(whole.callCount).to.equal(0);
      expect(toRm).to.match(/^\(400399 characters, CRC-32C [0-9A-F]{8}\)$/).and.to.equal(toLfd);
    } finally {
      whole.restore();
    }
  });

  it('the summary is the same for equal states and differs for different ones', () => {
    const summary = statusOf(replica(large), 'ready', 'RM').state;
    expect(statusOf(replica([...large]), 'ready', 'RM').state).to.equal(summary);
    expect(summarizeState(large.join(';'))).to.equal(summary);
    const other = [...large];
    other[200] = other[200]!.replace('x', 'y');
    expect(statusOf(replica(other), 'ready', 'RM').state).not.to.equal(summary);
  });

  it('the tools (ops) get the state whole, and everyone gets a small one whole', () => {
    expect(statusOf(replica(large), 'ready', 'ops').state).to.equal(logApp.snapshot(large));
    expect(statusOf(replica(['a', 'b;c']), 'ready', 'RM').state).to.equal('a;b%3Bc');
  });
});
