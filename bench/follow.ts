/**
 * Load clients that must survive a failover: each a client of the client library (`connect`),
 * which follows the RM to the passive primary and resends the same number after a failover, as
 * `steadfast client` does. Wrapped as a `Channel` for the bench's closed loop.
 */
import { connect } from '../src/client/index.js';
import { loadConfig } from '../src/config/load.js';
import { bodyOf, type Channel } from './load.js';

/**
 * A client named `client` of the cluster in `configFile`; a passive request without a reply for
 * `resendAfterMs` goes again to the primary of the RM's latest answer.
 */
export async function followingChannel(configFile: string, client: string, bodySize: number, resendAfterMs: number): Promise<Channel> {
  const config = loadConfig({ path: configFile, overrides: { heartbeatTimeoutMs: resendAfterMs } });
  const c = await connect({ config, name: client });
  let cb: (num: number, server: string) => void = () => {};
  const errors: string[] = [];
  return {
    errors,
    request(num) {
      c.submit(bodyOf(bodySize, num)).then(
        (a) => cb(num, a.server),
        (err: Error) => {
          if (err.name !== 'ClosedError') errors.push(err.message);
        },
      );
    },
    onReply(f) {
      cb = f;
    },
    close() {
      void c.close();
    },
  };
}
