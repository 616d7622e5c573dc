/**
 * The inspector's parts without a browser: `--inspect`'s optional value, the state tree and its
 * diagrams, the bounded event text, the recorder on a real actor, and the hub's HTTP routes (page,
 * ingest, Server-Sent Events, `down` when a stream breaks).
 */
import { expect } from 'chai';
import { request, get, type IncomingMessage } from 'node:http';
import { assign, createActor, setup } from 'xstate';
import { serverMachine } from '../../src/actors/server.js';
import { DEFAULT_INSPECT_PORT, UsageError, expandInspect, inspectAddress } from '../../src/cli/args.js';
import { activeIds, machineTree, states } from '../../src/inspect/graph.js';
import { Hub } from '../../src/inspect/hub.js';
import { toMermaid } from '../../src/inspect/mermaid.js';
import { PAGE } from '../../src/inspect/page.js';
import { brief } from '../../src/inspect/brief.js';
import type { InspectRecord } from '../../src/inspect/records.js';
import { createRecorder } from '../../src/inspect/recorder.js';
import { toSvg } from '../../src/inspect/svg.js';

describe('inspect: --inspect [[HOST:]PORT]', () => {
  it('takes an address after it only when it looks like one', () => {
    expect(expandInspect(['--inspect'])).to.deep.equal([`--inspect=${DEFAULT_INSPECT_PORT}`]);
    expect(expandInspect(['--inspect', '--quiet'])).to.deep.equal([`--inspect=${DEFAULT_INSPECT_PORT}`, '--quiet']);
    expect(expandInspect(['--inspect', 'passive'])).to.deep.equal([`--inspect=${DEFAULT_INSPECT_PORT}`, 'passive']);
    expect(expandInspect(['--inspect', '0'])).to.deep.equal(['--inspect', '0']);
    expect(expandInspect(['--inspect', '0.0.0.0:9000'])).to.deep.equal(['--inspect', '0.0.0.0:9000']);
  });

  it('reads PORT, HOST:PORT and [V6]:PORT; refuses the rest in one line', () => {
    expect(inspectAddress(undefined)).to.equal(null);
    expect(inspectAddress('9000')).to.deep.equal({ host: '127.0.0.1', port: 9000 });
    expect(inspectAddress('0.0.0.0:9000')).to.deep.equal({ host: '0.0.0.0', port: 9000 });
    expect(inspectAddress('[::1]:9000')).to.deep.equal({ host: '::1', port: 9000 });
    expect(() => inspectAddress('70000')).to.throw(UsageError, /not a port/);
    expect(() => inspectAddress('abc')).to.throw(UsageError, /not PORT or HOST:PORT/);
  });
});

describe('inspect: a machine as a tree and as diagrams', () => {
  const tree = machineTree(serverMachine);

  it('has every state of the definition, with targeted transitions and the initial child', () => {
    const ids = [...states(tree)].map((s) => s.id);
    expect(ids).to.include.members(['server', 'server.role.booting', 'server.role.recovering', 'server.role.ready.primary', 'server.role.ready.backup', 'server.lease.held']);
    const booting = [...states(tree)].find((s) => s.id === 'server.role.booting')!;
    expect(booting.transitions).to.deep.include({ event: 'frame.ready', target: 'server.role.recovering', guard: 'hasPeers' });
    // Action-only transitions (a request held) change no state and are left out.
    expect(booting.transitions.map((t) => t.event)).not.to.include('batch.request');
    const role = [...states(tree)].find((s) => s.id === 'server.role')!;
    expect(role.initial).to.equal('booting');
    const deciding = [...states(tree)].find((s) => s.id === 'server.role.ready.deciding')!;
    expect(deciding.transitions.map((t) => t.event)).to.deep.equal(['(always)', '(always)', '(always)']);
  });

  it('finds the states of a state value', () => {
    expect(activeIds(tree, { role: { ready: { primary: 'checkpointing' } }, lease: 'held' })).to.deep.equal([
      'server', 'server.role', 'server.role.ready', 'server.role.ready.primary', 'server.role.ready.primary.checkpointing', 'server.lease', 'server.lease.held',
    ]);
  });

  it('writes mermaid with nesting, regions and labelled transitions', () => {
    const m = toMermaid(tree);
    expect(m.startsWith('stateDiagram-v2\n')).to.equal(true);
    expect(m).to.include('state role {');
    expect(m).to.include('[*] --> booting');
    expect(m).to.include('booting --> recovering: frame.ready [hasPeers]');
    expect(m).to.include('checkpointing --> checkpointing: after checkpointFreq');
    expect(m).to.match(/\n\s*--\n/); // role and lease are parallel regions
  });

  it('draws an SVG box for every state, named by data-state', () => {
    const svg = toSvg(tree);
    for (const s of states(tree)) expect(svg).to.include(`data-state="${s.id}"`);
    expect(svg).to.match(/^<\?xml/);
  });
});

describe('inspect: brief', () => {
  it('bounds any value to one short line, functions left out', () => {
    const big = { config: { servers: Array.from({ length: 100 }, (_, i) => ({ name: `S${i}`, port: 7000 + i })) }, print: () => {} };
    const text = brief(big);
    expect(text.length).to.be.at.most(160);
    expect(text).not.to.include('=>');
    expect(brief({ from: 'S1', epoch: 2 })).to.equal('{from: "S1", epoch: 2}');
  });
});

