/**
 * `chaos --hosts`: where the roles go (the RM and GFD on the first host, each server with its LFD
 * on its own), and the network faults: one at a time, each healed after its time.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { NetworkFaults, placeOnHosts, LOSS_PCT } from '../../src/cli/chaos-hosts.js';
import { loadConfig } from '../../src/config/load.js';
import type { TestHost, TestNetwork } from '../../src/hosts/network.js';

const hosts: TestHost[] = [1, 2, 3, 4].map((i) => ({ name: `h${i}`, ns: `ns${i}`, address: `10.231.7.${i}` }));

/** A network that only records what was asked of it. */
function recordingNetwork(): { network: TestNetwork; calls: string[] } {
  const calls: string[] = [];
  const network = {
    hosts,
    isolate: (h: TestHost) => void calls.push(`isolate ${h.name}`),
    cut: (a: TestHost, b: TestHost) => void calls.push(`cut ${a.name}>${b.name}`),
    shape: (s: { lossPct: number }) => void calls.push(`loss ${s.lossPct}`),
    heal: () => void calls.push('heal'),
    unshape: () => void calls.push('unshape'),
  } as unknown as TestNetwork;
  return { network, calls };
}

/** A fixed sequence of draws for `random`. */
const draws = (...xs: number[]) => () => xs.shift() ?? 0;

describe('chaos --hosts: placement and network faults', () => {
  it('puts the RM and the GFD on the first host and each server with its LFD on its own; clients stay outside', () => {
    const { network } = recordingNetwork();
    const { config, placement } = placeOnHosts(loadConfig({}), network);
    expect(config.rms.map((r) => r.host)).to.deep.equal(['10.231.7.1']);
    expect(config.gfds.map((g) => g.host)).to.deep.equal(['10.231.7.1']);
    expect(config.servers.map((s) => [s.name, s.host, s.peerHost])).to.deep.equal([
      ['S1', '10.231.7.2', '10.231.7.2'], ['S2', '10.231.7.3', '10.231.7.3'], ['S3', '10.231.7.4', '10.231.7.4'],
    ]);
    expect(['RM', 'GFD', 'LFD1', 'LFD2', 'LFD3', 'C1'].map(placement.hostOf)).to.deep.equal(['ns1', 'ns1', 'ns2', 'ns3', 'ns4', null]);
  });

  it('one fault at a time, healed after its time: the primary\'s host, the RM\'s and GFD\'s, a one-way cut, loss', () => {
    const clock = sinon.useFakeTimers();
    try {
      const { network, calls } = recordingNetwork();
      const { placement } = placeOnHosts(loadConfig({}), network);
      // Each strike draws its kind, its time, then its target.
      const faults = new NetworkFaults(network, placement, 1000, draws(0.1, 0, 0.5, 0.5, 0, 0.7, 0, 0, 0, 0.9, 0, 0));
      expect(faults.strike('S2', 'primary')).to.equal('isolate primary host');
      expect(faults.strike('S2', 'primary'), 'another while one is on').to.equal(null);
      clock.tick(499);
      expect(calls).to.deep.equal(['isolate h3']);
      clock.tick(1);
      expect(faults.active).to.equal(false);
      expect(faults.strike('S2', 'primary')).to.equal('isolate RM/GFD host');
      clock.tick(500);
      expect(faults.strike(null, 'primary')).to.equal('one-way cut');
      clock.tick(500);
      expect(faults.strike(null, 'primary')).to.equal(`${LOSS_PCT}% loss`);
      clock.tick(1999);
      expect(faults.active, 'loss lasts twice the timeout at least').to.equal(true);
      clock.tick(1);
      expect(calls).to.deep.equal([
        'isolate h3', 'heal', 'unshape', 'isolate h1', 'heal', 'unshape', 'cut h1>h2', 'heal', 'unshape', `loss ${LOSS_PCT}`, 'heal', 'unshape',
      ]);
    } finally {
      clock.restore();
    }
  });
});
