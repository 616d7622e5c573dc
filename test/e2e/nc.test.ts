/**
 * What a person with `nc` would do against one server started by hand (SPEC §4: blanks between
 * frames are ignored "so a person can type frames into nc"). No other role runs: the test plays the
 * LFD on the peer port (hello, heartbeats, the RM's `ready`) and a client on the client port, and
 * checks every answer frame by frame, in order.
 */
import { expect } from 'chai';
import {
  closeRawConns,
  connectRaw,
  killAllAndCheck,
  parseServerStatus,
  startRole,
  waitForLine,
  writeConfig,
  type RawConn,
  type Role,
  type TestCluster,
  until,
} from '../support/processes.js';

/** A small client-port limit, so that an oversize frame is cheap to type. */
const MAX_FRAME = 256;

describe('e2e: a server driven by hand over raw TCP (nc)', function () {
  this.timeout(30_000);

  let cluster: TestCluster;
  let server: Role;
  /** The test's stand-in for LFD1, on the server's peer port. */
  let lfd: RawConn;
  let pump: NodeJS.Timeout | undefined;
  let beats = 0;
  let port: number;
  let peerPort: number;

  /** The next frame on `conn` must be `<S1, MESSAGE, error>` with MESSAGE matching `what`. */
  async function expectError(conn: RawConn, what: RegExp): Promise<string> {
    const frame = await conn.nextFrame();
    const m = /^<S1, ([^,]*), error>$/.exec(frame);
    expect(m, `expected an error frame from S1, got ${frame}`).to.not.equal(null);
    expect(decodeURIComponent(m![1]!)).to.match(what);
    return frame;
  }

  /** Asks for the status on `conn` and returns the answer, which must be the very next frame. */
  async function status(conn: RawConn): Promise<string> {
    conn.sendText('<ops, S1, status>\n');
    const frame = await conn.nextFrame();
    expect(frame).to.match(/^<S1, .*, status>$/);
    return frame;
  }

  beforeEach(async () => {
    // The lease (SPEC §6 Fencing) would make an unwatched server drop its role after
    // heartbeat_timeout: the test heartbeats like an LFD, and a roomy timeout keeps a slow machine
    // from failing it. Nothing here depends on these timings.
    cluster = await writeConfig({ servers: 1, cluster: { max_frame: MAX_FRAME, heartbeat_timeout: 3 } });
    ({ port, peerPort } = cluster.server('S1'));
    server = startRole(['server', '--name', 'S1', '--config', cluster.file]);
    const started = await waitForLine(server, /S1 started on 127\.0\.0\.1:(\d+) \(peer 127\.0\.0\.1:(\d+)\), pid (\d+)$/);
    expect(started.match.slice(1).map(Number)).to.deep.equal([port, peerPort, server.pid]);

    // What an LFD does: hello, heartbeat, then pass down the RM's assignment. A server serves only
    // once the RM made it primary (SPEC §6 Start); the answer flowing up is `serving`.
    lfd = await connectRaw(peerPort, 5000, 'S1 peer port');
    lfd.sendText('<LFD1, lfd, 1, hello>\n');
    expect(await lfd.nextFrame()).to.equal('<S1, server, 1, hello>');
    lfd.sendText(`<LFD1, S1, ${++beats}, heartbeat>\n`);
    expect(await lfd.nextFrame()).to.equal(`<S1, LFD1, ${beats}, heartbeat>`);
    lfd.sendText('<S1, passive, primary, 1, , ready>\n');
    expect(await lfd.readFramesUntil(/^<S1, 1, serving>$/)).to.deep.equal(['<S1, 1, serving>']);
    // Keep heartbeating as the LFD would; the answers on this link are not read any more.
    pump = setInterval(() => lfd.sendText(`<LFD1, S1, ${++beats}, heartbeat>\n`), 200);
    await waitForLine(server, /S1 is ready \[passive\] \[primary\]/);
  });

  afterEach(async () => {
    clearInterval(pump);
    closeRawConns();
    await killAllAndCheck();
  });

  it('answers a typed request with its reply and a status query with the status', async () => {
    const c = await connectRaw(port, 5000, 'S1 client port');
    // `,` inside a field travels as %2C; the reply carries the string back the same way.
    c.sendText('<C1, S1, 1, hello%2C world, request>\n');
    expect(await c.nextFrame()).to.equal('<C1, S1, 1, hello%2C world, reply>');
    // Blanks around fields and between frames do not matter.
    c.sendText('   <  ops ,S1 ,  status >   \r\n');
    expect(await c.nextFrame()).to.equal(`<S1, passive, primary, ready, hello%2C world, C1:1:hello%2C world, 0, 1, ${server.pid}, status>`);
    const s = parseServerStatus(c.frames.at(-1)!);
    expect(s.state).to.equal('hello, world');
    expect(s.clients.get('C1')).to.deep.equal({ num: 1, reply: 'hello, world' });
    await waitForLine(server, /my_state_S1 = hello, world after processing <C1, S1, 1, request>$/);
  });

  it('answers each kind of bad input with an error frame, and keeps serving with its state intact', async () => {
    const c = await connectRaw(port, 5000, 'S1 client port');
    c.sendText('<C1, S1, 1, first, request>\n');
    expect(await c.nextFrame()).to.equal('<C1, S1, 1, first, reply>');

    // Text outside a frame.
    c.sendText('this is not a frame\n');
    await expectError(c, /outside a frame/);

    // An unterminated frame: noticed when the next `<` arrives; that next frame is still served.
    c.sendText('<C1, S1, 2, lost, request\n');
    c.sendText('<C1, S1, 2, second, request>\n');
    await expectError(c, /unterminated/);
    expect(await c.nextFrame()).to.equal('<C1, S1, 2, second, reply>');

    // Over max_frame: refused without being applied (it would have been request 3).
    c.sendText(`<C1, S1, 3, ${'x'.repeat(MAX_FRAME)}, request>\n`);
    await expectError(c, new RegExp(`over ${MAX_FRAME} bytes`));

    // Frames that do not parse: unknown type, wrong field count, not a number, bad escape.
    c.sendText('<C1, S1, 3, x, frobnicate>\n');
    await expectError(c, /unknown frame type 'frobnicate'/);
    c.sendText('<C1, S1, 3, request>\n');
    await expectError(c, /request needs 5 fields, got 4/);
    c.sendText('<C1, S1, three, x, request>\n');
    await expectError(c, /'three'/);
    c.sendText('<C1, S1, 3, 100%zz, request>\n');
    await expectError(c, /%zz/);

    // Control frames are not for the client port: the RM's `ready`, a heartbeat, a hello.
    c.sendText('<S1, passive, backup, 9, S2, ready>\n');
    await expectError(c, /'ready' not allowed/);
    c.sendText('<LFD1, S1, 1, heartbeat>\n');
    await expectError(c, /'heartbeat' not allowed/);
    c.sendText('<LFD1, lfd, 1, hello>\n');
    await expectError(c, /'hello' not allowed/);

    // An error frame is never answered: the next frame back is the status asked for after it.
    c.sendText('<C1, something went wrong, error>\n');
    const after = parseServerStatus(await status(c));
    // The refused `ready` changed nothing: still the primary of epoch 1, state of request 2.
    expect([after.mode, after.role, after.phase, after.epoch]).to.deep.equal(['passive', 'primary', 'ready', 1]);
    expect(after.state).to.equal('second');
    expect(after.clients.get('C1')).to.deep.equal({ num: 2, reply: 'second' });

    // The next number applies; the same number again gets the saved reply without applying it
    // again; a lower number is refused with the client's last number (SPEC §6 Exactly once).
    c.sendText('<C1, S1, 3, third, request>\n');
    expect(await c.nextFrame()).to.equal('<C1, S1, 3, third, reply>');
    c.sendText('<C1, S1, 3, third, request>\n');
    expect(await c.nextFrame()).to.equal('<C1, S1, 3, third, reply>');
    c.sendText('<C1, S1, 1, first, request>\n');
    await expectError(c, /^C1 last 3$/);
    expect(await status(c)).to.equal(`<S1, passive, primary, ready, third, C1:3:third, 0, 1, ${server.pid}, status>`);
    expect(server.lines.filter((l) => l.endsWith('after processing <C1, S1, 3, request>'))).to.have.length(1);
    expect(server.lines.filter((l) => /after processing <C1, S1, 2, request>$/.test(l))).to.have.length(1);
  });

  it('refuses control frames on the peer port before a hello, and a hello of another protocol version', async () => {
    const p = await connectRaw(peerPort, 5000, 'S1 peer port (no hello)');
    p.sendText('<LFD1, S1, 7, heartbeat>\n');
    await expectError(p, /'heartbeat' not allowed/);
    p.sendText('<S1, passive, backup, 9, S2, ready>\n');
    await expectError(p, /'ready' not allowed/);
    p.sendText('<C1, S1, 1, sneaky, request>\n');
    await expectError(p, /'request' not allowed/);
    // Status is answered on any port, whatever the phase; the refused `ready` changed nothing.
    const s = parseServerStatus(await status(p));
    expect([s.role, s.epoch, s.clients.size]).to.deep.equal(['primary', 1, 0]);

    // A version the server does not speak: an error frame, then the link is closed. A refused
    // hello replaces nothing: the link of the real LFD1 keeps working.
    const v = await connectRaw(peerPort, 5000, 'S1 peer port (version 2)');
    v.sendText('<LFD1, lfd, 2, hello>\n');
    await expectError(v, /version 2/);
    await v.waitClosed();
    const mark = lfd.frames.length;
    await until(
      () => lfd.frames.slice(mark).some((f) => /^<S1, LFD1, \d+, heartbeat>$/.test(f)),
      3000,
      () => `no heartbeat answer on LFD1's link after the refused hello; closed: ${lfd.closed}`,
    );
  });

  it('closes a link that sends 10 refused frames in a row, and only then', async () => {
    const c = await connectRaw(port, 5000, 'S1 client port');
    const bad = (n: number) => c.sendText('<nonsense>\n'.repeat(n));

    // Nine refusals, then a good frame: the link is open (it answers) and the count starts again.
    bad(9);
    for (let i = 0; i < 9; i++) await expectError(c, /unknown frame type/);
    await status(c);
    bad(9);
    for (let i = 0; i < 9; i++) await expectError(c, /unknown frame type/);
    c.sendText('<C1, S1, 1, still here, request>\n');
    expect(await c.nextFrame()).to.equal('<C1, S1, 1, still here, reply>');

    // Ten in a row: ten error frames, then the server closes the link.
    bad(10);
    for (let i = 0; i < 10; i++) await expectError(c, /unknown frame type/);
    await c.waitClosed();

    // Garbage lines count the same way.
    const g = await connectRaw(port, 5000, 'S1 client port (garbage)');
    g.sendText('garbage\n'.repeat(10));
    for (let i = 0; i < 10; i++) await expectError(g, /outside a frame/);
    await g.waitClosed();

    // The server itself is unharmed, and so is its state.
    const fresh = await connectRaw(port, 5000, 'S1 client port (after)');
    fresh.sendText('<C1, S1, 2, next, request>\n');
    expect(await fresh.nextFrame()).to.equal('<C1, S1, 2, next, reply>');
    expect(server.exit).to.equal(null);
  });
});
