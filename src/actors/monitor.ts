/**
 * A heartbeat monitor for one watched member: the LFD runs one for its server, the GFD one per LFD.
 * Two independent regions: the sender asks the parent to send heartbeat N every `heartbeat_freq`,
 * the watchdog reports silence `heartbeat_timeout` after the last answer (or after its start, which
 * the parent makes coincide with link-up). The parent owns the link; this machine owns only time.
 */
import { assign, sendParent, setup } from 'xstate';

export interface MonitorInput {
  /** Which member, echoed in every event to the parent. */
  key: string;
  freqMs: number;
  timeoutMs: number;
}

export interface MonitorContext extends MonitorInput {
  count: number;
}

export type MonitorEvent = { type: 'answer' };

/** Events the monitor sends its parent. */
export type MonitorReport =
  | { type: 'monitor.beat'; key: string; count: number }
  | { type: 'monitor.silent'; key: string }
  | { type: 'monitor.answered'; key: string };

export const heartbeatMonitor = setup({
  types: {
    input: {} as MonitorInput,
    context: {} as MonitorContext,
    events: {} as MonitorEvent,
  },
  delays: {
    heartbeatFreq: ({ context }) => context.freqMs,
    heartbeatTimeout: ({ context }) => context.timeoutMs,
  },
  actions: {
    beat: sendParent(({ context }): MonitorReport => ({ type: 'monitor.beat', key: context.key, count: context.count })),
    reportSilent: sendParent(({ context }): MonitorReport => ({ type: 'monitor.silent', key: context.key })),
    reportAnswered: sendParent(({ context }): MonitorReport => ({ type: 'monitor.answered', key: context.key })),
  },
}).createMachine({
  id: 'heartbeatMonitor',
  type: 'parallel',
  context: ({ input }) => ({ ...input, count: 0 }),
  states: {
    sender: {
      initial: 'beating',
      states: {
        beating: {
          entry: [assign({ count: ({ context }) => context.count + 1 }), 'beat'],
          after: { heartbeatFreq: { target: 'beating', reenter: true } },
        },
      },
    },
    watchdog: {
      initial: 'alive',
      states: {
        alive: {
          on: { answer: { target: 'alive', reenter: true } },
          after: { heartbeatTimeout: 'silent' },
        },
        silent: {
          entry: 'reportSilent',
          on: { answer: { target: 'alive', actions: 'reportAnswered' } },
        },
      },
    },
  },
});
