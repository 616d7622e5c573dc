/**
 * Carrying out effects: frames go to the transport actor that is there, and the lines of one step
 * go out in one action, in order, without those the printer's level drops.
 */
import { expect } from 'chai';
import type { AnyActorRef } from 'xstate';
import { print, runEffects, sendOn, type Effect } from '../../src/actors/effects.js';
import type { LogEvent, Print } from '../../src/log/events.js';
import type { Frame } from '../../src/protocol/frames.js';

const heartbeat: LogEvent = { event: 'server.heartbeat', name: 'S1', from: 'LFD1', count: 5 };
const note = (text: string): LogEvent => ({ event: 'note', name: 'S1', level: 'warn', text });
const error: Frame = { kind: 'error', name: 'S1', message: 'x' };

function run(effects: Effect[], printer: Print) {
  const actions: (() => void)[] = [];
  const sent: string[] = [];
  const enqueue = Object.assign((a: () => void) => void actions.push(a), {
    sendTo: (to: string) => void sent.push(to),
  });
  const self = { getSnapshot: () => ({ children: { 'peer:S2': {} } }) } as unknown as AnyActorRef;
  runEffects(enqueue, self, printer, effects);
  return { actions, sent };
}

describe('effects', () => {
  it('prints the lines of a step in one action, in order, leaving out what the printer does not want', () => {
    const printed: LogEvent[] = [];
    const printer: Print = Object.assign((e: LogEvent) => void printed.push(e), { wants: (e: LogEvent) => e.event !== 'server.heartbeat' });
    const { actions, sent } = run([print(note('a')), print(heartbeat), sendOn('peer:S2', error), print(note('b'))], printer);
    expect(sent).to.deep.equal(['peer:S2']);
    expect(actions).to.have.length(1);
    actions.forEach((a) => a());
    expect(printed).to.deep.equal([note('a'), note('b')]);
  });

  it('schedules nothing for lines a printer drops, and everything for a printer that cannot tell', () => {
    expect(run([print(heartbeat)], Object.assign(() => {}, { wants: () => false })).actions).to.deep.equal([]);
    const printed: LogEvent[] = [];
    const { actions } = run([print(heartbeat), print(note('a'))], (e) => void printed.push(e));
    actions.forEach((a) => a());
    expect(printed).to.deep.equal([heartbeat, note('a')]);
  });

  it('drops a frame for a transport actor that is gone, as the network would', () => {
    const { sent } = run([sendOn('peer:S3', error), sendOn('peer:S2', error)], () => {});
    expect(sent).to.deep.equal(['peer:S2']);
  });
});
