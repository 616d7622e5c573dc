/** `cluster --admin PORT`: each role its own port, in the order the roles start. */
import { expect } from 'chai';
import { adminPortsOf } from '../../src/cli/cluster.js';
import { UsageError } from '../../src/cli/args.js';
import { loadConfig } from '../../src/config/load.js';

describe('cluster --admin', () => {
  const config = loadConfig({});

  it('numbers RM, GFD, each LFD (its server takes the next port) and the clients from PORT on', () => {
    const ports = adminPortsOf(config, ['C1', 'C2'], 9464);
    expect([...ports]).to.deep.equal([
      ['RM', 9464], ['GFD', 9465], ['LFD1', 9466], ['LFD2', 9468], ['LFD3', 9470], ['C1', 9472], ['C2', 9473],
    ]);
  });

  it('port 0 gives every role any free port, and a range past 65535 is refused', () => {
    expect(new Set(adminPortsOf(config, ['C1'], 0).values())).to.deep.equal(new Set([0]));
    expect(() => adminPortsOf(config, ['C1'], 65530)).to.throw(UsageError, /go past 65535/);
  });
});
