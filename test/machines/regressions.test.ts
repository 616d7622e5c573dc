/**
 * Regression tests for bugs the machine tests found; each failed before its fix: refused frames
 * not logged, a late `C1 last N` taking a client back, a server hanging before its first answer
 * never restarted, and a killed process's last answer making it a member again.
 */
import { expect } from 'chai';
import { encodeFrame } from '../../src/protocol/codec.js';
import type { Origin } from '../../src/transport/types.js';
import { describeBoth } from './harness.js';

describeBoth('regressions', (harness) => {
  // BUG 1 (SPEC §4 Errors and limits: a refused frame "is answered with <NAME, what was wrong,
  // error> and logged as one line"). The transport answers and reports `link.refused` to the
  // machine, but no role machine handles that event, so nothing is printed (the printer has a
  // `link.refused` form that nobody uses).
  it('a server logs a frame it refused as one line', async () => {
    const h = harness();
    h.server('S1');
    const client = h.fake('C1').link('srv', h.serverConfig('S1').port, { name: 'C1', role: 'client' }, 'server', false);
    await h.until(() => client.of('link.up').length > 0, 'linked');
    client.send('srv', { kind: 'checkpoint', from: 'S2', to: 'S1', number: 1, state: 'x', clients: [], epoch: 1 });
    await h.until(() => client.frames('error').length === 1, 'error frame');
    await h.pass(10);
    expect(h.logged('link.refused', 'S1')).to.have.length(1);
  });

  // BUG 2 (client.ts, guard isLastNumber + action assignAfterLast): a `C1 last N` error that
  // arrives late (here from the second of two active replicas, for request 1) moves the client
  // back to N + 1 although it already went past it: it sends N + 1 again and counts its reply a
  // second time. Fix: take the error only when it is about the request in flight and N >= num - 1
  // (e.g. guard `last >= context.num`), else just log it.
  it('a late `C1 last 15` does not move an active client back', async () => {
    const h = harness().use({ mode: 'active' });
    const rm = h.fake('RM').listen('rm', h.config.rms[0]!.port, { name: 'RM', role: 'rm' });
    rm.onEvent = (e) => {
      if (e.type === 'frame.clientHello') rm.reply(e.origin, { kind: 'clientView', client: 'C1', mode: 'active', servers: ['S1', 'S2'] });
    };
    const s1 = h.fake('S1').listen('server-client', h.serverConfig('S1').port, { name: 'S1', role: 'server' });
    const s2 = h.fake('S2').listen('server-client', h.serverConfig('S2').port, { name: 'S2', role: 'server' });
    let late: Origin | null = null;
    const serve = (name: string, fake: typeof s1, answerUpTo: number) => {
      fake.onEvent = (e) => {
        if (e.type !== 'frame.request') return;
        const f = e.frame;
        if (f.num <= 15) {
          if (name === 'S2') late = e.origin; // S2 answers request 1 only later
          else fake.reply(e.origin, { kind: 'error', name, message: 'C1 last 15' });
        } else if (f.num <= answerUpTo) {
          fake.reply(e.origin, { kind: 'reply', client: 'C1', server: name, num: f.num, result: f.body });
        }
      };
    };
    serve('S1', s1, 16);
    serve('S2', s2, 16);
    h.client('C1');
    // Request 16 answered, 17 in flight (nobody answers it): now S2's refusal of request 1 arrives.
    await h.until(() => s2.frames('request').some((g) => g.frame.num === 17), 'request 17 at S2');
    s2.reply(late!, { kind: 'error', name: 'S2', message: 'C1 last 15' });
    await h.pass(5 * h.config.clients[0]!.intervalMs);
    const sent = s1.frames('request').map((g) => g.frame.num);
    expect(sent, 'numbers S1 got').to.deep.equal([1, 16, 17]);
    expect(h.logged('client.received', 'C1').map((l) => l.event.request.num)).to.deep.equal([16]);
  });

  // BUG 3 (lfd.ts, watch.connected.unconfirmed: 'monitor.silent' → hung + killProcess, no
  // delete): a launched server that hangs before it ever answered is killed, but never started
  // again: the LFD goes to process.dead and waits for a `launch` that cannot come, because the RM
  // never heard of the server (no add, so no delete, so no launch). Fix: in process.dead, a
  // process that died before it was ever reported added is restarted by the LFD itself (through
  // `restarting`, so the restart-storm guard still applies), or the LFD reports delete so the RM
  // orders a launch.
  it('a server that hangs before its first answer is killed and started again', async () => {
    const h = harness();
    h.hangOnLaunch.set('S1', 0);
    h.fakeGfd();
    h.lfd('LFD1', true);
    await h.until(() => h.kills.length === 1, 'the hung S1 killed', 3000);
    h.hangOnLaunch.delete('S1');
    await h.until(() => h.launched('S1').length === 2, 'S1 started again', 5000);
  });
});

describeBoth('regressions (LFD)', (harness) => {
  // BUG 4 (lfd.ts, watch.connected.hung: 'frame.heartbeat' → alive + reportAdd): after the LFD
  // killed a hung server (SIGKILL, then `delete`), a heartbeat answer that process wrote just
  // before it died still arrives on the old connection, and the LFD reports `add S1` for the
  // process it has just killed, then `failed (connection lost)` and `delete` again when the
  // connection closes. The RM sees add/delete flap for a dead process (seen over TCP when the
  // event loop stalls). Fix: once this LFD killed its process, take no answer on that connection
  // (close the server link when killing, or ignore heartbeats in `hung` unless `external`).
  it('an answer the killed process wrote before it died does not make it a member again', async () => {
    const h = harness();
    h.hangOnLaunch.set('S1', 2);
    // The hung process's last words: an answer to the latest heartbeat, written as it is killed.
    h.onKill = (proc) => {
      const beat = proc.hung!.frames('heartbeat').at(-1)!;
      proc.hung!.reply(beat.origin, { kind: 'heartbeat', from: 'S1', to: 'LFD1', count: beat.frame.count });
    };
    const gfd = h.fakeGfd();
    h.lfd('LFD1', true);
    await h.until(() => h.kills.length === 1, 'S1 killed', 3000);
    await h.pass(3 * h.freqMs);
    expect(gfd.frames('membership').map((g) => encodeFrame(g.frame))).to.deep.equal([
      '<LFD1, S1, add, membership>',
      '<LFD1, S1, delete, membership>',
    ]);
  });
});
