/**
 * Commands and snapshots that reach a server meant for another time (found by the simulator,
 * test/sim/*-regression seeds): a `ready` sent for a process that served reaching a booting one, a
 * snapshot that overtakes its `ready` or outlives its assignment, a primary demoted with replies
 * still waiting for acknowledgements; and the RM's repeated `send_checkpoint` that makes up for a
 * dropped snapshot.
 */
import { expect } from 'chai';
import { encodeFrame } from '../../src/protocol/codec.js';
import type { Frame } from '../../src/protocol/frames.js';
import { describeMemory } from './cluster-checks.js';
import { phaseOf, ready, request, type Fake, type Harness } from './harness.js';

const checkpoint = (state: string, epoch: number): Frame => ({ kind: 'checkpoint', from: 'S1', to: 'S2', number: 1, state, clients: [], epoch });

const wire = (frames: { frame: Frame }[]) => frames.map((g) => encodeFrame(g.frame));

/** A server with its (fake) LFD and a fake client C1 on its client port, all linked. */
async function boot(h: Harness, name: string, pid: number) {
  const server = h.server(name, pid);
  const lfd = h.fakeLfd(name);
  const client = h.fake(`C1-${name}`).link('srv', h.serverConfig(name).port, { name: 'C1', role: 'client' }, 'server', false);
  await h.until(() => lfd.of('frame.hello').length > 0 && client.of('link.up').length > 0, `links to ${name}`);
  return { server, lfd, client };
}

const answers = (client: Fake) =>
  client.events.filter((e) => e.event.type === 'frame.reply' || e.event.type === 'frame.error').map((e) => encodeFrame((e.event as { frame: Frame }).frame));

describeMemory('stale commands: server', (harness) => {
  it('a booting server drops a ready marked serving (meant for a process that serves), then takes an unmarked one', async () => {
    const h = harness();
    const { server, lfd } = await boot(h, 'S1', 4253);
    lfd.send('server', ready('S1', 'active', 'primary', 11, ['S2', 'S3'], true));
    await h.pass(3 * h.freqMs);
    expect(phaseOf(server)).to.equal('booting');
    expect(lfd.frames('serving')).to.deep.equal([]);
    expect(h.lines('S1').filter((l) => l.includes('ignores a ready'))).to.have.length(1);
    // The RM's next ready for this process (it recovers in the new epoch).
    lfd.send('server', ready('S1', 'active', 'backup', 12, ['S2', 'S3']));
    await h.until(() => phaseOf(server) === 'recovering', 'recovering');
  });

  it('a recovering server drops a ready marked serving too', async () => {
    const h = harness();
    const { server, lfd } = await boot(h, 'S2', 4243);
    lfd.send('server', ready('S2', 'passive', 'backup', 3, ['S1']));
    await h.until(() => phaseOf(server) === 'recovering', 'recovering');
    lfd.send('server', ready('S2', 'passive', 'primary', 3, ['S1'], true));
    await h.pass(3 * h.freqMs);
    expect(phaseOf(server)).to.equal('recovering');
    expect(lfd.frames('serving')).to.deep.equal([]);
  });

  it('a serving replica takes a ready marked serving as any other', async () => {
    const h = harness();
    const { server, lfd } = await boot(h, 'S1', 4242);
    lfd.send('server', ready('S1', 'passive', 'primary', 1, []));
    await h.until(() => lfd.frames('serving').length === 1, 'serving');
    lfd.send('server', ready('S1', 'passive', 'primary', 2, [], true));
    await h.until(() => lfd.frames('serving').length === 2, 'serving in epoch 2');
    expect(wire(lfd.frames('serving'))).to.deep.equal(['<S1, 1, serving>', '<S1, 2, serving>']);
    expect(phaseOf(server)).to.equal('ready');
  });

  it('a booting server holds no snapshot: one that came before its ready is dropped, the next one taken', async () => {
    const h = harness();
    const { server, lfd, client } = await boot(h, 'S2', 4243);
    const s1 = h.fake('S1').link('peer', h.serverConfig('S2').peerPort, { name: 'S1', role: 'server' }, 'server', true);
    await h.until(() => s1.of('frame.hello').length > 0, 'S1 greeted');
    // A checkpoint of an assignment this process never learned of, then its (later) ready.
    s1.send('peer', checkpoint('old', 3));
    await h.pass(3 * h.freqMs);
    lfd.send('server', ready('S2', 'passive', 'backup', 3, ['S1']));
    await h.until(() => phaseOf(server) === 'recovering', 'recovering');
    await h.pass(3 * h.freqMs);
    expect(phaseOf(server), 'not recovered from the old checkpoint').to.equal('recovering');
    s1.send('peer', checkpoint('new', 3));
    await h.until(() => phaseOf(server) === 'ready', 'ready');
    client.send('srv', { kind: 'statusQuery', from: 'ops', target: 'S2' });
    await h.until(() => client.frames('serverStatus').length === 1, 'status');
    expect(encodeFrame(client.frames('serverStatus')[0]!.frame)).to.equal('<S2, passive, backup, ready, new, , 1, 3, 4243, status>');
  });

  it('durability = sync: a primary made a backup drops the replies still waiting for acknowledgements', async () => {
    const h = harness().use({ durability: 'sync' });
    const { lfd, client } = await boot(h, 'S1', 4242);
    // S2 takes updates and never acknowledges them.
    const s2 = h.fake('S2').listen('server-peer', h.serverConfig('S2').peerPort, { name: 'S2', role: 'server' });
    lfd.send('server', ready('S1', 'passive', 'primary', 1, ['S2']));
    client.send('srv', request('S1', 1, 'one'));
    await h.until(() => s2.frames('update').length === 1, 'update at S2');
    // The RM names S2 primary of epoch 2: S1 is a backup now.
    lfd.send('server', ready('S1', 'passive', 'backup', 2, ['S2']));
    await h.pass(5 * h.freqMs);
    expect(answers(client), 'replies from the demoted primary').to.deep.equal([]);
  });
});