describe('inspect: the recorder on a real actor', () => {
  const toggle = setup({ types: { events: {} as { type: 'flip' } | { type: 'beat' } } }).createMachine({
    id: 'toggle',
    context: { beats: 0 },
    initial: 'off',
    states: {
      off: { on: { flip: 'on', beat: { actions: assign({ beats: ({ context }) => context.beats + 1 }) } } },
      on: { on: { flip: 'off' } },
    },
  });

  it('sends the definition once, the actor, changed snapshots only, and the events', async () => {
    const batches: InspectRecord[][] = [];
    const recorder = createRecorder('T1', (r) => batches.push(r));
    const actor = createActor(toggle, { inspect: recorder.inspect }).start();
    actor.send({ type: 'flip' });
    await new Promise((r) => setTimeout(r, 100));
    actor.send({ type: 'flip' });
    actor.send({ type: 'beat' });
    await new Promise((r) => setTimeout(r, 100));
    // A new snapshot (the context changed) whose state value is the same: nothing to send.
    actor.send({ type: 'beat' });
    await new Promise((r) => setTimeout(r, 100));
    actor.stop();
    recorder.stop();
    const all = batches.flat();
    expect(all.filter((r) => r.t === 'machine')).to.have.length(1);
    expect(all.find((r) => r.t === 'actor')).to.deep.include({ actor: 'T1', name: 'T1', parent: null, machine: 'toggle' });
    const values = all.filter((r) => r.t === 'snapshot').map((r) => (r as { value: unknown }).value);
    // One per flush, the latest: on, then off (not the context's every change).
    expect(values).to.deep.equal(['on', 'off']);
    expect(all.filter((r) => r.t === 'event').map((r) => (r as { type: string }).type)).to.deep.equal(['flip', 'flip', 'beat', 'beat']);
  });
});

function readEvents(res: IncomingMessage, onRecords: (r: InspectRecord[]) => void): void {
  let buf = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const msg = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (msg.startsWith('data: ')) onRecords(JSON.parse(msg.slice(6)) as InspectRecord[]);
    }
  });
}

describe('inspect: the hub', function () {
  this.timeout(10_000);
  let hub: Hub;
  beforeEach(async () => {
    hub = new Hub({ host: '127.0.0.1', port: 0 });
    await hub.listen();
  });
  afterEach(() => hub.close());

  it('serves the page with a policy that forbids any other origin, and names nothing elsewhere', async () => {
    const res = await new Promise<IncomingMessage>((resolve) => get(hub.url, resolve));
    let body = '';
    for await (const c of res) body += c;
    expect(res.statusCode).to.equal(200);
    expect(res.headers['content-security-policy']).to.include("default-src 'none'").and.include("connect-src 'self'");
    expect(body).to.equal(PAGE);
    // The only absolute URL is the SVG namespace, which is a name, not a request.
    expect(PAGE.match(/https?:\/\/[^\s"'<>]+/g) ?? []).to.satisfy((urls: string[]) => urls.every((u) => u === 'http://www.w3.org/2000/svg'));
  });

  it('refuses a stream without its token', async () => {
    const res = await new Promise<IncomingMessage>((resolve) => {
      const req = request(`${hub.url}ingest?token=wrong`, { method: 'POST' }, resolve);
      req.end('{}\n');
    });
    expect(res.statusCode).to.equal(403);
    res.resume();
  });

  it('passes a stream to pages, gives a late page the whole state, and says down when the stream breaks', async () => {
    const req = request(hub.ingestUrl, { method: 'POST' });
    req.on('error', () => {});
    req.write(JSON.stringify({ t: 'hello', process: 'S9', role: 'server', pid: 42 }) + '\n');
    req.write(JSON.stringify({ t: 'actor', process: 'S9', actor: 'S9', name: 'S9', parent: null, machine: null }) + '\n');
    req.write(JSON.stringify({ t: 'event', process: 'whoever', at: 1, source: null, target: 'S9', type: 'frame.ready', detail: '', beat: false }) + '\n');
    // The page opens after those: its first message is the whole state.
    const got: InspectRecord[] = [];
    const res = await new Promise<IncomingMessage>((resolve) => setTimeout(() => get(`${hub.url}events`, resolve), 200));
    readEvents(res, (r) => got.push(...r));
    const until = async (pred: () => boolean) => {
      const end = Date.now() + 5000;
      while (!pred()) {
        if (Date.now() > end) throw new Error(`not seen: ${JSON.stringify(got)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until(() => got.some((r) => r.t === 'event'));
    expect(got[0]).to.deep.equal({ t: 'reset' });
    expect(got.find((r) => r.t === 'hello')).to.deep.include({ process: 'S9', pid: 42 });
    // A record names its stream's process, whatever it says.
    expect(got.find((r) => r.t === 'event')).to.deep.include({ process: 'S9' });
    req.destroy();
    await until(() => got.some((r) => r.t === 'down'));
    expect(got.find((r) => r.t === 'down')).to.deep.equal({ t: 'down', process: 'S9', pid: 42 });
    res.destroy();
  });
});
