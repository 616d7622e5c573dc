/**
 * The baseline: a raw TCP echo server, the ceiling for request/reply over loopback. It sends back
 * every chunk as it arrives (Nagle off), with no framing, no parsing and no state: whatever a
 * steadfast server costs above this is the framework's cost. Run as its own process by the bench
 * (`echo-server.ts`), so that it is scheduled like a server role.
 */
import net from 'node:net';

export function startEchoServer(port = 0, host = '127.0.0.1'): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      socket.setNoDelay(true);
      socket.on('data', (chunk) => socket.write(chunk));
      socket.on('error', () => socket.destroy());
    });
    server.once('error', reject);
    server.listen({ host, port }, () => resolve(server));
  });
}

export function portOf(server: net.Server): number {
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('echo server has no address');
  return address.port;
}
