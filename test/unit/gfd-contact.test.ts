/**
 * An LFD's contact with the GFDs (`src/actors/gfd-contact.ts`): what a GFD heartbeat shows is when
 * the LFD sent what the GFD names (its hello before any answer), never when the heartbeat arrived.
 */
import { expect } from 'chai';
import { heartbeatFrom, linkUp, noContact, shownBy } from '../../src/actors/gfd-contact.js';
import type { HeartbeatFrame } from '../../src/protocol/frames.js';

const beat = (count: number, answered?: number): HeartbeatFrame => ({ kind: 'heartbeat', from: 'GFD1', to: 'LFD1', count, ...(answered !== undefined && { answered }) });

describe('GFD contact', () => {
  it('shows the hello`s time until an answer is named, then the time that answer was sent', () => {
    let c = linkUp(noContact, 'GFD1', 1000);
    expect(shownBy(c, 'GFD1', beat(1))).to.equal(1000);
    c = heartbeatFrom(c, 'GFD1', beat(1), 1010);
    expect(c.at).to.equal(1000);
    c = heartbeatFrom(c, 'GFD1', beat(2, 1), 1110);
    expect(c.at, 'answer 1 went at 1010').to.equal(1010);
    // A heartbeat held up on the way, naming an old answer, shows nothing newer however late it comes.
    c = heartbeatFrom(c, 'GFD1', beat(3, 1), 5000);
    expect(c.at).to.equal(1010);
    c = heartbeatFrom(c, 'GFD1', beat(4, 3), 5100);
    expect(c.at).to.equal(5000);
  });

  it('shows nothing from a GFD whose link is not up, or for an answer it does not know', () => {
    expect(shownBy(noContact, 'GFD1', beat(1))).to.equal(null);
    expect(heartbeatFrom(noContact, 'GFD1', beat(1), 10)).to.deep.equal(noContact);
    const c = heartbeatFrom(linkUp(noContact, 'GFD1', 0), 'GFD1', beat(1), 5);
    expect(shownBy(c, 'GFD1', beat(9, 7))).to.equal(null);
  });

  it('takes the latest of several GFDs, and counts afresh on a new link', () => {
    let c = linkUp(linkUp(noContact, 'GFD1', 0), 'GFD2', 0);
    c = heartbeatFrom(c, 'GFD1', beat(1), 100);
    c = heartbeatFrom(c, 'GFD2', beat(1), 200);
    c = heartbeatFrom(c, 'GFD2', beat(2, 1), 300);
    c = heartbeatFrom(c, 'GFD1', beat(2, 1), 310);
    expect(c.at, 'GFD2 heard the answer sent at 200').to.equal(200);
    c = linkUp(c, 'GFD2', 400);
    expect(shownBy(c, 'GFD2', beat(2, 1)), 'answer 1 of the old link is not this link`s').to.equal(null);
    expect(c.at, 'what was shown stays').to.equal(200);
  });

  it('keeps a bounded number of answers per link', () => {
    let c = linkUp(noContact, 'GFD1', 0);
    for (let n = 1; n <= 100; n++) c = heartbeatFrom(c, 'GFD1', beat(n), n);
    expect(c.links['GFD1']!.answers.length).to.be.at.most(16);
    expect(shownBy(c, 'GFD1', beat(101, 100))).to.equal(100);
  });
});
