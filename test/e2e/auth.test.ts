/**
 * Authenticated hellos against real processes (docs/protocol.md, docs/security.md). One server with
 * a secret, driven over raw TCP as in nc.test.ts: a stranger who claims to be its LFD is challenged,
 * cannot make it primary (the attack "two primaries" of issue 16), and is closed after a bad proof;
 * a peer that knows the secret, computing the proofs from the documented text with node:crypto
 * alone, is let in and can. Then the whole scenario runs on a cluster with a secret.
 */
import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { killEverything, startSteadfast } from './cluster-helpers.js';
import {
  closeRawConns,
  connectRaw,
  killAllAndCheck,
  startRole,
  waitForLine,
  writeConfig,
  type RawConn,
  type TestCluster,
} from '../support/processes.js';

const SECRET = 'correct-horse-battery-staple';

/** The proof as docs/protocol.md defines it, written independently of src/protocol/auth.ts. */
function proof(secret: string, side: 'connector' | 'listener', nonces: [string, string]): string {
  const text = ['steadfast hello', '1', side, nonces[0], nonces[1], 'LFD1', 'lfd', 'S1', 'server'].join('\n');
  return createHmac('sha256', secret).update(text).digest('hex');
}

describe('e2e: authenticated hellos (a secret in [cluster])', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let peer: RawConn;

  async function status(): Promise<string> {
    const ops = await connectRaw(cluster.server('S1').port, 5000, 'S1 client port');
    ops.sendText('<ops, S1, status>');
    return ops.nextFrame();
  }

  /** Says hello as LFD1 and returns the server's nonce from its challenge. */
  async function hello(): Promise<string> {
    peer = await connectRaw(cluster.server('S1').peerPort, 5000, 'S1 peer port');
    peer.sendText('<LFD1, lfd, 1, hello>');
    const challenge = await peer.nextFrame();
    const m = /^<S1, server, 1, ([0-9a-f]{32}), challenge>$/.exec(challenge);
    expect(m, challenge).to.not.equal(null);
    return m![1]!;
  }

  beforeEach(async () => {
    cluster = await writeConfig({ servers: 1, cluster: { secret: SECRET, heartbeat_timeout: 3 } });
    const server = startRole(['server', '--name', 'S1', '--config', cluster.file]);
    await waitForLine(server, /S1 started on /);
  });

  afterEach(async () => {
    closeRawConns();
    await killAllAndCheck();
    await killEverything();
  });

  it('a stranger claiming to be the LFD is challenged, refused a ready, and closed after a bad proof', async () => {
    await hello();
    peer.sendText('<S1, passive, primary, 1000, , ready>');
    expect(await peer.nextFrame()).to.equal("<S1, frame 'ready' not allowed on this link, error>");
    peer.sendText(`<LFD1, ${'0'.repeat(32)}, ${proof('a-guess-at-the-secret', 'connector', ['0'.repeat(32), '0'.repeat(32)])}, prove>`);
    expect(await peer.nextFrame()).to.equal("<S1, authentication failed: lfd LFD1 did not prove the cluster's secret, error>");
    await peer.waitClosed();
    expect(await status()).to.match(/^<S1, -, -, booting, .*, 0, 0, \d+, status>$/);
  });

  it('a peer that knows the secret proves it, checks the server\'s proof, and is taken at its word', async () => {
    const theirs = await hello();
    const mine = 'a5'.repeat(16);
    peer.sendText(`<LFD1, ${mine}, ${proof(SECRET, 'connector', [mine, theirs])}, prove>`);
    expect(await peer.nextFrame()).to.equal(`<S1, ${proof(SECRET, 'listener', [mine, theirs])}, proved>`);
    peer.sendText('<LFD1, S1, 1, heartbeat>');
    expect(await peer.nextFrame()).to.equal('<S1, LFD1, 1, heartbeat>');
    peer.sendText('<S1, passive, primary, 1, , ready>');
    expect(await peer.readFramesUntil(/^<S1, 1, serving>$/)).to.deep.equal(['<S1, 1, serving>']);
  });
});

describe('e2e: the scenario on a cluster with a secret', function () {
  this.timeout(70_000);
  afterEach(killEverything);

  it('passive: all eight steps pass over authenticated links', async () => {
    const cluster = await writeConfig({ servers: 3, cluster: { secret: SECRET }, clients: { C1: {}, C2: {}, C3: {} } });
    const run = startSteadfast(['scenario', 'passive', '--config', cluster.file]);
    const exit = await run.ended(60_000);
    expect(exit, `exit of the scenario\n${run.tail(60)}`).to.deep.equal({ code: 0, signal: null });
    expect(run.lines.join('\n')).to.not.match(/authentication failed/);
  });
});
