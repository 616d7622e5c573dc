/**
 * The machines of each role, by name: what `steadfast diagram` prints and the README shows. A role's
 * own machine comes first, then the machines it spawns (xstate's graph of a machine shows none of
 * them): the GFD's one per LFD.
 */
import type { AnyStateMachine } from 'xstate';
import { clientMachine } from '../actors/client.js';
import { gfdMachine } from '../actors/gfd.js';
import { lfdMachine } from '../actors/lfd.js';
import { heartbeatMonitor } from '../actors/monitor.js';
import { rmMachine } from '../actors/rm.js';
import { serverMachine } from '../actors/server.js';
import { watchedLfdMachine } from '../actors/watched-lfd.js';

export const ROLE_MACHINES: Record<string, readonly AnyStateMachine[]> = {
  rm: [rmMachine],
  gfd: [gfdMachine, watchedLfdMachine],
  lfd: [lfdMachine],
  server: [serverMachine],
  client: [clientMachine],
  // The heartbeat monitor runs inside the LFD (one) and inside each of the GFD's LFD machines.
  monitor: [heartbeatMonitor],
};
