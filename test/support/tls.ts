/**
 * Certificates for TLS tests, made with `openssl` at test time in a temporary folder: a CA and a
 * certificate it signed for 127.0.0.1 and localhost naming every role of a test cluster (RM, GFD,
 * LFD1-3, S1-3: every role uses it), one it signed naming no role (a client's), and a stranger's CA
 * and certificate that the cluster must refuse.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certificates {
  dir: string;
  /** The cluster's CA, and a certificate it signed naming every role (key readable by its owner only). */
  ca: string;
  cert: string;
  key: string;
  /** A certificate the cluster's CA signed that names no role, same names. */
  clientCert: string;
  clientKey: string;
  /** Two the cluster's CA signed, for two hosts: one naming LFD2 and S2, one naming every other role. */
  pairCert: string;
  pairKey: string;
  restCert: string;
  restKey: string;
  /** Another CA's certificate and key, same names. */
  strangerCert: string;
  strangerKey: string;
}

/** Whether openssl runs here; under CI it must (`.ci/run` installs it). */
export function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function authority(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', ...EC, '-keyout', `${name}-ca.key`, '-out', `${name}-ca.pem`, '-days', '2', '-subj', `/CN=${name} test CA`]);
}

const ROLES = ['RM', 'GFD', 'LFD1', 'LFD2', 'LFD3', 'S1', 'S2', 'S3'];

function leaf(dir: string, ca: string, name: string, roles: string[] = []): void {
  openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  const uris = roles.map((r) => `,URI:steadfast:${r}`).join('');
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=IP:127.0.0.1,DNS:localhost${uris}\n`);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}-ca.pem`, '-CAkey', `${ca}-ca.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
  chmodSync(join(dir, `${name}.key`), 0o600);
}

export function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-tls-'));
  authority(dir, 'cluster');
  leaf(dir, 'cluster', 'node', ROLES);
  leaf(dir, 'cluster', 'client');
  leaf(dir, 'cluster', 'pair', ['LFD2', 'S2']);
  leaf(dir, 'cluster', 'rest', ROLES.filter((r) => r !== 'LFD2' && r !== 'S2'));
  authority(dir, 'stranger');
  leaf(dir, 'stranger', 'stranger');
  return {
    dir,
    ca: join(dir, 'cluster-ca.pem'),
    cert: join(dir, 'node.pem'),
    key: join(dir, 'node.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
    pairCert: join(dir, 'pair.pem'),
    pairKey: join(dir, 'pair.key'),
    restCert: join(dir, 'rest.pem'),
    restKey: join(dir, 'rest.key'),
    strangerCert: join(dir, 'stranger.pem'),
    strangerKey: join(dir, 'stranger.key'),
  };
}

export function removeCertificates(c: Certificates): void {
  rmSync(c.dir, { recursive: true, force: true });
}
