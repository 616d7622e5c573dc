/**
 * The process an LFD starts and watches, as an injected actor: production spawns `steadfast server`,
 * tests and the simulator start a server machine in the same process. One actor is one process
 * instance; starting again means a new actor.
 */
import { fromCallback } from 'xstate';

export interface LauncherInput {
  server: string;
  /** Watch this already running process (found answering at start) instead of starting one. */
  attachPid: number | null;
}

/**
 * Sent to the launcher. `kill` is SIGKILL: a hung server gets no chance to answer again. `term` is
 * SIGTERM: the server drains (hands its role over) and exits.
 */
export type LauncherCommand = { type: 'kill' } | { type: 'term' };

/** Sent back to the LFD. */
export type LauncherReport =
  | { type: 'process.started'; pid: number }
  | { type: 'process.exited'; pid: number; how: string };

export const launcherSlot = fromCallback<LauncherCommand, LauncherInput>(() => {
  throw new Error('launcher not provided: create the LFD from machine.provide({ actors: { launcher } })');
});
