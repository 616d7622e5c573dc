/** The machines of each role, by name: what `steadfast diagram` prints and the README shows. */
import type { AnyStateMachine } from 'xstate';
import { clientMachine } from '../actors/client.js';
import { gfdMachine } from '../actors/gfd.js';
import { lfdMachine } from '../actors/lfd.js';
import { heartbeatMonitor } from '../actors/monitor.js';
import { rmMachine } from '../actors/rm.js';
import { serverMachine } from '../actors/server.js';

export const ROLE_MACHINES: Record<string, AnyStateMachine> = {
  rm: rmMachine,
  gfd: gfdMachine,
  lfd: lfdMachine,
  server: serverMachine,
  client: clientMachine,
  // The heartbeat monitor runs inside the LFD (one) and the GFD (one per LFD).
  monitor: heartbeatMonitor,
};
