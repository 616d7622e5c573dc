import { expect } from 'chai';
import fc from 'fast-check';
import {
  decodeField,
  decodeFrameText,
  lastNumberError,
  lastNumberOf,
  decodeItem,
  encodeField,
  encodeFrame,
  encodeItem,
  FrameError,
  MAX_WIRE_NUMBER,
  parseFrame,
  splitFrameText,
} from '../../src/protocol/codec.js';
import type { ClientEntry, Frame, FrameKind, FrameOf } from '../../src/protocol/frames.js';

// ------------------------------------------------------------------------------------------------
// Arbitraries

/** The characters the encodings must protect, mixed with harmless ones so runs and edges occur. */
const tricky = fc.constantFrom(
  '%', ',', '<', '>', ';', ':', ' ', ' ', '\t', '\n', '\r', '\u0000', '\u001f', '\u007f',
  '%25', '%3A', 'a', 'Z', '0', '-', 'é', '€', '😀', '\u00a0', '\ufeff', '\u2028',
);
const text: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: tricky, maxLength: 30 }),
  fc.string({ unit: 'grapheme' }),
  fc.string(),
);
const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/);
const names = fc.array(name, { maxLength: 5 });
const hex = (digits: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${digits}}$`));
const nat = fc.oneof(fc.nat(100), fc.integer({ min: 0, max: MAX_WIRE_NUMBER }));
const mode = fc.constantFrom('active', 'passive' as const);
const replicaRole = fc.constantFrom('primary', 'backup' as const);
const phase = fc.constantFrom('booting', 'recovering', 'ready', 'suspended' as const);
const clients: fc.Arbitrary<ClientEntry[]> = fc.array(
  fc.oneof(fc.record({ client: name, num: nat, reply: text }), fc.record({ client: name, num: nat, reply: text, failed: fc.constant(true) })),
  { maxLength: 4 },
);

/** One arbitrary per kind; the mapped type makes the compiler insist on every one. */
const frames: { [K in FrameKind]: fc.Arbitrary<FrameOf<K>> } = {
  hello: fc.record({
    kind: fc.constant('hello'),
    name,
    role: fc.constantFrom('server', 'lfd', 'gfd', 'rm', 'client' as const),
    version: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  }),
  challenge: fc.record({
    kind: fc.constant('challenge'),
    name,
    role: fc.constantFrom('server', 'lfd', 'gfd', 'rm', 'client' as const),
    version: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    nonce: hex(32),
  }),
  prove: fc.record({ kind: fc.constant('prove'), name, nonce: hex(32), proof: hex(64) }),
  proved: fc.record({ kind: fc.constant('proved'), name, proof: hex(64) }),
  request: fc.record({ kind: fc.constant('request'), client: name, server: name, num: nat, body: text }),
  reply: fc.record({ kind: fc.constant('reply'), client: name, server: name, num: nat, result: text }),
  failed: fc.record({ kind: fc.constant('failed'), client: name, server: name, num: nat, message: text }),
  directoryQuery: fc.record({ kind: fc.constant('directoryQuery'), client: name }),
  directory: fc.record({
    kind: fc.constant('directory'),
    servers: fc.array(fc.record({ server: name, host: fc.oneof(fc.constant('127.0.0.1'), fc.constant('::1'), fc.domain()), port: fc.integer({ min: 1, max: 65535 }) }), { maxLength: 4 }),
  }),
  error: fc.record({ kind: fc.constant('error'), name, message: text }),
  statusQuery: fc.record({ kind: fc.constant('statusQuery'), from: name, target: name }),
  serverStatus: fc.record(
    {
      kind: fc.constant('serverStatus'),
      server: name,
      mode: fc.option(mode),
      role: fc.option(replicaRole),
      phase,
      state: text,
      clients,
      checkpoint: nat,
      epoch: nat,
      pid: nat,
      durable: fc.record({ position: nat, epoch: nat, taken: nat }),
    },
    // Without how far its history goes, and with it (a server with a data folder).
    { requiredKeys: ['kind', 'server', 'mode', 'role', 'phase', 'state', 'clients', 'checkpoint', 'epoch', 'pid'] },
  ),
  rmStatus: fc.record({
    kind: fc.constant('rmStatus'),
    from: name,
    mode,
    // `-` means "no primary", so a server named `-` cannot be shown as primary.
    primary: fc.option(name.filter((n) => n !== '-')),
    epoch: nat,
    members: fc.array(
      fc.record({ server: name, phase: fc.constantFrom('booting', 'recovering', 'ready', 'suspended', 'down' as const) }),
      { maxLength: 4 },
    ),
  }),
  rmStandby: fc.record({ kind: fc.constant('rmStandby'), from: name, leader: fc.option(name) }),
  redirect: fc.record({ kind: fc.constant('redirect'), from: name, leader: fc.option(name) }),
  clientHello: fc.record({ kind: fc.constant('clientHello'), client: name }),
  clientView: fc.record({ kind: fc.constant('clientView'), client: name, mode, servers: names }),
  heartbeat: fc.record({ kind: fc.constant('heartbeat'), from: name, to: name, count: nat, answered: nat }, { requiredKeys: ['kind', 'from', 'to', 'count'] }),
  membership: fc.record({
    kind: fc.constant('membership'),
    from: name,
    server: name,
    change: fc.constantFrom('add', 'delete' as const),
  }),
  members: fc.record({ kind: fc.constant('members'), from: name, servers: names, epoch: nat }),
  ready: fc.record(
    { kind: fc.constant('ready'), server: name, mode, role: replicaRole, epoch: nat, peers: names, serving: fc.constant(true) },
    { requiredKeys: ['kind', 'server', 'mode', 'role', 'epoch', 'peers'] },
  ),
  sendCheckpoint: fc.record({ kind: fc.constant('sendCheckpoint'), server: name, to: name }),
  launch: fc.record({ kind: fc.constant('launch'), server: name }),
  serving: fc.record({ kind: fc.constant('serving'), server: name, epoch: nat }),
  drain: fc.record({ kind: fc.constant('drain'), from: name, server: name }),
  leaving: fc.record({ kind: fc.constant('leaving'), server: name, epoch: nat, handedTo: names }),
  released: fc.record({ kind: fc.constant('released'), server: name }),
  checkpoint: fc.record(
    {
      kind: fc.constant('checkpoint'),
      from: name,
      to: name,
      number: nat,
      state: text,
      clients,
      applied: nat,
      epoch: nat,
    },
    // With the position, and in the seed's form without it.
    { requiredKeys: ['kind', 'from', 'to', 'number', 'state', 'clients', 'epoch'] },
  ),
  update: fc.record({
    kind: fc.constant('update'),
    from: name,
    to: name,
    seq: nat,
    client: name,
    num: nat,
    body: text,
    epoch: nat,
  }),
  ack: fc.record({ kind: fc.constant('ack'), from: name, to: name, seq: nat, epoch: nat }),
  recovery: fc.record({
    kind: fc.constant('recovery'),
    from: name,
    to: name,
    state: text,
    clients,
    applied: nat,
    epoch: nat,
  }),
  forward: fc.record({
    kind: fc.constant('forward'),
    from: name,
    to: name,
    client: name,
    num: nat,
    body: text,
    epoch: nat,
  }),
  order: fc.record({
    kind: fc.constant('order'),
    from: name,
    to: name,
    position: nat,
    client: name,
    num: nat,
    body: text,
    epoch: nat,
  }),
  commit: fc.record({ kind: fc.constant('commit'), from: name, to: name, position: nat, epoch: nat }),
  statePart: fc.record({ kind: fc.constant('statePart'), from: name, to: name, transfer: nat, index: nat, text }),
  stateEnd: fc.record({ kind: fc.constant('stateEnd'), from: name, to: name, transfer: nat, parts: nat, bytes: nat, crc: fc.nat({ max: 0xffffffff }) }),
};

const anyFrame: fc.Arbitrary<Frame> = fc.oneof(...Object.values(frames)) as fc.Arbitrary<Frame>;

function parseError(text: string): string {
  try {
    decodeFrameText(text);
  } catch (e) {
    expect(e).to.be.instanceOf(FrameError);
    return (e as FrameError).message;
  }
  expect.fail(`expected ${text} to be refused`);
}

// ------------------------------------------------------------------------------------------------

describe('codec', () => {
  describe('field encoding', () => {
    it('round-trips any string', () => {
      fc.assert(fc.property(text, (s) => decodeField(encodeField(s)) === s), { numRuns: 2000 });
    });

    it('leaves nothing on the wire that framing or trimming would eat', () => {
      fc.assert(
        fc.property(text, (s) => {
          const e = encodeField(s);
          expect(e).not.to.match(/[,<>\x00-\x1f\x7f]/);
          expect(e).not.to.match(/^ | $/);
          // Every % starts an uppercase escape.
          expect(e.replace(/%[0-9A-F]{2}/g, '')).not.to.include('%');
        }),
        { numRuns: 1000 },
      );
    });

    it('encodes the SPEC characters and lets everything else through raw', () => {
      expect(encodeField('a,b<c>d%e')).to.equal('a%2Cb%3Cc%3Ed%25e');
      expect(encodeField('  two words ')).to.equal('%20%20two words%20');
      expect(encodeField('   ')).to.equal('%20%20%20');
      expect(encodeField('')).to.equal('');
      expect(encodeField('line\nbreak\ttab\u007f')).to.equal('line%0Abreak%09tab%7F');
      expect(encodeField('é😀;:')).to.equal('é😀;:');
    });

    it('decodes escapes it would not write itself, in either case, including UTF-8 sequences', () => {
      expect(decodeField('a%3Bb%3ac')).to.equal('a;b:c');
      expect(decodeField('%C3%A9%F0%9F%98%80')).to.equal('é😀');
      expect(decodeField('%EF%BB%BFx')).to.equal('\ufeffx');
    });

    it('rejects bad escapes and escaped bytes that are not UTF-8', () => {
      expect(() => decodeField('100%')).to.throw(Error, /bad percent escape '%'/);
      expect(() => decodeField('%4')).to.throw(Error, /bad percent escape/);
      expect(() => decodeField('%zz')).to.throw(Error, /bad percent escape '%zz'/);
      expect(() => decodeField('%FF')).to.throw(Error, /not valid UTF-8/);
      expect(() => decodeField('%C3')).to.throw(Error, /not valid UTF-8/);
      expect(() => decodeField('%C3x')).to.throw(Error, /not valid UTF-8/);
    });
  });

  describe('item encoding', () => {
    it('round-trips any string and leaves no separator', () => {
      fc.assert(
        fc.property(text, (s) => {
          const e = encodeItem(s);
          expect(e).not.to.match(/[;:]/);
          expect(decodeItem(e)).to.equal(s);
        }),
        { numRuns: 1000 },
      );
    });

    it('round-trips through item then field encoding', () => {
      fc.assert(
        fc.property(text, (s) => decodeItem(decodeField(encodeField(encodeItem(s)))) === s),
        { numRuns: 1000 },
      );
    });

    it('writes % ; : as %25 %3B %3A', () => {
      expect(encodeItem('a%b;c:d')).to.equal('a%25b%3Bc%3Ad');
    });
  });

  describe('frames', () => {
    for (const [kind, arb] of Object.entries(frames)) {
      it(`round-trips ${kind}`, () => {
        fc.assert(
          fc.property(arb as fc.Arbitrary<Frame>, (f) => {
            expect(decodeFrameText(encodeFrame(f))).to.deep.equal(f);
            expect(parseFrame(splitFrameText(encodeFrame(f)))).to.deep.equal(f);
          }),
          { numRuns: 300 },
        );
      });
    }

    it('round-trips with any blanks around fields, as typed into nc', () => {
      const blanks = fc.string({ unit: fc.constantFrom(' ', '\t'), maxLength: 3 });
      fc.assert(
        fc.property(anyFrame, blanks, blanks, (f, a, b) => {
          const wire = encodeFrame(f);
          // Commas on the wire are separators only: a field's commas travel as %2C.
          const spaced = `${a}<${a}` + wire.slice(1, -1).replaceAll(',', `${b},${a}`) + `${b}>${b}`;
          expect(decodeFrameText(spaced)).to.deep.equal(f);
        }),
        { numRuns: 500 },
      );
    });

    it('writes one line with no raw angle brackets inside', () => {
      fc.assert(
        fc.property(anyFrame, (f) => {
          const wire = encodeFrame(f);
          expect(wire.slice(1, -1)).not.to.match(/[<>\n]/);
          expect(wire[0]).to.equal('<');
          expect(wire.at(-1)).to.equal('>');
        }),
      );
    });
  });

  describe('the SPEC examples', () => {
    const examples: [string, Frame][] = [
      ['<LFD1, lfd, 1, hello>', { kind: 'hello', name: 'LFD1', role: 'lfd', version: 1 }],
      [`<S1, server, 1, ${'0f'.repeat(16)}, challenge>`, { kind: 'challenge', name: 'S1', role: 'server', version: 1, nonce: '0f'.repeat(16) }],
      [`<LFD1, ${'a1'.repeat(16)}, ${'b2'.repeat(32)}, prove>`, { kind: 'prove', name: 'LFD1', nonce: 'a1'.repeat(16), proof: 'b2'.repeat(32) }],
      [`<S1, ${'c3'.repeat(32)}, proved>`, { kind: 'proved', name: 'S1', proof: 'c3'.repeat(32) }],
      ['<C1, S1, 8, hello_world8, request>', { kind: 'request', client: 'C1', server: 'S1', num: 8, body: 'hello_world8' }],
      ['<C1, S1, 8, hello_world8, reply>', { kind: 'reply', client: 'C1', server: 'S1', num: 8, result: 'hello_world8' }],
      ['<C1, directory>', { kind: 'directoryQuery', client: 'C1' }],
      ['<RM, S1:127.0.0.1:7101;S2:%253A%253A1:7102, directory>', { kind: 'directory', servers: [{ server: 'S1', host: '127.0.0.1', port: 7101 }, { server: 'S2', host: '::1', port: 7102 }] }],
      ['<C1, S1, 9, no such key, failed>', { kind: 'failed', client: 'C1', server: 'S1', num: 9, message: 'no such key' }],
      ['<S2, not primary, error>', { kind: 'error', name: 'S2', message: 'not primary' }],
      ['<S1, C1 last 15, error>', { kind: 'error', name: 'S1', message: 'C1 last 15' }],
      ['<ops, S1, status>', { kind: 'statusQuery', from: 'ops', target: 'S1' }],
      [
        '<S1, passive, primary, ready, hello_world3, C1:3:hello_world3;C2:2:hello_world2, 8, 4, 4242, status>',
        {
          kind: 'serverStatus', server: 'S1', mode: 'passive', role: 'primary', phase: 'ready', state: 'hello_world3',
          clients: [
            { client: 'C1', num: 3, reply: 'hello_world3' },
            { client: 'C2', num: 2, reply: 'hello_world2' },
          ],
          checkpoint: 8, epoch: 4, pid: 4242,
        },
      ],
      [
        '<S1, -, -, booting, , , 0, 0, 4242, status>',
        {
          kind: 'serverStatus', server: 'S1', mode: null, role: null, phase: 'booting', state: '', clients: [],
          checkpoint: 0, epoch: 0, pid: 4242,
        },
      ],
      [
        // A server with a data folder: its history goes to position 31, last written in epoch 4, and it took a ready of epoch 5.
        '<S1, -, -, booting, , , 0, 4, 4242, 31, 4, 5, status>',
        {
          kind: 'serverStatus', server: 'S1', mode: null, role: null, phase: 'booting', state: '', clients: [],
          checkpoint: 0, epoch: 4, pid: 4242, durable: { position: 31, epoch: 4, taken: 5 },
        },
      ],
      [
        '<RM, passive, S1, 4, S1:ready;S2:recovering;S3:down, status>',
        {
          kind: 'rmStatus', from: 'RM', mode: 'passive', primary: 'S1', epoch: 4,
          members: [
            { server: 'S1', phase: 'ready' },
            { server: 'S2', phase: 'recovering' },
            { server: 'S3', phase: 'down' },
          ],
        },
      ],
      ['<RM, active, -, 0, , status>', { kind: 'rmStatus', from: 'RM', mode: 'active', primary: null, epoch: 0, members: [] }],
      ['<RM2, active, -, 7, , status>', { kind: 'rmStatus', from: 'RM2', mode: 'active', primary: null, epoch: 7, members: [] }],
      ['<RM2, standby, RM1, status>', { kind: 'rmStandby', from: 'RM2', leader: 'RM1' }],
      ['<RM2, standby, , status>', { kind: 'rmStandby', from: 'RM2', leader: null }],
      ['<RM2, leader RM1, redirect>', { kind: 'redirect', from: 'RM2', leader: 'RM1' }],
      ['<RM2, , redirect>', { kind: 'redirect', from: 'RM2', leader: null }],
      ['<C1, client>', { kind: 'clientHello', client: 'C1' }],
      ['<C1, active, S1;S2;S3, ready>', { kind: 'clientView', client: 'C1', mode: 'active', servers: ['S1', 'S2', 'S3'] }],
      ['<C1, passive, S2, ready>', { kind: 'clientView', client: 'C1', mode: 'passive', servers: ['S2'] }],
      ['<C1, passive, , wait>', { kind: 'clientView', client: 'C1', mode: 'passive', servers: [] }],
      ['<LFD1, S1, 8, heartbeat>', { kind: 'heartbeat', from: 'LFD1', to: 'S1', count: 8 }],
      ['<GFD, LFD1, 8, 7, heartbeat>', { kind: 'heartbeat', from: 'GFD', to: 'LFD1', count: 8, answered: 7 }],
      ['<LFD1, S1, add, membership>', { kind: 'membership', from: 'LFD1', server: 'S1', change: 'add' }],
      ['<GFD, S1, delete, membership>', { kind: 'membership', from: 'GFD', server: 'S1', change: 'delete' }],
      ['<GFD, S1;S2, 9, members>', { kind: 'members', from: 'GFD', servers: ['S1', 'S2'], epoch: 9 }],
      ['<GFD, , 0, members>', { kind: 'members', from: 'GFD', servers: [], epoch: 0 }],
      [
        '<S1, passive, primary, 4, S2;S3, ready>',
        { kind: 'ready', server: 'S1', mode: 'passive', role: 'primary', epoch: 4, peers: ['S2', 'S3'] },
      ],
      ['<S2, passive, backup, 4, S1, ready>', { kind: 'ready', server: 'S2', mode: 'passive', role: 'backup', epoch: 4, peers: ['S1'] }],
      ['<S1, active, primary, 1, , ready>', { kind: 'ready', server: 'S1', mode: 'active', role: 'primary', epoch: 1, peers: [] }],
      [
        '<S1, passive, primary, 4, S2;S3, serving, ready>',
        { kind: 'ready', server: 'S1', mode: 'passive', role: 'primary', epoch: 4, peers: ['S2', 'S3'], serving: true },
      ],
      ['<S1, S2, send_checkpoint>', { kind: 'sendCheckpoint', server: 'S1', to: 'S2' }],
      ['<S1, launch>', { kind: 'launch', server: 'S1' }],
      ['<S2, 4, serving>', { kind: 'serving', server: 'S2', epoch: 4 }],
      // Beyond the SPEC: the graceful hand-over (docs/operations.md).
      ['<ops, S1, drain>', { kind: 'drain', from: 'ops', server: 'S1' }],
      ['<S1, 4, S2;S3, leaving>', { kind: 'leaving', server: 'S1', epoch: 4, handedTo: ['S2', 'S3'] }],
      ['<S1, 4, , leaving>', { kind: 'leaving', server: 'S1', epoch: 4, handedTo: [] }],
      ['<S1, released>', { kind: 'released', server: 'S1' }],
      [
        '<S1, S2, 8, hello_world8, C1:8:hello_world8, 4, checkpoint>',
        {
          kind: 'checkpoint', from: 'S1', to: 'S2', number: 8, state: 'hello_world8',
          clients: [{ client: 'C1', num: 8, reply: 'hello_world8' }], epoch: 4,
        },
      ],
      [
        '<S1, S2, 8, hello_world8, C1:8:hello_world8, 31, 4, checkpoint>',
        {
          kind: 'checkpoint', from: 'S1', to: 'S2', number: 8, state: 'hello_world8',
          clients: [{ client: 'C1', num: 8, reply: 'hello_world8' }], applied: 31, epoch: 4,
        },
      ],
      [
        '<S1, S2, 31, C1, 8, hello_world8, 4, update>',
        { kind: 'update', from: 'S1', to: 'S2', seq: 31, client: 'C1', num: 8, body: 'hello_world8', epoch: 4 },
      ],
      ['<S2, S1, 31, 4, ack>', { kind: 'ack', from: 'S2', to: 'S1', seq: 31, epoch: 4 }],
      [
        '<S1, S2, hello_world9, C1:9:hello_world9, 31, 4, recovery>',
        {
          kind: 'recovery', from: 'S1', to: 'S2', state: 'hello_world9',
          clients: [{ client: 'C1', num: 9, reply: 'hello_world9' }], applied: 31, epoch: 4,
        },
      ],
      [
        '<S1, S2, C1, 9, hello_world9, 4, forward>',
        { kind: 'forward', from: 'S1', to: 'S2', client: 'C1', num: 9, body: 'hello_world9', epoch: 4 },
      ],
      [
        '<S1, S2, 32, C1, 9, hello_world9, 4, order>',
        { kind: 'order', from: 'S1', to: 'S2', position: 32, client: 'C1', num: 9, body: 'hello_world9', epoch: 4 },
      ],
      ['<S1, S2, 31, 4, commit>', { kind: 'commit', from: 'S1', to: 'S2', position: 31, epoch: 4 }],
      ['<S1, S2, 12, 3, a;b%2Cc, state_part>', { kind: 'statePart', from: 'S1', to: 'S2', transfer: 12, index: 3, text: 'a;b,c' }],
      [
        '<S1, S2, 12, 50, 209715200, 03A9F1C2, state_end>',
        { kind: 'stateEnd', from: 'S1', to: 'S2', transfer: 12, parts: 50, bytes: 209715200, crc: 0x03a9f1c2 },
      ],
    ];

    for (const [wire, frame] of examples) {
      it(`${wire} ⇄ ${frame.kind}`, () => {
        expect(decodeFrameText(wire)).to.deep.equal(frame);
        expect(encodeFrame(frame)).to.equal(wire);
      });
    }

    it('covers every frame kind', () => {
      const kinds = new Set(examples.map(([, f]) => f.kind));
      expect([...kinds].sort()).to.deep.equal(Object.keys(frames).sort());
    });

    it('writes a reply containing : in a client table as %253A', () => {
      const f: Frame = {
        kind: 'serverStatus', server: 'S1', mode: 'active', role: 'backup', phase: 'ready', state: 'x',
        clients: [{ client: 'C1', num: 15, reply: 'a:b;c%d' }], checkpoint: 2, epoch: 3, pid: 7,
      };
      const wire = encodeFrame(f);
      expect(wire).to.equal('<S1, active, backup, ready, x, C1:15:a%253Ab%253Bc%2525d, 2, 3, 7, status>');
      expect(decodeFrameText(wire)).to.deep.equal(f);
    });

    it('accepts a hand-typed frame with tabs, extra spaces and leading zeros', () => {
      expect(decodeFrameText('  <\tC1 ,S1,   008 ,  hi there\t, request >\n')).to.deep.equal({
        kind: 'request', client: 'C1', server: 'S1', num: 8, body: 'hi there',
      });
    });
  });

  describe('parse errors', () => {
    const cases: [string, string | RegExp][] = [
      ['<C1, S1, 8, x, foo>', `unknown frame type 'foo'`],
      ['<C1, S1, 8, x, >', 'frame has no type'],
      ['<>', 'frame has no type'],
      ['C1, client', /enclosed in < and >/],
      ['<C1, S1, 8, request>', 'request needs 5 fields, got 4'],
      ['<S1, status>', 'status needs 3, 4, 6, 10 or 13 fields, got 2'],
      ['<S1, passive, primary, 4, ready>', 'ready needs 4, 6 or 7 fields, got 5'],
      ['<C1, S1, x, hi, request>', `request number 'x' is not a non-negative integer`],
      ['<C1, S1, -1, hi, request>', `request number '-1' is not a non-negative integer`],
      ['<C1, S1, +1, hi, request>', `request number '+1' is not a non-negative integer`],
      ['<C1, S1, 1.5, hi, request>', `request number '1.5' is not a non-negative integer`],
      ['<C1, S1, 9007199254740992, hi, request>', /is not a non-negative integer/],
      ['<S1, S2, 8, , , 9007199254740991, checkpoint>', `checkpoint epoch '9007199254740991' is above ${MAX_WIRE_NUMBER}`],
      [`<C1, S1, ${MAX_WIRE_NUMBER + 1}, hi, request>`, `request number '${MAX_WIRE_NUMBER + 1}' is above ${MAX_WIRE_NUMBER}`],
      ['<C1, S1, , hi, request>', `request number '' is not a non-negative integer`],
      ['<a b, S1, 1, hi, request>', `bad name 'a b'`],
      ['<C1, , 1, hi, request>', `bad name ''`],
      [`<${'C'.repeat(33)}, client>`, /bad name 'C{33}'/],
      ['<C1, S%2C1, 1, hi, request>', `bad name 'S,1'`],
      ['<S1, fast, primary, 4, , ready>', `unknown mode 'fast'`],
      ['<S1, passive, leader, 4, , ready>', `unknown role 'leader'`],
      ['<S1, -, -, asleep, , , 0, 0, 1, status>', `unknown phase 'asleep'`],
      ['<X1, bogus, 1, hello>', `unknown role 'bogus'`],
      ['<X1, lfd, 0, hello>', `hello version '0' is not a positive integer`],
      ['<X1, lfd, v1, hello>', `hello version 'v1' is not a positive integer`],
      ['<LFD1, S1, join, membership>', `unknown membership change 'join'`],
      ['<S1, -, -, ready, , C1:1, 0, 0, 1, status>', `bad client entry 'C1:1'`],
      ['<S1, -, -, ready, , C1:x:r, 0, 0, 1, status>', /client entry number 'x' is not a non-negative integer/],
      ['<S1, -, -, ready, , C1:1:%zz, 0, 0, 1, status>', /bad percent escape/],
      ['<S1, -, -, ready, , C1:1:a;, 0, 0, 1, status>', `bad client entry ''`],
      ['<GFD, S1;;S2, 9, members>', `bad name ''`],
      ['<S1, S2, 32, C1, 9, x, order>', 'order needs 8 fields, got 7'],
      ['<S1, S2, -3, C1, 9, x, 4, order>', `order position '-3' is not a non-negative integer`],
      ['<S1, S2, 3, C 1, 9, x, 4, order>', `bad name 'C 1'`],
      ['<S1, S2, 31, commit>', 'commit needs 5 fields, got 4'],
      ['<S1, S2, 31, e4, commit>', `commit epoch 'e4' is not a non-negative integer`],
      ['<RM, passive, S1, 4, S1:asleep, status>', `unknown phase 'asleep'`],
      ['<RM, passive, S1, 4, S1, status>', `bad member entry 'S1'`],
      ['<R M, passive, S1, 4, , status>', `bad name 'R M'`],
      ['<RM2, leading, RM1, status>', `a four-field status is a standby RM's: 'standby', not 'leading'`],
      ['<RM2, standby, R M1, status>', `bad name 'R M1'`],
      ['<RM2, go to RM1, redirect>', `a redirect names its leader as 'leader NAME' (or nothing), not 'go to RM1'`],
      ['<RM2, leader R%2CM1, redirect>', `bad name 'R,M1'`],
      ['<C1, active, , ready>', /names no server/],
      ['<C1, active, S1, wait>', /must not name servers/],
      ['<S1, bad%escape, error>', /field 2: bad percent escape '%es'/],
      ['<S1, %FF%FE, error>', /field 2: .*not valid UTF-8/],
      ['<S1, x, toString>', `unknown frame type 'toString'`],
      ['<S1, x, __proto__>', `unknown frame type '__proto__'`],
    ];
    for (const [wire, expected] of cases) {
      it(`${wire.length > 50 ? wire.slice(0, 50) + '…' : wire}`, () => {
        const message = parseError(wire);
        if (typeof expected === 'string') expect(message).to.equal(expected);
        else expect(message).to.match(expected);
      });
    }

    it('quotes long or control-character values readably', () => {
      const message = parseError(`<C1, S1, ${'9'.repeat(100)}%0A, hi, request>`);
      expect(message.length).to.be.below(100);
      expect(message).not.to.include('\n');
    });

    it('parseFrame refuses an empty field list', () => {
      expect(() => parseFrame([])).to.throw(FrameError, 'frame has no type');
    });

    it('never throws anything but FrameError on arbitrary text', () => {
      const junk = fc.oneof(
        fc.string({ unit: fc.constantFrom('<', '>', ',', '%', ';', ':', '-', ' ', 'S1', '1', 'status', 'ready', 'request', 'hello', 'a', '%2') }),
        fc.string({ unit: 'binary' }),
      );
      fc.assert(
        fc.property(junk, (s) => {
          try {
            decodeFrameText(`<${s}>`);
          } catch (e) {
            expect(e).to.be.instanceOf(FrameError);
          }
        }),
        { numRuns: 2000 },
      );
    });
  });
});

describe('codec: the last-number refusal', () => {
  it('is written and read by one pair of functions, for its own client only', () => {
    expect(lastNumberError('C1', 15)).to.equal('C1 last 15');
    expect(lastNumberOf(lastNumberError('C1', 15), 'C1')).to.equal(15);
    expect(lastNumberOf('C1 last 15', 'C')).to.equal(null);
    expect(lastNumberOf('C10 last 15', 'C1')).to.equal(null);
    expect(lastNumberOf('C1 last 1x', 'C1')).to.equal(null);
    expect(lastNumberOf('not primary', 'C1')).to.equal(null);
  });
});
