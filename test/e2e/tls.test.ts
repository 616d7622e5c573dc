/**
 * Mutual TLS (`tls_cert`, `tls_key`, `tls_ca`): the scenario passes on a cluster whose every
 * connection is TLS with certificates made by openssl here; a client without a certificate, or
 * with one another CA signed, gets nothing from a server; a certificate the CA signed says hello
 * only as the roles it names.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { connect } from '../../src/client/index.js';
import { queryServer } from '../../src/transport/query.js';
import { killEverything, startSteadfast } from './cluster-helpers.js';
import { killAllAndCheck, startRole, waitForLine, writeConfig } from '../support/processes.js';
import { haveOpenssl, makeCertificates, removeCertificates, type Certificates } from '../support/tls.js';

describe('e2e: mutual TLS', function () {
  this.timeout(130_000);
  let certs: Certificates;

  before(function () {
    if (!haveOpenssl()) {
      if (process.env.CI) throw new Error('openssl is missing (.ci/run installs it)');
      console.log('      skipped: openssl is not installed');
      this.skip();
    }
    certs = makeCertificates();
  });
  after(() => certs && removeCertificates(certs));
  afterEach(async () => {
    await killAllAndCheck();
    await killEverything();
  });

  const tlsKeys = () => ({ tls_cert: certs.cert, tls_key: certs.key, tls_ca: certs.ca });

  it('a server answers only a client whose certificate the cluster CA signed', async () => {
    const cluster = await writeConfig({ servers: 1, cluster: { ...tlsKeys(), heartbeat_timeout: 3 } });
    const server = startRole(['server', '--name', 'S1', '--config', cluster.file]);
    await waitForLine(server, /S1 started on /);
    const { port } = cluster.server('S1');
    const pem = (f: string) => readFileSync(f, 'utf8');

    const status = await queryServer('127.0.0.1', port, 'S1', 5000, { cert: pem(certs.cert), key: pem(certs.key), ca: pem(certs.ca) });
    expect([status.server, status.phase]).to.deep.equal(['S1', 'booting']);

    // Plain TCP: the bytes are no TLS handshake; nothing comes back but the close.
    const plain = await new Promise<string>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => s.write('<ops, S1, status>'));
      let got = '';
      s.on('data', (d) => (got += d.toString('latin1')));
      s.on('error', () => {});
      s.on('close', () => resolve(got));
    });
    expect(plain).to.not.include('status>');
    // A certificate from another CA: the handshake fails.
    const refused = await queryServer('127.0.0.1', port, 'S1', 5000, { cert: pem(certs.strangerCert), key: pem(certs.strangerKey), ca: pem(certs.ca) }).then(
      () => null,
      (err: Error) => err,
    );
    expect(refused).to.be.instanceOf(Error);
    // No certificate at all.
    const bare = await new Promise<boolean>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port, ca: pem(certs.ca) }, () => s.write('<ops, S1, status>'));
      s.on('data', () => resolve(true));
      s.on('error', () => resolve(false));
      s.on('close', () => resolve(false));
    });
    expect(bare).to.equal(false);
  });

  it('a certificate the CA signed says hello only as a role it names; a client\'s, naming none, still sends requests', async () => {
    const cluster = await writeConfig({ servers: 1, cluster: { ...tlsKeys(), heartbeat_timeout: 3 } });
    const server = startRole(['server', '--name', 'S1', '--config', cluster.file]);
    await waitForLine(server, /S1 started on /);
    const { port, peerPort } = cluster.server('S1');
    const pem = (f: string) => readFileSync(f, 'utf8');
    /** S1's first answer to `text` on a port over TLS with the given certificate (or what came before a close or 5 s). */
    const exchange = (at: number, cert: string, key: string, text: string) =>
      new Promise<string>((resolve) => {
        let got = '';
        const s = tls.connect({ host: '127.0.0.1', port: at, cert: pem(cert), key: pem(key), ca: pem(certs.ca) }, () => s.write(text));
        const done = () => (clearTimeout(timer), s.destroy(), resolve(got));
        const timer = setTimeout(done, 5000);
        s.on('data', (d) => ((got += d.toString()), got.includes('>') && done()));
        s.on('error', () => {});
        s.on('close', done);
      });
    expect(await exchange(peerPort, certs.clientCert, certs.clientKey, '<LFD1, lfd, 1, hello><LFD1, S1, 1, heartbeat>')).to.equal(
      '<S1, the certificate does not name LFD1 (it names no steadfast role), error>',
    );
    expect(await exchange(peerPort, certs.cert, certs.key, '<LFD1, lfd, 1, hello>')).to.equal('<S1, server, 1, hello>');
    expect(await exchange(port, certs.clientCert, certs.clientKey, '<ops, S1, status>')).to.match(/^<S1, -, -, booting, /);
    await waitForLine(server, /the certificate does not name LFD1/);
  });

  it('the client library, given only the RM address and the PEM files, works over TLS', async () => {
    const cluster = await writeConfig({ servers: 1, cluster: { ...tlsKeys(), heartbeat_timeout: 3 } });
    const cfg = ['--config', cluster.file];
    const rm = startRole(['rm', ...cfg]);
    startRole(['lfd', '--name', 'LFD1', ...cfg]);
    startRole(['gfd', ...cfg]);
    await waitForLine(rm, /RM: primary is S1$/, 20_000);
    const client = await connect({ rm: `127.0.0.1:${cluster.rmPort}`, name: 'web', tls: { cert: certs.cert, key: certs.key, ca: certs.ca } });
    try {
      expect(await client.request('over tls', { timeoutMs: 10_000 })).to.equal('over tls');
    } finally {
      await client.close();
    }
    // Without the files, the RM's port gives nothing.
    const refused = await connect({ rm: `127.0.0.1:${cluster.rmPort}`, name: 'plain' }).then(
      async (c) => (await c.close(), null),
      (err: Error) => err,
    );
    expect(refused).to.be.instanceOf(Error);
  });

  it('per-role paths: S2 and LFD2 present their own certificate (naming them), the others [cluster]\'s (not naming them); the scenario passes', async () => {
    const cluster = await writeConfig({ servers: 3, cluster: { tls_cert: certs.restCert, tls_key: certs.restKey, tls_ca: certs.ca }, clients: { C1: {}, C2: {}, C3: {} } });
    const own = `tls_cert = ${certs.pairCert}\ntls_key = ${certs.pairKey}\n`;
    writeFileSync(cluster.file, readFileSync(cluster.file, 'utf8').replace('[server.S2]\n', `[server.S2]\n${own}`).replace('[lfd.LFD2]\n', `[lfd.LFD2]\n${own}`));
    const run = startSteadfast(['scenario', 'passive', '--config', cluster.file]);
    const exit = await run.ended(60_000);
    expect(exit, `exit of the scenario\n${run.tail(60)}`).to.deep.equal({ code: 0, signal: null });
  });

  for (const mode of ['passive', 'active'] as const) {
    it(`${mode}: the scenario's eight steps pass with every connection over TLS`, async () => {
      const cluster = await writeConfig({ servers: 3, cluster: tlsKeys(), clients: { C1: {}, C2: {}, C3: {} } });
      const run = startSteadfast(['scenario', mode, '--config', cluster.file]);
      const exit = await run.ended(60_000);
      expect(exit, `exit of the scenario\n${run.tail(60)}`).to.deep.equal({ code: 0, signal: null });
    });
  }
});
