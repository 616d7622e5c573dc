/**
 * The RM tells each client connection that asked (`<C1, client>`) of every change, by connection:
 * a second connection under C1's name (a stranger, or C1's own new one) does not take the views
 * away from the first.
 */
import { expect } from 'chai';
import { describeBoth, type Fake, type Harness } from './harness.js';

describeBoth('RM client views', (harness) => {
  /** A connection to the RM port that asks for C1's view as soon as it is up. */
  function viewer(h: Harness, as: string): Fake {
    const f = h.fake(as).link('rm', h.config.rms[0]!.port, { name: 'C1', role: 'client' }, 'rm', false);
    f.onEvent = (e) => {
      if (e.type === 'link.up') f.send('rm', { kind: 'clientHello', client: 'C1' });
    };
    return f;
  }
  const servers = (f: Fake) => f.frames('clientView').map((g) => g.frame.servers.join(';'));

  it('two connections under one client name both hear every change', async () => {
    const h = harness();
    h.rm();
    h.gfd();
    for (const lfd of ['LFD1', 'LFD2', 'LFD3']) h.lfd(lfd);
    await h.until(() => h.members('RM')?.length === 3, 'three members', 8000);
    const first = viewer(h, 'first');
    const second = viewer(h, 'second');
    const serving = (f: Fake) => (servers(f).at(-1) ?? '') !== '';
    await h.until(() => serving(first) && serving(second), 'a view naming the primary on each connection', 8000);
    const primary = servers(first).at(-1)!;
    expect(servers(second).at(-1)).to.equal(primary);
    h.current(primary)!.kill();
    await h.until(() => servers(first).at(-1) !== primary && servers(second).at(-1) !== primary, 'the new primary on both connections', 5000);
    expect(servers(first).at(-1)).to.equal(servers(second).at(-1));
    // Named once it serves: in between, clients kept the old view (a `wait` would count towards giving up).
    const since = servers(first).slice(servers(first).indexOf(primary));
    expect(since, 'views from the first naming the old primary').to.deep.equal([primary, servers(first).at(-1)]);
  });

  it('answers a client connection\'s directory question with every configured server\'s client port', async () => {
    const h = harness();
    h.rm();
    const f = viewer(h, 'asker');
    await h.until(() => f.frames('clientView').length > 0, 'a view', 5000);
    f.send('rm', { kind: 'directoryQuery', client: 'C1' });
    await h.until(() => f.frames('directory').length > 0, 'the directory', 5000);
    expect(f.frames('directory')[0]!.frame.servers).to.deep.equal(
      h.config.servers.map((s) => ({ server: s.name, host: s.host, port: s.port })),
    );
  });
});
