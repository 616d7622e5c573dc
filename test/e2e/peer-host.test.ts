/**
 * `[server.S1] peer_host`: the peer port listens on its own interface (here a second loopback
 * address, 127.0.0.2), the client port on `host`; an LFD and the peers connect there.
 */
import { expect } from 'chai';
import net from 'node:net';
import { closeRawConns, connectRaw, freePorts, killAllAndCheck, startRole, waitForLine, writeIni } from '../support/processes.js';

/** Whether a TCP connect to host:port is refused. */
function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('e2e: peer_host puts the peer port on another interface', function () {
  this.timeout(30_000);
  afterEach(async () => {
    closeRawConns();
    await killAllAndCheck();
  });

  it('S1 takes clients on host and its LFD on peer_host, and nothing else', async () => {
    const [rm, gfd, port, peer] = await freePorts(4);
    const ini = writeIni(
      `[cluster]\nheartbeat_timeout = 3\n[rm]\nhost = 127.0.0.1\nport = ${rm}\n[gfd]\nhost = 127.0.0.1\nport = ${gfd}\n` +
        `[server.S1]\nhost = 127.0.0.1\nport = ${port}\npeer_host = 127.0.0.2\npeer_port = ${peer}\n[lfd.LFD1]\nserver = S1\n`,
    );
    const server = startRole(['server', '--name', 'S1', '--config', ini]);
    await waitForLine(server, new RegExp(`S1 started on 127\\.0\\.0\\.1:${port} \\(peer 127\\.0\\.0\\.2:${peer}\\), pid \\d+$`));
    const lfd = await connectRaw(peer!, 5000, 'S1 peer port', '127.0.0.2');
    lfd.sendText('<LFD1, lfd, 1, hello>');
    expect(await lfd.nextFrame()).to.equal('<S1, server, 1, hello>');
    expect(await refused('127.0.0.1', peer!)).to.equal(true);
    expect(await refused('127.0.0.2', port!)).to.equal(true);
  });
});
