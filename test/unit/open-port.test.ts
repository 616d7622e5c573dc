import { expect } from 'chai';
import { openPortWarning } from '../../src/cli/run-role.js';

describe('the warning for a role port open beyond loopback with no secret', () => {
  it('is said for a peer, GFD or RM port on another address with no secret', () => {
    for (const kind of ['server-peer', 'gfd', 'rm'] as const) {
      expect(openPortWarning({ kind, host: '0.0.0.0', secret: null }, 7001)).to.equal(
        'listens on 0.0.0.0:7001 for its peers with no secret: anyone who can reach it can claim a role (set secret in [cluster]; docs/security.md)',
      );
    }
    expect(openPortWarning({ kind: 'rm', host: '10.0.0.5', secret: undefined }, 7000)).to.match(/^listens on 10\.0\.0\.5:7000 /);
  });

  it('is not said on loopback, with a secret, or for a client port', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(openPortWarning({ kind: 'gfd', host, secret: null }, 1), host).to.equal(null);
    expect(openPortWarning({ kind: 'gfd', host: '0.0.0.0', secret: 'a-secret-of-16-chars' }, 1)).to.equal(null);
    expect(openPortWarning({ kind: 'server-client', host: '0.0.0.0', secret: null }, 1)).to.equal(null);
  });
});
