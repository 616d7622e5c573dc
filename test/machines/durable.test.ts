/**
 * A server with a data folder (docs/durability.md), on the simulator's disk: what it applies goes
 * to its log, its answers wait until that is durable, and a server started from what the folder
 * held has that state before it answers anything.
 */
import { expect } from 'chai';
import { encodeFrame } from '../../src/protocol/codec.js';
import type { Frame } from '../../src/protocol/frames.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import { ReplicaStorage } from '../../src/storage/replica-storage.js';
import type { ServerDisk } from '../../src/actors/server.js';
import { describeBoth, ready, request, type Fake, type Harness } from './harness.js';

describeBoth('server with a data folder', (harness) => {
  /** A disk whose completions wait until `complete()`. */
  function slowDisk() {
    const queue: (() => void)[] = [];
    const disk = new MemoryDisk((fn) => void queue.push(fn));
    return { disk, complete: () => queue.splice(0).forEach((fn) => fn()), waiting: () => queue.length };
  }

  async function boot(h: Harness, disk: ServerDisk) {
    h.server('S1', 4242, disk);
    const lfd = h.fakeLfd('S1', () => true);
    const client = h.fake('C1-S1').link('srv', h.serverConfig('S1').port, { name: 'C1', role: 'client' }, 'server', false);
    await h.until(() => lfd.of('frame.hello').length > 0 && client.of('link.up').length > 0, 'links to S1');
    return { lfd, client };
  }

  /** S1 on an empty folder of a slow disk, made primary of epoch 1. */
  async function primaryOnSlowDisk(h: Harness) {
    const slow = slowDisk();
    const { storage } = ReplicaStorage.open(slow.disk, (fn) => void setImmediate(fn));
    const links = await boot(h, { store: storage, history: { snapshot: null, entries: [] }, failStop: () => {} });
    links.lfd.send('server', ready('S1', 'passive', 'primary', 1, []));
    return { ...slow, ...links };
  }

  const answers = (client: Fake) =>
    client.events.filter((e) => e.event.type === 'frame.reply' || e.event.type === 'frame.failed').map((e) => encodeFrame((e.event as { frame: Frame }).frame));

  it('logs what it applies and answers only once the log is durable', async () => {
    const h = harness();
    const { disk, complete, waiting, lfd, client } = await primaryOnSlowDisk(h);
    client.send('srv', request('S1', 1, 'one'));
    await h.until(() => waiting() > 0, 'the sync asked for');
    await h.pass(100);
    expect(answers(client), 'no answer before the sync').to.deep.equal([]);
    expect(lfd.frames('serving'), 'no serving before its epoch is on disk').to.deep.equal([]);
    // Each sync that completes lets the next start (group commit): complete them as they come.
    await h.until(() => (complete(), answers(client).length === 1 && lfd.frames('serving').length === 1), 'the answer and serving after the syncs');
    expect(answers(client)).to.deep.equal(['<C1, S1, 1, one, reply>']);
    disk.crash();
    const { recovered } = ReplicaStorage.open(disk);
    expect(recovered.entries).to.deep.equal([{ position: 1, epoch: 1, client: 'C1', num: 1, body: 'one' }]);
    expect(recovered.taken, 'the epoch of the ready it served in').to.equal(1);
  });

  it('starts from what its folder held: the state, the client table and the position, before it answers anything', async () => {
    const h = harness();
    const history = {
      snapshot: { position: 2, epoch: 3, clients: [{ client: 'C1', num: 2, reply: 'two' }], state: 'two' },
      entries: [{ position: 3, epoch: 4, client: 'C2', num: 1, body: 'three' }],
    };
    const { storage } = ReplicaStorage.open(new MemoryDisk());
    const { lfd, client } = await boot(h, { history, store: storage, failStop: () => {} });
    client.send('srv', { kind: 'statusQuery', from: 'ops', target: 'S1' });
    await h.until(() => client.frames('serverStatus').length === 1, 'the status');
    // With a data folder the status says the position too: the restarted RM will pick by it.
    expect(encodeFrame(client.frames('serverStatus')[0]!.frame)).to.equal('<S1, -, -, booting, three, C1:2:two;C2:1:three, 0, 4, 4242, 3, 4, 4, status>');
    // A resend of what it held is answered from its table, not applied again.
    lfd.send('server', ready('S1', 'passive', 'primary', 5, []));
    client.send('srv', request('S1', 2, 'two'));
    await h.until(() => answers(client).length === 1, 'the answer from the table');
    expect(answers(client)).to.deep.equal(['<C1, S1, 2, two, reply>']);
    expect(h.lines('S1').filter((l) => l.includes('processing'))).to.deep.equal([]);
  });

  it('a primary made a backup while an answer waited for its disk does not send it', async () => {
    const h = harness();
    const { complete, waiting, lfd, client } = await primaryOnSlowDisk(h);
    await h.until(() => (complete(), lfd.frames('serving').length === 1), 'serving');
    client.send('srv', request('S1', 1, 'one'));
    await h.until(() => waiting() > 0, 'the sync asked for');
    lfd.send('server', ready('S1', 'passive', 'backup', 2, ['S2']));
    await h.pass(5);
    await h.until(() => (complete(), waiting() === 0), 'the syncs done', 1000);
    await h.pass(100);
    expect(answers(client), 'answers from the deposed primary').to.deep.equal([]);
  });
});
