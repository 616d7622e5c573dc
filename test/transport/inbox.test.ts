import { expect } from 'chai';
import { Inbox } from '../../src/transport/inbox.js';
import type { Frame } from '../../src/protocol/frames.js';
import type { Origin, TransportEvent } from '../../src/transport/types.js';

const at = (link: string): Origin => ({ via: 'clients', link, peer: null });
const request = (link: string, client: string, num: number): TransportEvent =>
  ({ type: 'frame.request', frame: { kind: 'request', client, server: 'S1', num, body: `${client}${num}` }, origin: at(link) }) as TransportEvent;
const update = (link: string, seq: number, epoch = 1, from = 'S1'): TransportEvent =>
  ({ type: 'frame.update', frame: { kind: 'update', from, to: 'S2', seq, client: 'C1', num: seq, body: 'x', epoch }, origin: at(link) }) as TransportEvent;
const heartbeat = (link: string): TransportEvent =>
  ({ type: 'frame.heartbeat', frame: { kind: 'heartbeat', from: 'LFD1', to: 'S1', count: 1 } as Frame, origin: at(link) }) as TransportEvent;

/** What was delivered, as short words: `request×2`, `heartbeat`, `link.down`. */
function shape(events: TransportEvent[]): string[] {
  return events.map((e) => ('events' in e ? `${e.type.slice('batch.'.length)}×${e.events.length}` : e.type.replace(/^frame\./, '')));
}

describe('inbox: what a batching listener delivers', () => {
  function inbox(withTurns: boolean) {
    const delivered: TransportEvent[] = [];
    const turn: (() => void)[] = [];
    const box = new Inbox((e) => delivered.push(e), ['request', 'update'], withTurns ? (work) => turn.push(work) : null);
    const endTurn = () => turn.splice(0).forEach((work) => work());
    return { box, delivered, endTurn };
  }

  it('with turns, holds everything until the turn ends, then delivers in order with runs of requests from any link as one', () => {
    const { box, delivered, endTurn } = inbox(true);
    for (const e of [request('L1', 'C1', 1), request('L2', 'C2', 1)]) box.push(e);
    box.settle();
    box.push(heartbeat('L3'));
    box.push(request('L4', 'C3', 7));
    box.settle();
    box.push({ type: 'link.down', origin: at('L1'), reason: 'closed by peer' });
    box.settle();
    expect(delivered).to.deep.equal([]);
    endTurn();
    expect(shape(delivered)).to.deep.equal(['request×2', 'heartbeat', 'request×1', 'link.down']);
    const first = delivered[0] as Extract<TransportEvent, { type: 'batch.request' }>;
    expect(first.events.map((e) => [e.origin.link, e.frame.client, e.frame.num])).to.deep.equal([['L1', 'C1', 1], ['L2', 'C2', 1]]);
  });

  it('schedules one delivery per turn, and a new one for what comes after it', () => {
    const { box, delivered, endTurn } = inbox(true);
    box.push(request('L1', 'C1', 1));
    box.settle();
    box.push(request('L2', 'C2', 1));
    box.settle();
    endTurn();
    expect(shape(delivered)).to.deep.equal(['request×2']);
    box.push(request('L1', 'C1', 2));
    box.settle();
    endTurn();
    expect(shape(delivered)).to.deep.equal(['request×2', 'request×1']);
  });

  it('without turns, delivers each settled step at once', () => {
    const { box, delivered } = inbox(false);
    box.push(request('L1', 'C1', 1));
    box.push(request('L1', 'C1', 2));
    expect(delivered).to.deep.equal([]);
    box.settle();
    expect(shape(delivered)).to.deep.equal(['request×2']);
  });

  it('puts updates together only from one sender on one link in one epoch', () => {
    const { box, delivered, endTurn } = inbox(true);
    for (const e of [update('L1', 1), update('L1', 2), update('L2', 3), update('L2', 4, 2), update('L2', 5, 2, 'S3'), request('L9', 'C1', 1), update('L2', 6, 2, 'S3')]) box.push(e);
    box.settle();
    endTurn();
    expect(shape(delivered)).to.deep.equal(['update×2', 'update×1', 'update×1', 'update×1', 'request×1', 'update×1']);
  });

  it('leaves frames of other kinds single, even in a row', () => {
    const { box, delivered, endTurn } = inbox(true);
    box.push(heartbeat('L1'));
    box.push(heartbeat('L1'));
    box.settle();
    endTurn();
    expect(shape(delivered)).to.deep.equal(['heartbeat', 'heartbeat']);
  });
});
