/** The partition tests' guard: test hosts (`src/hosts/network.ts`) need root, iproute2 and nftables. */
import { canMakeHosts } from '../../src/hosts/network.js';

/** Skips the suite where test hosts cannot be made (one line says why); under CI that is a failure. */
export function requireHosts(suite: Mocha.Context): void {
  const missing = canMakeHosts();
  if (missing === null) return;
  if (process.env.CI) throw new Error(`test hosts need root, iproute2 and nftables: ${missing}`);
  console.log(`      skipped: test hosts need root, iproute2 and nftables (${missing})`);
  suite.skip();
}