describeMemory('stale commands: RM', (harness) => {
  it('marks the ready of a serving member, and repeats send_checkpoint while a member does not serve', async () => {
    const h = harness().use({ mode: 'passive' });
    h.rm();
    const gfd = h.fake('GFD').link('rm', h.config.rms[0]!.port, { name: 'GFD', role: 'gfd' }, 'rm', true);
    await h.until(() => gfd.of('frame.hello').length > 0, 'the GFD stand-in greeted');
    gfd.send('rm', { kind: 'members', from: 'GFD', servers: [], epoch: 0 });
    gfd.send('rm', { kind: 'membership', from: 'GFD', server: 'S1', change: 'add' });
    await h.until(() => gfd.frames('ready').length === 1, 'ready S1');
    gfd.send('rm', { kind: 'serving', server: 'S1', epoch: 1 });
    await h.pass(5);
    gfd.send('rm', { kind: 'membership', from: 'GFD', server: 'S2', change: 'add' });
    await h.until(() => gfd.frames('sendCheckpoint').length === 1, 'send_checkpoint S1 -> S2');
    expect(wire(gfd.frames('ready'))).to.deep.equal([
      '<S1, passive, primary, 1, , ready>',
      '<S1, passive, primary, 1, S2, serving, ready>',
      '<S2, passive, backup, 1, S1, ready>',
    ]);
    // S2 does not report serving (its snapshot was lost): the RM orders it again within 2 × heartbeat_timeout.
    const first = gfd.frames('sendCheckpoint')[0]!.at;
    await h.until(() => gfd.frames('sendCheckpoint').length === 2, 'send_checkpoint again', 3 * h.timeoutMs);
    expect(wire(gfd.frames('sendCheckpoint'))).to.deep.equal(['<S1, S2, send_checkpoint>', '<S1, S2, send_checkpoint>']);
    expect(gfd.frames('sendCheckpoint')[1]!.at - first).to.be.within(h.timeoutMs, 2 * h.timeoutMs);
    // Once S2 serves, no more.
    gfd.send('rm', { kind: 'serving', server: 'S2', epoch: 1 });
    await h.pass(3 * h.timeoutMs);
    expect(gfd.frames('sendCheckpoint')).to.have.length(2);
  });
});
