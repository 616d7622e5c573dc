/**
 * One frame of every kind, as docs/protocol.md ("Every frame") shows it: the doc's test checks that
 * each sample's encoding is written there verbatim. A kind added to `Frame` without a sample here
 * does not typecheck.
 */
import type { Frame, FrameKind, FrameOf } from '../../src/protocol/frames.js';

export const FRAME_SAMPLES: { [K in FrameKind]: FrameOf<K>[] } = {
  hello: [{ kind: 'hello', name: 'LFD1', role: 'lfd', version: 1 }],
  challenge: [{ kind: 'challenge', name: 'S1', role: 'server', version: 1, nonce: '0123456789abcdef0123456789abcdef' }],
  prove: [{ kind: 'prove', name: 'LFD1', nonce: 'fedcba9876543210fedcba9876543210', proof: 'a'.repeat(64) }],
  proved: [{ kind: 'proved', name: 'S1', proof: 'b'.repeat(64) }],
  request: [{ kind: 'request', client: 'C1', server: 'S1', num: 8, body: 'hello_world8' }],
  reply: [{ kind: 'reply', client: 'C1', server: 'S1', num: 8, result: 'hello_world8' }],
  failed: [{ kind: 'failed', client: 'C1', server: 'S1', num: 8, message: 'no such key' }],
  error: [{ kind: 'error', name: 'S1', message: 'not primary' }],
  statusQuery: [{ kind: 'statusQuery', from: 'ops', target: 'S1' }],
  serverStatus: [
    { kind: 'serverStatus', server: 'S1', mode: 'passive', role: 'primary', phase: 'ready', state: 'hello_world8', clients: [{ client: 'C1', num: 8, reply: 'hello_world8' }], checkpoint: 3, epoch: 4, pid: 4242 },
    { kind: 'serverStatus', server: 'S1', mode: 'passive', role: 'primary', phase: 'ready', state: 'hello_world8', clients: [], checkpoint: 3, epoch: 4, pid: 4242, durable: { position: 31, epoch: 4, taken: 5 } },
  ],
  rmStatus: [{ kind: 'rmStatus', from: 'RM', mode: 'passive', primary: 'S1', epoch: 4, members: [{ server: 'S1', phase: 'ready' }, { server: 'S2', phase: 'recovering' }, { server: 'S3', phase: 'down' }] }],
  rmStandby: [{ kind: 'rmStandby', from: 'RM2', leader: 'RM1' }],
  redirect: [{ kind: 'redirect', from: 'RM2', leader: 'RM1' }],
  clientHello: [{ kind: 'clientHello', client: 'C1' }],
  clientView: [
    { kind: 'clientView', client: 'C1', mode: 'passive', servers: ['S2'] },
    { kind: 'clientView', client: 'C1', mode: 'active', servers: ['S1', 'S2', 'S3'] },
    { kind: 'clientView', client: 'C1', mode: 'passive', servers: [] },
  ],
  directoryQuery: [{ kind: 'directoryQuery', client: 'C1' }],
  directory: [{ kind: 'directory', servers: [{ server: 'S1', host: '127.0.0.1', port: 7101 }, { server: 'S2', host: '::1', port: 7102 }] }],
  heartbeat: [
    { kind: 'heartbeat', from: 'LFD1', to: 'S1', count: 8 },
    { kind: 'heartbeat', from: 'GFD', to: 'LFD1', count: 8, answered: 7 },
  ],
  membership: [{ kind: 'membership', from: 'LFD1', server: 'S1', change: 'add' }],
  members: [{ kind: 'members', from: 'GFD', servers: ['S1', 'S2'], epoch: 9 }],
  ready: [
    { kind: 'ready', server: 'S1', mode: 'passive', role: 'primary', epoch: 4, peers: ['S2', 'S3'] },
    { kind: 'ready', server: 'S1', mode: 'passive', role: 'primary', epoch: 4, peers: ['S2', 'S3'], serving: true },
  ],
  sendCheckpoint: [{ kind: 'sendCheckpoint', server: 'S1', to: 'S2' }],
  launch: [{ kind: 'launch', server: 'S1' }],
  serving: [{ kind: 'serving', server: 'S2', epoch: 4 }],
  drain: [
    { kind: 'drain', from: 'ops', server: 'S1' },
    { kind: 'drain', from: 'RM', server: 'S1' },
  ],
  leaving: [{ kind: 'leaving', server: 'S1', epoch: 4, handedTo: ['S2', 'S3'] }],
  released: [{ kind: 'released', server: 'S1' }],
  checkpoint: [{ kind: 'checkpoint', from: 'S1', to: 'S2', number: 8, state: 'hello_world8', clients: [{ client: 'C1', num: 8, reply: 'hello_world8' }], applied: 31, epoch: 4 }],
  statePart: [{ kind: 'statePart', from: 'S1', to: 'S2', transfer: 12, index: 3, text: 'world' }],
  stateEnd: [{ kind: 'stateEnd', from: 'S1', to: 'S2', transfer: 12, parts: 50, bytes: 209715200, crc: 0x3a9f01c2 }],
  update: [{ kind: 'update', from: 'S1', to: 'S2', seq: 31, client: 'C1', num: 8, body: 'hello_world8', epoch: 4 }],
  ack: [{ kind: 'ack', from: 'S2', to: 'S1', seq: 31, epoch: 4 }],
  recovery: [{ kind: 'recovery', from: 'S1', to: 'S2', state: 'hello_world8', clients: [{ client: 'C1', num: 8, reply: 'hello_world8' }], applied: 31, epoch: 4 }],
  forward: [{ kind: 'forward', from: 'S2', to: 'S1', client: 'C1', num: 9, body: 'hello_world9', epoch: 4 }],
  order: [{ kind: 'order', from: 'S1', to: 'S2', position: 32, client: 'C1', num: 9, body: 'hello_world9', epoch: 4 }],
  commit: [
    { kind: 'commit', from: 'S1', to: 'S2', position: 31, epoch: 4 },
    { kind: 'commit', from: 'S1', to: 'S2', position: 0, epoch: 4 },
  ],
};

export const allSamples = (): Frame[] => Object.values(FRAME_SAMPLES).flat();
