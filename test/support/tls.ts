/**
 * Certificates for TLS tests, made with `openssl` at test time in a temporary folder: a CA and one
 * certificate it signed for 127.0.0.1 and localhost (every role of a test cluster uses it), and a
 * stranger's CA and certificate that the cluster must refuse.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certificates {
  dir: string;
  /** The cluster's CA, and a certificate it signed (key readable by its owner only). */
  ca: string;
  cert: string;
  key: string;
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

function leaf(dir: string, ca: string, name: string): void {
  openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  writeFileSync(join(dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}-ca.pem`, '-CAkey', `${ca}-ca.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
  chmodSync(join(dir, `${name}.key`), 0o600);
}

export function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-tls-'));
  authority(dir, 'cluster');
  leaf(dir, 'cluster', 'node');
  authority(dir, 'stranger');
  leaf(dir, 'stranger', 'stranger');
  return {
    dir,
    ca: join(dir, 'cluster-ca.pem'),
    cert: join(dir, 'node.pem'),
    key: join(dir, 'node.key'),
    strangerCert: join(dir, 'stranger.pem'),
    strangerKey: join(dir, 'stranger.key'),
  };
}

export function removeCertificates(c: Certificates): void {
  rmSync(c.dir, { recursive: true, force: true });
}
