import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { configToIni } from '../../src/cli/cluster/ini.js';
import { DEFAULT_CONFIG_SOURCE, DEFAULT_CONFIG_TEXT } from '../../src/config/default.js';
import {
  ConfigError,
  loadConfig,
  overridesToArgs,
  parseConfig,
  parseOverrides,
} from '../../src/config/load.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const examples = join(root, 'examples');

/** The smallest valid file; tests add or change lines. */
const BASE = `
[rm]
host = 127.0.0.1
port = 7000
[gfd]
host = 127.0.0.1
port = 7001
[server.S1]
host = 127.0.0.1
port = 7101
peer_port = 7201
[server.S2]
host = 127.0.0.1
port = 7102
peer_port = 7202
[lfd.LFD1]
server = S1
`;

function refuse(text: string, message: string): void {
  expect(() => parseConfig(text, 'cluster.ini')).to.throw(ConfigError).with.property('message', message);
}

describe('config', () => {
  describe('defaults and shape', () => {
    it('fills in every [cluster] default, in milliseconds', () => {
      const c = parseConfig(BASE, 'cluster.ini');
      expect(c.source).to.equal('cluster.ini');
      expect(c.cluster).to.deep.equal({
        mode: 'passive',
        heartbeatFreqMs: 1000,
        heartbeatTimeoutMs: 3000,
        checkpointFreqMs: 5000,
        durability: 'sync',
        app: 'status',
        maxFrame: 1048576,
        maxStateFrame: 67108864,
        maxConnections: 1024,
        maxClients: 10000,
        tls: null,
        secret: null,
      });
      expect(c.rms).to.deep.equal([{ name: 'RM', host: '127.0.0.1', port: 7000 }]);
      expect(c.gfds).to.deep.equal([{ name: 'GFD', host: '127.0.0.1', port: 7001 }]);
      expect(c.lfds).to.deep.equal([{ name: 'LFD1', server: 'S1' }]);
      expect(c.clients).to.deep.equal([]);
    });

    it('takes decimal seconds and fills client defaults', () => {
      const c = parseConfig(
        `[cluster]\nheartbeat_freq = 0.25\nheartbeat_timeout = 1.5\ncheckpoint_freq = 0.1\n${BASE}[client.C1]\n[client.C2]\ninterval = 0.5\nmessage = hi`,
        'x.ini',
      );
      expect(c.cluster.heartbeatFreqMs).to.equal(250);
      expect(c.cluster.heartbeatTimeoutMs).to.equal(1500);
      expect(c.cluster.checkpointFreqMs).to.equal(100);
      expect(c.clients).to.deep.equal([
        { name: 'C1', intervalMs: 1000, message: 'hello_world' },
        { name: 'C2', intervalMs: 500, message: 'hi' },
      ]);
    });

    it('sorts servers, lfds and clients by name', () => {
      const c = parseConfig(
        `[server.S9]\nhost = h\nport = 1\npeer_port = 2\n${BASE}[lfd.LFD0]\nserver = S9\n[client.Z]\n[client.A]`,
        'x.ini',
      );
      expect(c.servers.map((s) => s.name)).to.deep.equal(['S1', 'S2', 'S9']);
      expect(c.servers[0]).to.deep.equal({ name: 'S1', host: '127.0.0.1', port: 7101, peerHost: '127.0.0.1', peerPort: 7201 });
      expect(c.lfds.map((l) => l.name)).to.deep.equal(['LFD0', 'LFD1']);
      expect(c.clients.map((l) => l.name)).to.deep.equal(['A', 'Z']);
    });

    it('takes a quoted value whole, so ; and # survive', () => {
      const c = parseConfig(
        `${BASE}[client.C1]\nmessage = "a;b"\n[client.C2]\nmessage = 'c#d' ; a comment\n[client.C3]\nmessage = "say \\"hi\\"" # comment`,
        'x.ini',
      );
      expect(c.clients.map((x) => x.message)).to.deep.equal(['a;b', 'c#d', 'say "hi"']);
    });

    it('cuts an unquoted value at ; or # (the ini rule), unless escaped', () => {
      const c = parseConfig(`${BASE}[client.C1]\nmessage = a;b\n[client.C2]\nmessage = a\\;b # c`, 'x.ini');
      expect(c.clients.map((x) => x.message)).to.deep.equal(['a', 'a;b']);
    });

    it('allows comments, blank lines, CRLF, a BOM, and an empty message or secret', () => {
      const text = '\uFEFF# top\r\n[cluster]   ; comment\r\nsecret =\r\n\r\n' + BASE.replace(/\n/g, '\r\n') + '[client.C1]\r\nmessage =\r\n';
      const c = parseConfig(text, 'x.ini');
      expect(c.cluster.secret).to.equal(null);
      expect(c.clients[0]?.message).to.equal('');
    });

    it('keeps a secret of 16 characters or more, and refuses a shorter one', () => {
      expect(parseConfig(`[cluster]\nsecret = s3cret-s3cret-s3cret\n${BASE}`, 'x.ini').cluster.secret).to.equal('s3cret-s3cret-s3cret');
      expect(() => parseConfig(`[cluster]\nsecret = s3cret\n${BASE}`, 'x.ini')).to.throw(ConfigError, 'x.ini: [cluster] secret: at least 16 characters (e.g. openssl rand -hex 32)');
    });

    it('reads secret_file, relative to the file, only when no one else may read it', () => {
      const dir = mkdtempSync(join(tmpdir(), 'steadfast-secret-'));
      try {
        const file = join(dir, 'secret');
        writeFileSync(file, '0123456789abcdef0123\n', { mode: 0o600 });
        const text = `[cluster]\nsecret_file = secret\n${BASE}`;
        expect(parseConfig(text, 'x.ini', {}, dir).cluster.secret).to.equal('0123456789abcdef0123');
        chmodSync(file, 0o640);
        expect(() => parseConfig(text, 'x.ini', {}, dir)).to.throw(ConfigError, `x.ini: [cluster] secret_file: ${file} may be read by others (chmod 600 ${file})`);
        expect(() => parseConfig(`[cluster]\nsecret_file = nothing-here\n${BASE}`, 'x.ini', {}, dir)).to.throw(ConfigError, /secret_file: cannot read .*nothing-here \(ENOENT\)/);
        expect(() => parseConfig(`[cluster]\nsecret = 0123456789abcdef0123\nsecret_file = secret\n${BASE}`, 'x.ini', {}, dir)).to.throw(ConfigError, 'give secret or secret_file, not both');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('reads tls_cert, tls_key and tls_ca together, relative to the file, the key readable by its owner only', () => {
      const dir = mkdtempSync(join(tmpdir(), 'steadfast-tls-conf-'));
      try {
        const pem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
        for (const f of ['cert.pem', 'ca.pem']) writeFileSync(join(dir, f), pem);
        writeFileSync(join(dir, 'key.pem'), pem.replace(/CERTIFICATE/g, 'PRIVATE KEY'), { mode: 0o600 });
        const text = `[cluster]\ntls_cert = cert.pem\ntls_key = key.pem\ntls_ca = ca.pem\n${BASE}`;
        const tls = parseConfig(text, 'x.ini', {}, dir).cluster.tls!;
        expect([tls.certFile, tls.keyFile, tls.caFile]).to.deep.equal(['cert.pem', 'key.pem', 'ca.pem'].map((f) => join(dir, f)));
        expect(tls.cert).to.equal(pem);
        expect(() => parseConfig(`[cluster]\ntls_cert = cert.pem\n${BASE}`, 'x.ini', {}, dir)).to.throw(ConfigError, 'x.ini: [cluster] tls_cert: TLS needs tls_cert, tls_key and tls_ca (no tls_key, tls_ca)');
        chmodSync(join(dir, 'key.pem'), 0o644);
        expect(() => parseConfig(text, 'x.ini', {}, dir)).to.throw(ConfigError, /tls_key: .*key\.pem may be read by others/);
        chmodSync(join(dir, 'key.pem'), 0o600);
        writeFileSync(join(dir, 'ca.pem'), 'not a certificate');
        expect(() => parseConfig(text, 'x.ini', {}, dir)).to.throw(ConfigError, /tls_ca: .*ca\.pem is not PEM/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('lets a role\'s section replace [cluster]\'s TLS paths for that role, and reads only the loading role\'s files', () => {
      const dir = mkdtempSync(join(tmpdir(), 'steadfast-tls-conf-'));
      try {
        const pem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
        for (const f of ['cert.pem', 'ca.pem', 's2.pem']) writeFileSync(join(dir, f), pem.replace('AAAA', f));
        for (const f of ['key.pem', 's2.key']) writeFileSync(join(dir, f), pem.replace(/CERTIFICATE/g, 'PRIVATE KEY'), { mode: 0o600 });
        // S1's own key lies on another host: only S1 reads it.
        const text = `[cluster]\ntls_cert = cert.pem\ntls_key = key.pem\ntls_ca = ca.pem\n${BASE}`
          .replace('[server.S2]\n', '[server.S2]\ntls_cert = s2.pem\ntls_key = s2.key\n')
          .replace('[server.S1]\n', '[server.S1]\ntls_key = /elsewhere/s1.key\n');
        const s2 = parseConfig(text, 'x.ini', {}, dir, 'server.S2');
        expect([s2.cluster.tls!.certFile, s2.cluster.tls!.keyFile, s2.cluster.tls!.caFile]).to.deep.equal(['s2.pem', 's2.key', 'ca.pem'].map((f) => join(dir, f)));
        expect(s2.cluster.tls!.cert).to.include('s2.pem');
        const rm = parseConfig(text, 'x.ini', {}, dir, 'rm');
        expect(rm.cluster.tls!.certFile).to.equal(join(dir, 'cert.pem'));
        expect(rm.tlsOverrides).to.deep.equal({ 'server.S1': { key: '/elsewhere/s1.key' }, 'server.S2': { cert: join(dir, 's2.pem'), key: join(dir, 's2.key') } });
        expect(() => parseConfig(text, 'x.ini', {}, dir, 'server.S1')).to.throw(ConfigError, /^x\.ini: \[server\.S1\] tls_key: cannot read \/elsewhere\/s1\.key/);
        // The ini that scenario, chaos and cluster write keeps them.
        const again = parseConfig(configToIni(rm, 'again'), 'y.ini', {}, dir, 'server.S2');
        expect(again.tlsOverrides).to.deep.equal(rm.tlsOverrides);
        expect(again.cluster.tls!.keyFile).to.equal(join(dir, 's2.key'));
        expect(() => parseConfig(BASE.replace('[server.S2]\n', '[server.S2]\ntls_cert = s2.pem\n'), 'x.ini', {}, dir)).to.throw(
          ConfigError,
          'x.ini: [server.S2] tls_cert: TLS is off ([cluster] has no tls_cert, tls_key, tls_ca)',
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('gives each server a data folder: its own data_dir, else its name under [cluster] data_dir, relative to the file', () => {
      const text = `[cluster]\ndata_dir = data\n${BASE}`.replace('[server.S2]\n', '[server.S2]\ndata_dir = /srv/s2\n');
      const c = parseConfig(text, 'x.ini', {}, '/etc/steadfast');
      expect(c.servers.map((s) => [s.dataDir, s.dataDirFrom])).to.deep.equal([
        ['/etc/steadfast/data/S1', 'x.ini: [cluster] data_dir'],
        ['/srv/s2', 'x.ini: [server.S2] data_dir'],
      ]);
      expect(parseConfig(BASE, 'x.ini').servers.map((s) => s.dataDir)).to.deep.equal([undefined, undefined]);
      // Empty in a server's section: that one keeps its state in memory.
      expect(parseConfig(text.replace('data_dir = /srv/s2', 'data_dir ='), 'x.ini', {}, '/etc').servers.map((s) => s.dataDir)).to.deep.equal(['/etc/data/S1', undefined]);
    });

    it('keeps true/false as strings, unlike ini.parse', () => {
      const c = parseConfig(`${BASE}[client.C1]\nmessage = true`, 'x.ini');
      expect(c.clients[0]?.message).to.equal('true');
    });
  });

  describe('every mistake of SPEC §2 gets one line naming file, section and key', () => {
    it('unknown section', () => {
      refuse(`${BASE}[foo]\n`, 'cluster.ini: [foo]: unknown section (expected [cluster], [etcd], [rm] or [rm.NAME], [gfd] or [gfd.NAME], [server.NAME], [lfd.NAME] or [client.NAME])');
    });

    it('a named kind without a name, and a single one with a name', () => {
      refuse(`${BASE}[server]\n`, 'cluster.ini: [server]: needs a name, as in [server.NAME]');
      refuse(`${BASE}[cluster.X]\n`, 'cluster.ini: [cluster.X]: takes no name, write [cluster]');
    });

    it('unknown key', () => {
      refuse(`[cluster]\nheartbeat_frq = 1\n${BASE}`,
        'cluster.ini: [cluster] heartbeat_frq: unknown key (expected one of: mode, heartbeat_freq, heartbeat_timeout, checkpoint_freq, durability, app, max_frame, max_state_frame, max_connections, max_clients, secret, secret_file, tls_cert, tls_key, tls_ca, data_dir, coordinator)');
      refuse(`${BASE}[server.S3]\nhost = h\nport = 1\npeer = 2\n`,
        'cluster.ini: [server.S3] peer: unknown key (expected one of: host, port, peer_host, peer_port, data_dir, tls_cert, tls_key, tls_ca)');
    });

    it('duplicate section (ini.parse would merge it)', () => {
      refuse(`${BASE}[server.S1]\nhost = 127.0.0.1\n`, 'cluster.ini: [server.S1]: duplicate section');
      refuse(`[cluster]\n[cluster]\n${BASE}`, 'cluster.ini: [cluster]: duplicate section');
    });

    it('duplicate key', () => {
      refuse(`[cluster]\nmode = active\nmode = passive\n${BASE}`, 'cluster.ini: [cluster] mode: duplicate key');
    });

    it('missing key', () => {
      refuse(BASE.replace('peer_port = 7202\n', ''), 'cluster.ini: [server.S2] peer_port: missing');
      refuse(BASE.replace('host = 127.0.0.1\nport = 7000\n', ''), 'cluster.ini: [rm] host: missing');
      refuse(BASE.replace('port = 7001\n', ''), 'cluster.ini: [gfd] port: missing');
      refuse(`${BASE}[lfd.LFD2]\n`, 'cluster.ini: [lfd.LFD2] server: missing');
    });

    it('missing section, and no server at all', () => {
      refuse(BASE.replace('[gfd]\nhost = 127.0.0.1\nport = 7001\n', ''), 'cluster.ini: [gfd]: missing section');
      refuse('[rm]\nhost = h\nport = 1\n[gfd]\nhost = h\nport = 2\n',
        'cluster.ini: [server.*]: none defined (at least one server is required)');
    });

    it('empty value', () => {
      refuse(BASE.replace('port = 7101', 'port ='), 'cluster.ini: [server.S1] port: empty');
    });

    it('not a number', () => {
      refuse(BASE.replace('port = 7101', 'port = abc'), "cluster.ini: [server.S1] port: not a number: 'abc'");
      refuse(`[cluster]\nheartbeat_freq = 1s\n${BASE}`, "cluster.ini: [cluster] heartbeat_freq: not a number: '1s'");
      refuse(`[cluster]\ncheckpoint_freq = Infinity\n${BASE}`, "cluster.ini: [cluster] checkpoint_freq: not a number: 'Infinity'");
      refuse(`${BASE}[client.C1]\ninterval = 0x10`, "cluster.ini: [client.C1] interval: not a number: '0x10'");
    });

    it('not a whole number', () => {
      refuse(BASE.replace('port = 7101', 'port = 7101.5'), "cluster.ini: [server.S1] port: not a whole number: '7101.5'");
    });

    it('out of range', () => {
      refuse(BASE.replace('port = 7101', 'port = 70000'), "cluster.ini: [server.S1] port: out of range (1 to 65535): '70000'");
      refuse(BASE.replace('peer_port = 7201', 'peer_port = 0'), "cluster.ini: [server.S1] peer_port: out of range (1 to 65535): '0'");
      refuse(`[cluster]\nheartbeat_freq = 0\n${BASE}`, "cluster.ini: [cluster] heartbeat_freq: out of range (0.001 to 86400 seconds): '0'");
      refuse(`[cluster]\ncheckpoint_freq = -5\n${BASE}`, "cluster.ini: [cluster] checkpoint_freq: out of range (0.001 to 86400 seconds): '-5'");
      refuse(`[cluster]\nheartbeat_timeout = 100000\n${BASE}`, "cluster.ini: [cluster] heartbeat_timeout: out of range (0.001 to 86400 seconds): '100000'");
      refuse(`[cluster]\nmax_frame = 10\n${BASE}`, "cluster.ini: [cluster] max_frame: out of range (64 to 268435456): '10'");
      refuse(`[cluster]\nmax_connections = 0\n${BASE}`, "cluster.ini: [cluster] max_connections: out of range (1 to 1000000): '0'");
      refuse(`${BASE}[client.C1]\ninterval = 0`, "cluster.ini: [client.C1] interval: out of range (0.001 to 86400 seconds): '0'");
    });

    it('a value outside its set', () => {
      refuse(`[cluster]\nmode = warm\n${BASE}`, "cluster.ini: [cluster] mode: not active or passive: 'warm'");
      refuse(`[cluster]\ndurability = async\n${BASE}`, "cluster.ini: [cluster] durability: not sync or checkpoint: 'async'");
      refuse(`[cluster]\napp = \n${BASE}`, 'cluster.ini: [cluster] app: empty');
    });

    it('two members on one host:port', () => {
      refuse(BASE.replace('port = 7102', 'port = 7101'),
        'cluster.ini: [server.S2] port: 127.0.0.1:7101 is already used by [server.S1] port');
      refuse(BASE.replace('peer_port = 7201', 'peer_port = 7101'),
        'cluster.ini: [server.S1] peer_port: 127.0.0.1:7101 is already used by [server.S1] port');
      refuse(BASE.replace('peer_port = 7202', 'peer_port = 7001'),
        'cluster.ini: [server.S2] peer_port: 127.0.0.1:7001 is already used by [gfd] port');
      // The same port on different hosts is fine (a multi-host file).
      expect(() => parseConfig(BASE.replace('port = 7102', 'port = 7101').replace(/(\[server\.S2\]\n)host = 127.0.0.1/, '$1host = 10.0.0.2'), 'x')).not.to.throw();
    });

    it('two spellings of one address, or a wildcard, on one port', () => {
      const s2 = (host: string, port = 7101) => BASE.replace('port = 7102', `port = ${port}`).replace(/(\[server\.S2\]\n)host = 127.0.0.1/, `$1host = ${host}`);
      refuse(s2('localhost'), 'cluster.ini: [server.S2] port: localhost:7101 is already used by [server.S1] port');
      refuse(BASE.replace('port = 7102', 'port = 7101').replace(/(\[server\.S1\]\n)host = 127.0.0.1/, '$1host = ::1').replace(/(\[server\.S2\]\n)host = 127.0.0.1/, '$1host = 0:0:0:0:0:0:0:1'),
        'cluster.ini: [server.S2] port: [0:0:0:0:0:0:0:1]:7101 is already used by [server.S1] port');
      refuse(s2('0.0.0.0'), 'cluster.ini: [server.S2] port: 0.0.0.0:7101 is already used by [server.S1] port');
      expect(() => parseConfig(s2('::1'), 'x')).not.to.throw();
    });

    it('peer_host: the peer port on another interface (default: host), checked like any address', () => {
      const text = BASE.replace('peer_port = 7201', 'peer_host = 10.0.0.9\npeer_port = 7201');
      const c = parseConfig(text, 'x');
      expect(c.servers.map((s) => [s.name, s.host, s.peerHost])).to.deep.equal([['S1', '127.0.0.1', '10.0.0.9'], ['S2', '127.0.0.1', '127.0.0.1']]);
      // The same port on the two interfaces is fine; on one, it is not.
      expect(() => parseConfig(text.replace('peer_port = 7201', 'peer_port = 7101'), 'x')).not.to.throw();
      refuse(BASE.replace('peer_port = 7201', 'peer_host = localhost\npeer_port = 7101'), 'cluster.ini: [server.S1] peer_port: localhost:7101 is already used by [server.S1] port');
      refuse(BASE.replace('peer_port = 7201', 'peer_host = a b\npeer_port = 7201'), "cluster.ini: [server.S1] peer_host: not a host name or address: 'a b'");
    });

    it('an LFD naming no known server, or a server watched twice', () => {
      refuse(`${BASE}[lfd.LFD9]\nserver = S9\n`, "cluster.ini: [lfd.LFD9] server: no server named 'S9'");
      refuse(`${BASE}[lfd.LFD2]\nserver = S1\n`, 'cluster.ini: [lfd.LFD2] server: S1 is already watched by [lfd.LFD1]');
    });

    it('a name that does not match', () => {
      refuse(`${BASE}[server.a b]\n`, 'cluster.ini: [server.a b]: name must match [A-Za-z0-9_-]{1,32}');
      refuse(`${BASE}[client.${'x'.repeat(33)}]\n`, `cluster.ini: [client.${'x'.repeat(33)}]: name must match [A-Za-z0-9_-]{1,32}`);
      refuse(`${BASE}[lfd.]\n`, 'cluster.ini: [lfd.]: name must match [A-Za-z0-9_-]{1,32}');
    });

    it('one name for two members', () => {
      refuse(`${BASE}[client.S1]\n`, 'cluster.ini: [client.S1]: name S1 is already used by [server.S1]');
      refuse(`${BASE}[client.RM]\n`, 'cluster.ini: [client.RM]: name RM is already used by [rm]');
    });

    it('timeout not above freq', () => {
      refuse(`[cluster]\nheartbeat_freq = 1\nheartbeat_timeout = 1\n${BASE}`,
        'cluster.ini: [cluster] heartbeat_timeout: must exceed heartbeat_freq (1)');
      // Only the frequency written: blame it, not the default it collides with.
      refuse(`[cluster]\nheartbeat_freq = 5\n${BASE}`, 'cluster.ini: [cluster] heartbeat_freq: must be below heartbeat_timeout (3)');
      refuse(`[cluster]\nheartbeat_timeout = 0.5\n${BASE}`, 'cluster.ini: [cluster] heartbeat_timeout: must exceed heartbeat_freq (1)');
    });

    it('max_state_frame below max_frame', () => {
      refuse(`[cluster]\nmax_frame = 2000\nmax_state_frame = 1000\n${BASE}`,
        'cluster.ini: [cluster] max_state_frame: must be at least max_frame (2000)');
    });

    it('key outside a section', () => {
      refuse(`mode = active\n${BASE}`, 'cluster.ini: mode: key outside any section');
    });

    it('a line that is neither header nor key = value', () => {
      refuse(`[cluster]\nmode active\n${BASE}`, "cluster.ini: [cluster]: line 'mode active' is not 'key = value'");
      refuse(`${BASE}[server.S3\n`, "cluster.ini: [lfd.LFD1]: line '[server.S3' is not a [section] header");
      refuse(`[cluster\n${BASE}`, "cluster.ini: line '[cluster' is not a [section] header");
    });

    it('bad quoting', () => {
      refuse(`${BASE}[client.C1]\nmessage = "abc`, 'cluster.ini: [client.C1] message: quote " not closed');
      refuse(`${BASE}[client.C1]\nmessage = "a" b`, "cluster.ini: [client.C1] message: text after the closing quote: 'b'");
      refuse(`${BASE}[client.C1]\nmessage = "a\\qb"`, `cluster.ini: [client.C1] message: bad escape in quoted value: '"a\\qb"'`);
    });

    it('a bad host', () => {
      refuse(BASE.replace('host = 127.0.0.1\nport = 7000', 'host = a b\nport = 7000'),
        "cluster.ini: [rm] host: not a host name or address: 'a b'");
    });

    it('every message is one line', () => {
      try {
        parseConfig(`${BASE}[client.C1]\nmessage = "a\\nb\\q"`, 'cluster.ini');
        expect.fail('should throw');
      } catch (err) {
        expect((err as Error).message).not.to.include('\n');
      }
    });
  });

  describe('coordinator = etcd (SPEC §8)', () => {
    /** BASE with RMs and GFDs by name and an [etcd] section. */
    const ETCD = BASE.replace('[rm]\nhost = 127.0.0.1\nport = 7000\n[gfd]\nhost = 127.0.0.1\nport = 7001\n', [
      '[cluster]', 'coordinator = etcd',
      '[etcd]', 'endpoints = http://127.0.0.1:2379, https://etcd2.example:2379/',
      '[rm.RM2]', 'host = 127.0.0.1', 'port = 7010',
      '[rm.RM1]', 'host = 127.0.0.1', 'port = 7000',
      '[gfd.GFD1]', 'host = 127.0.0.1', 'port = 7001',
      '',
    ].join('\n'));

    it('reads RMs and GFDs by name and [etcd] with its defaults; the first RM and GFD stand for the one of before', () => {
      const c = parseConfig(ETCD, 'cluster.ini');
      expect(c.etcd).to.deep.equal({ endpoints: ['http://127.0.0.1:2379', 'https://etcd2.example:2379'], prefix: '/steadfast/', leaseTtlS: 2 });
      expect(c.rms).to.deep.equal([{ name: 'RM1', host: '127.0.0.1', port: 7000 }, { name: 'RM2', host: '127.0.0.1', port: 7010 }]);
      expect(c.gfds).to.deep.equal([{ name: 'GFD1', host: '127.0.0.1', port: 7001 }]);
      const again = parseConfig(configToIni(c, 'again'), 'again.ini');
      expect([again.etcd, again.rms, again.gfds]).to.deep.equal([c.etcd, c.rms, c.gfds]);
    });

    it('without it: one RM and one GFD, named as always, and no etcd', () => {
      const c = parseConfig(BASE, 'cluster.ini');
      expect([c.etcd, c.rms, c.gfds]).to.deep.equal([null, [{ name: 'RM', host: '127.0.0.1', port: 7000 }], [{ name: 'GFD', host: '127.0.0.1', port: 7001 }]]);
    });

    it('takes prefix and lease_ttl, and refuses what etcd could not use', () => {
      const c = parseConfig(ETCD.replace('[rm.RM2]', 'prefix = /prod/a/\nlease_ttl = 5\n[rm.RM2]'), 'cluster.ini');
      expect(c.etcd).to.include({ prefix: '/prod/a/', leaseTtlS: 5 });
      const withKey = (line: string) => ETCD.replace('[rm.RM2]', `${line}\n[rm.RM2]`);
      refuse(withKey('prefix = steadfast'), "cluster.ini: [etcd] prefix: must start and end with '/': 'steadfast'");
      refuse(withKey('lease_ttl = 0'), "cluster.ini: [etcd] lease_ttl: out of range (1 to 3600): '0'");
      refuse(withKey('lease_ttl = 1.5'), "cluster.ini: [etcd] lease_ttl: not a whole number: '1.5'");
      refuse(ETCD.replace('http://127.0.0.1:2379', '127.0.0.1:2379'), "cluster.ini: [etcd] endpoints: not an etcd client URL (http://HOST:PORT or https://HOST:PORT): '127.0.0.1:2379'");
      refuse(ETCD.replace('http://127.0.0.1:2379', 'http://127.0.0.1'), "cluster.ini: [etcd] endpoints: not an etcd client URL (http://HOST:PORT or https://HOST:PORT): 'http://127.0.0.1'");
      refuse(ETCD.replace('http://127.0.0.1:2379', 'ftp://h:1'), "cluster.ini: [etcd] endpoints: not an etcd client URL (http://HOST:PORT or https://HOST:PORT): 'ftp://h:1'");
    });

    it('refuses names without etcd, a bare section beside named ones, [etcd] without etcd, etcd without [etcd], and a clash of ports', () => {
      refuse(ETCD.replace('coordinator = etcd', 'coordinator = none').replace(/\[etcd\][^[]*/, ''), 'cluster.ini: [rm.RM2]: RMs by name need [cluster] coordinator = etcd (write one [rm])');
      refuse(ETCD.replace('coordinator = etcd', 'coordinator = zookeeper'), "cluster.ini: [cluster] coordinator: not none or etcd: 'zookeeper'");
      refuse(ETCD.replace('coordinator = etcd', ''), 'cluster.ini: [etcd]: read only with [cluster] coordinator = etcd');
      refuse(ETCD.replace(/\[etcd\][^[]*/, ''), 'cluster.ini: [etcd]: missing section (needed with [cluster] coordinator = etcd)');
      refuse(`${ETCD}[gfd]\nhost = 127.0.0.1\nport = 7002\n`, 'cluster.ini: [gfd.GFD1]: with [gfd] too (write one [gfd], or GFDs by name only)');
      refuse(ETCD.replace('port = 7010', 'port = 7000'), 'cluster.ini: [rm.RM1] port: 127.0.0.1:7000 is already used by [rm.RM2] port');
      refuse(`${ETCD}[server.RM1]\nhost = h\nport = 1\npeer_port = 2\n`, 'cluster.ini: [server.RM1]: name RM1 is already used by [rm.RM1]');
    });
  });

  describe('overrides', () => {
    it('parses flags into milliseconds and enum values', () => {
      expect(parseOverrides({ mode: 'active', heartbeatFreq: '0.5', heartbeatTimeout: '2', checkpointFreq: '10', durability: 'checkpoint', app: 'log' }))
        .to.deep.equal({ mode: 'active', heartbeatFreqMs: 500, heartbeatTimeoutMs: 2000, checkpointFreqMs: 10000, durability: 'checkpoint', app: 'log' });
      expect(parseOverrides({})).to.deep.equal({});
    });

    it('names the flag in its errors', () => {
      const bad = (flags: Parameters<typeof parseOverrides>[0], message: string): void => {
        expect(() => parseOverrides(flags)).to.throw(ConfigError).with.property('message', message);
      };
      bad({ heartbeatFreq: 'x' }, "--heartbeat-freq: not a number: 'x'");
      bad({ heartbeatTimeout: '0' }, "--heartbeat-timeout: out of range (0.001 to 86400 seconds): '0'");
      bad({ checkpointFreq: '' }, "--checkpoint-freq: not a number: ''");
      bad({ mode: 'warm' }, "--mode: not active or passive: 'warm'");
      bad({ durability: 'x' }, "--durability: not sync or checkpoint: 'x'");
      bad({ app: ' ' }, "--app: empty (a built-in app: status, log, kv; or a module's path or package name)");
      bad({ heartbeatFreq: '2', heartbeatTimeout: '2' }, '--heartbeat-timeout: must exceed heartbeat_freq (2)');
    });

    it('applies before the cross-field checks', () => {
      const c = parseConfig(`[cluster]\nmode = passive\n${BASE}`, 'x', parseOverrides({ mode: 'active', heartbeatFreq: '5', heartbeatTimeout: '10', app: 'log' }));
      expect(c.cluster).to.include({ mode: 'active', heartbeatFreqMs: 5000, heartbeatTimeoutMs: 10000, app: 'log' });
      // freq 5 from the flag is above the file's (default) timeout 3: the flag is blamed.
      expect(() => parseConfig(BASE, 'x', { heartbeatFreqMs: 5000 })).to.throw(ConfigError, '--heartbeat-freq: must be below heartbeat_timeout (3)');
      expect(() => parseConfig(`[cluster]\nheartbeat_freq = 2\n${BASE}`, 'x', { heartbeatTimeoutMs: 1500 }))
        .to.throw(ConfigError, '--heartbeat-timeout: must exceed heartbeat_freq (2)');
      // A flag can also repair what the file alone would refuse.
      expect(parseConfig(`[cluster]\nheartbeat_freq = 5\n${BASE}`, 'x', { heartbeatTimeoutMs: 6000 }).cluster.heartbeatTimeoutMs).to.equal(6000);
    });

    it('turns back into the same flags', () => {
      const flags = { mode: 'passive', heartbeatFreq: '0.25', heartbeatTimeout: '1.5', checkpointFreq: '3', durability: 'sync', app: 'status' };
      const args = overridesToArgs(parseOverrides(flags));
      expect(args).to.deep.equal([
        '--mode', 'passive', '--heartbeat-freq', '0.25', '--heartbeat-timeout', '1.5',
        '--checkpoint-freq', '3', '--durability', 'sync', '--app', 'status',
      ]);
      expect(overridesToArgs({})).to.deep.equal([]);
      expect(overridesToArgs({ app: 'log' })).to.deep.equal(['--app', 'log']);
    });
  });

  describe('files', () => {
    it('the embedded default equals examples/cluster.ini byte for byte', () => {
      expect(DEFAULT_CONFIG_TEXT).to.equal(readFileSync(join(examples, 'cluster.ini'), 'utf8'));
    });

    it('the embedded default is SPEC §2 cluster', () => {
      const c = parseConfig(DEFAULT_CONFIG_TEXT, DEFAULT_CONFIG_SOURCE);
      expect(c.cluster.mode).to.equal('passive');
      expect(c.rms).to.deep.equal([{ name: 'RM', host: '127.0.0.1', port: 7000 }]);
      expect(c.gfds).to.deep.equal([{ name: 'GFD', host: '127.0.0.1', port: 7001 }]);
      expect(c.servers).to.deep.equal([1, 2, 3].map((i) => ({ name: `S${i}`, host: '127.0.0.1', port: 7100 + i, peerHost: '127.0.0.1', peerPort: 7200 + i })));
      expect(c.lfds).to.deep.equal([1, 2, 3].map((i) => ({ name: `LFD${i}`, server: `S${i}` })));
      expect(c.clients).to.deep.equal([1, 2, 3].map((i) => ({ name: `C${i}`, intervalMs: 1000, message: 'hello_world' })));
      expect(c.cluster).to.deep.equal(parseConfig(BASE, 'x').cluster);
    });

    it('every examples/*.ini loads', () => {
      const files = readdirSync(examples).filter((f) => f.endsWith('.ini'));
      expect(files).to.include.members(['cluster.ini', 'active.ini', 'passive.ini']);
      for (const f of files) expect(() => loadConfig({ path: join('examples', f), cwd: root }), f).not.to.throw();
      expect(loadConfig({ path: 'examples/active.ini', cwd: root }).cluster).to.include({ mode: 'active', app: 'log' });
      expect(loadConfig({ path: 'examples/passive.ini', cwd: root }).cluster.mode).to.equal('passive');
    });

    it('without a path: ./cluster.ini when present, else the embedded default', () => {
      const dir = mkdtempSync(join(tmpdir(), 'steadfast-config-'));
      expect(loadConfig({ cwd: dir }).source).to.equal(DEFAULT_CONFIG_SOURCE);
      writeFileSync(join(dir, 'cluster.ini'), `[cluster]\nmode = active\n${BASE}`);
      const c = loadConfig({ cwd: dir, overrides: { app: 'log' } });
      expect(c.source).to.equal('cluster.ini');
      expect(c.cluster).to.include({ mode: 'active', app: 'log' });
    });

    it('names the file as given, also when it cannot be read', () => {
      const dir = mkdtempSync(join(tmpdir(), 'steadfast-config-'));
      writeFileSync(join(dir, 'bad.ini'), `${BASE}[foo]\n`);
      expect(() => loadConfig({ path: 'bad.ini', cwd: dir })).to.throw(ConfigError, /^bad\.ini: \[foo\]: unknown section/);
      expect(() => loadConfig({ path: 'nope.ini', cwd: dir })).to.throw(ConfigError).with.property('message', 'nope.ini: cannot read: no such file');
    });
  });
});
