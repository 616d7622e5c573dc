/**
 * The wire format of SPEC §4: percent-encoding of fields and list items, and the mapping between
 * typed frames and `<field, field, …, type>` text. The only module that builds or reads frame text.
 */
import type {
  ClientEntry,
  Frame,
  MemberPhase,
  Mode,
  Phase,
  ReplicaRole,
  RoleKind,
  ServerStatusFrame,
} from './frames.js';
import { joinText } from './state-text.js';

/** A frame that does not parse; `message` is short enough to send back in an error frame. */
export class FrameError extends Error {
  override name = 'FrameError';
}

// ---------------------------------------------------------------------------------------------
// Percent-encoding

const FIELD_SPECIAL = /[%,<>\x00-\x1f\x7f]/g;
const ITEM_SPECIAL = /[%;:]/g;
// Escapes may spell any UTF-8 text, and a BOM in a field is data, not a byte-order mark.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function escapeChar(c: string): string {
  return '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
}

/**
 * Field encoding: the characters that would break framing or vanish when blanks are trimmed travel
 * as `%XX`; everything else (non-ASCII included) travels raw.
 */
export function encodeField(s: string): string {
  const body = s.replace(FIELD_SPECIAL, escapeChar);
  // Counted by hand: a regex like / +$/ is quadratic on long runs of inner spaces.
  let lead = 0;
  while (lead < body.length && body.charCodeAt(lead) === 0x20) lead++;
  if (lead === body.length) return '%20'.repeat(lead);
  let trail = 0;
  while (body.charCodeAt(body.length - 1 - trail) === 0x20) trail++;
  if (lead === 0 && trail === 0) return body;
  return '%20'.repeat(lead) + body.slice(lead, body.length - trail) + '%20'.repeat(trail);
}

/** Item encoding for free text inside a list item; applied before field encoding. */
export function encodeItem(s: string): string {
  // Most items need nothing: three native searches are far cheaper than a regex pass (a 10 MB log
  // is item-encoded entry by entry for every checkpoint).
  if (s.indexOf('%') === -1 && s.indexOf(';') === -1 && s.indexOf(':') === -1) return s;
  return s.replace(ITEM_SPECIAL, escapeChar);
}

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/**
 * Decodes every `%XX` (not only the ones our encoder writes, so a hand-written `%3B` works too).
 * A run of escapes is one UTF-8 byte sequence, so multi-byte characters may be escaped as well.
 */
function percentDecode(s: string): string {
  let at = s.indexOf('%');
  if (at === -1) return s;
  const parts: string[] = [];
  let copied = 0;
  while (at !== -1) {
    parts.push(s.slice(copied, at));
    const bytes: number[] = [];
    let i = at;
    while (i < s.length && s.charCodeAt(i) === 0x25) {
      const hi = hexDigit(s.charCodeAt(i + 1));
      const lo = hexDigit(s.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) {
        throw new Error(`bad percent escape '${s.slice(i, i + 3)}' at position ${i + 1}`);
      }
      bytes.push(hi * 16 + lo);
      i += 3;
    }
    parts.push(bytesToText(bytes, at));
    copied = i;
    at = s.indexOf('%', i);
  }
  parts.push(s.slice(copied));
  return parts.join('');
}

function bytesToText(bytes: number[], position: number): string {
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    throw new Error(`percent escapes at position ${position + 1} are not valid UTF-8`);
  }
}

/** Inverse of encodeField; throws an Error naming the bad escape. */
export function decodeField(s: string): string {
  return percentDecode(s);
}

/** Inverse of encodeItem; throws an Error naming the bad escape. */
export function decodeItem(s: string): string {
  return percentDecode(s);
}

// ---------------------------------------------------------------------------------------------
// Frames → text

const dash = (s: string | null): string => s ?? '-';
const list = (items: readonly string[]): string => items.join(';');
const num = (n: number): string => String(n);

function clientsField(clients: readonly ClientEntry[]): string {
  return list(clients.map((c) => `${c.client}:${num(c.num)}:${encodeItem(c.reply)}${c.failed ? ':failed' : ''}`));
}

/** The fields of a frame, type last, before field encoding. */
export function frameFields(f: Frame): string[] {
  switch (f.kind) {
    case 'hello':
      return [f.name, f.role, num(f.version), 'hello'];
    case 'challenge':
      return [f.name, f.role, num(f.version), f.nonce, 'challenge'];
    case 'prove':
      return [f.name, f.nonce, f.proof, 'prove'];
    case 'proved':
      return [f.name, f.proof, 'proved'];
    case 'request':
      return [f.client, f.server, num(f.num), f.body, 'request'];
    case 'reply':
      return [f.client, f.server, num(f.num), f.result, 'reply'];
    case 'failed':
      return [f.client, f.server, num(f.num), f.message, 'failed'];
    case 'error':
      return [f.name, f.message, 'error'];
    case 'statusQuery':
      return [f.from, f.target, 'status'];
    case 'serverStatus':
      return [
        f.server, dash(f.mode), dash(f.role), f.phase, f.state, clientsField(f.clients),
        num(f.checkpoint), num(f.epoch), num(f.pid), ...(f.durable === undefined ? [] : [num(f.durable.position), num(f.durable.epoch), num(f.durable.taken)]), 'status',
      ];
    case 'rmStatus':
      return [
        f.from, f.mode, dash(f.primary), num(f.epoch),
        list(f.members.map((m) => `${m.server}:${m.phase}`)), 'status',
      ];
    case 'rmStandby':
      return [f.from, 'standby', f.leader ?? '', 'status'];
    case 'redirect':
      return [f.from, f.leader === null ? '' : `leader ${f.leader}`, 'redirect'];
    case 'directoryQuery':
      return [f.client, 'directory'];
    case 'directory':
      return ['RM', list(f.servers.map((s) => `${s.server}:${encodeItem(s.host)}:${num(s.port)}`)), 'directory'];
    case 'clientHello':
      return [f.client, 'client'];
    case 'clientView':
      return [f.client, f.mode, list(f.servers), f.servers.length === 0 ? 'wait' : 'ready'];
    case 'heartbeat':
      return f.answered === undefined ? [f.from, f.to, num(f.count), 'heartbeat'] : [f.from, f.to, num(f.count), num(f.answered), 'heartbeat'];
    case 'membership':
      return [f.from, f.server, f.change, 'membership'];
    case 'members':
      return [f.from, list(f.servers), num(f.epoch), 'members'];
    case 'ready':
      return f.serving
        ? [f.server, f.mode, f.role, num(f.epoch), list(f.peers), 'serving', 'ready']
        : [f.server, f.mode, f.role, num(f.epoch), list(f.peers), 'ready'];
    case 'sendCheckpoint':
      return [f.server, f.to, 'send_checkpoint'];
    case 'launch':
      return [f.server, 'launch'];
    case 'serving':
      return [f.server, num(f.epoch), 'serving'];
    case 'drain':
      return [f.from, f.server, 'drain'];
    case 'leaving':
      return [f.server, num(f.epoch), list(f.handedTo), 'leaving'];
    case 'released':
      return [f.server, 'released'];
    case 'checkpoint':
      return f.applied === undefined
        ? [f.from, f.to, num(f.number), joinText(f.state), clientsField(f.clients), num(f.epoch), 'checkpoint']
        : [f.from, f.to, num(f.number), joinText(f.state), clientsField(f.clients), num(f.applied), num(f.epoch), 'checkpoint'];
    case 'update':
      return [f.from, f.to, num(f.seq), f.client, num(f.num), f.body, num(f.epoch), 'update'];
    case 'ack':
      return [f.from, f.to, num(f.seq), num(f.epoch), 'ack'];
    case 'recovery':
      return [f.from, f.to, joinText(f.state), clientsField(f.clients), num(f.applied), num(f.epoch), 'recovery'];
    case 'forward':
      return [f.from, f.to, f.client, num(f.num), f.body, num(f.epoch), 'forward'];
    case 'order':
      return [f.from, f.to, num(f.position), f.client, num(f.num), f.body, num(f.epoch), 'order'];
    case 'commit':
      return [f.from, f.to, num(f.position), num(f.epoch), 'commit'];
    case 'statePart':
      return [f.from, f.to, num(f.transfer), num(f.index), f.text, 'state_part'];
    case 'stateEnd':
      return [f.from, f.to, num(f.transfer), num(f.parts), num(f.bytes), crcText(f.crc), 'state_end'];
  }
}

/** A CRC-32C as eight hex digits. */
export const crcText = (crc: number): string => crc.toString(16).toUpperCase().padStart(8, '0');

/** `<C1, S1, 8, hello_world8, request>` */
export function encodeFrame(f: Frame): string {
  return '<' + frameFields(f).map(encodeField).join(', ') + '>';
}

// ---------------------------------------------------------------------------------------------
// Text → frames

const NAME = /^[A-Za-z0-9_-]{1,32}$/;
const DIGITS = /^[0-9]+$/;

export const MODES: readonly Mode[] = ['active', 'passive'];
export const REPLICA_ROLES: readonly ReplicaRole[] = ['primary', 'backup'];
export const PHASES: readonly Phase[] = ['booting', 'recovering', 'ready', 'suspended'];
export const MEMBER_PHASES: readonly MemberPhase[] = [...PHASES, 'down'];
export const ROLES: readonly RoleKind[] = ['server', 'lfd', 'gfd', 'rm', 'client'];

export function isName(s: string): boolean {
  return NAME.test(s);
}

/** A value quoted for an error message: escaped so it stays on one line, and cut when long. */
function quote(s: string): string {
  const shown = s.length > 40 ? s.slice(0, 40) + '…' : s;
  return `'${shown.replace(/[\x00-\x1f\x7f]/g, escapeChar)}'`;
}

/** Reads the fields of one frame in order, with error messages that name the frame type. */
class FieldCursor {
  private i = 0;
  constructor(
    readonly wire: string,
    private readonly fields: readonly string[],
  ) {}

  text(): string {
    return this.fields[this.i++] ?? '';
  }

  name(): string {
    return checkName(this.text());
  }

  number(what: string): number {
    return checkNumber(this.text(), `${this.wire} ${what}`);
  }

  /** A CRC-32C: eight hex digits. */
  crc(): number {
    const s = this.text();
    if (!/^[0-9A-Fa-f]{8}$/.test(s)) throw new FrameError(`${this.wire} checksum ${quote(s)} is not eight hex digits`);
    return Number.parseInt(s, 16);
  }

  oneOf<T extends string>(what: string, values: readonly T[]): T {
    return checkOneOf(this.text(), what, values);
  }

  /** `-` stands for "not assigned yet". */
  oneOfOrNull<T extends string>(what: string, values: readonly T[]): T | null {
    const s = this.text();
    return s === '-' ? null : checkOneOf(s, what, values);
  }

  names(): string[] {
    return items(this.text()).map(checkName);
  }

  clients(): ClientEntry[] {
    return items(this.text()).map((item) => {
      const parts = item.split(':');
      // `C1:15:REPLY`, or `C1:15:MESSAGE:failed` for a request whose `apply` threw.
      const failed = parts.length === 4 && parts[3] === 'failed';
      if (parts.length !== 3 && !failed) throw new FrameError(`bad client entry ${quote(item)}`);
      const [client = '', n = '', reply = ''] = parts;
      const entry: ClientEntry = {
        client: checkName(client),
        num: checkNumber(n, `${this.wire} client entry number`),
        reply: itemText(reply),
      };
      if (failed) entry.failed = true;
      return entry;
    });
  }
}

function items(field: string): string[] {
  return field === '' ? [] : field.split(';');
}

function itemText(s: string): string {
  try {
    return decodeItem(s);
  } catch (e) {
    throw new FrameError((e as Error).message);
  }
}

function checkName(s: string): string {
  if (!NAME.test(s)) throw new FrameError(`bad name ${quote(s)}`);
  return s;
}

function checkVersion(v: string): number {
  const version = Number(v);
  if (!DIGITS.test(v) || !Number.isSafeInteger(version) || version === 0) {
    throw new FrameError(`hello version ${quote(v)} is not a positive integer`);
  }
  return version;
}

function checkHex(s: string, what: string, digits: number): string {
  if (s.length !== digits || !/^[0-9a-f]+$/.test(s)) throw new FrameError(`${what} is not ${digits} lowercase hex digits`);
  return s;
}

/**
 * The largest number a frame may carry (epochs, request numbers, positions, counts): 2^53 − 2^20.
 * Every number stays exact, and there is room above it to count on for a very long time: a forged
 * epoch of 2^53 − 1 would leave no next epoch that is a safe integer, and the cluster none to move to.
 */
export const MAX_WIRE_NUMBER = 2 ** 53 - 2 ** 20;

function checkNumber(s: string, what: string): number {
  const n = Number(s);
  if (!DIGITS.test(s) || !Number.isSafeInteger(n)) {
    throw new FrameError(`${what} ${quote(s)} is not a non-negative integer`);
  }
  if (n > MAX_WIRE_NUMBER) throw new FrameError(`${what} ${quote(s)} is above ${MAX_WIRE_NUMBER}`);
  return n;
}

function checkOneOf<T extends string>(s: string, what: string, values: readonly T[]): T {
  if (!(values as readonly string[]).includes(s)) throw new FrameError(`unknown ${what} ${quote(s)}`);
  return s as T;
}

type Parser = (r: FieldCursor) => Frame;

/** Parsers by wire type and field count (type included). */
function serverStatusParser(durable: boolean): Parser {
  return (r) => {
    const f: ServerStatusFrame = {
      kind: 'serverStatus',
      server: r.name(),
      mode: r.oneOfOrNull('mode', MODES),
      role: r.oneOfOrNull('role', REPLICA_ROLES),
      phase: r.oneOf('phase', PHASES),
      state: r.text(),
      clients: r.clients(),
      checkpoint: r.number('checkpoint'),
      epoch: r.number('epoch'),
      pid: r.number('pid'),
    };
    if (durable) f.durable = { position: r.number('position'), epoch: r.number('history epoch'), taken: r.number('taken epoch') };
    return f;
  };
}

function checkpointParser(positioned: boolean): Parser {
  return (r) => {
    const head = { kind: 'checkpoint' as const, from: r.name(), to: r.name(), number: r.number('number'), state: r.text(), clients: r.clients() };
    const position = positioned ? { applied: r.number('applied count') } : {};
    return { ...head, ...position, epoch: r.number('epoch') };
  };
}

const parsers: Record<string, Record<number, Parser>> = {
  hello: {
    4: (r) => ({ kind: 'hello', name: r.name(), role: r.oneOf('role', ROLES), version: checkVersion(r.text()) }),
  },
  challenge: {
    5: (r) => ({ kind: 'challenge', name: r.name(), role: r.oneOf('role', ROLES), version: checkVersion(r.text()), nonce: checkHex(r.text(), 'nonce', 32) }),
  },
  prove: {
    4: (r) => ({ kind: 'prove', name: r.name(), nonce: checkHex(r.text(), 'nonce', 32), proof: checkHex(r.text(), 'proof', 64) }),
  },
  proved: {
    3: (r) => ({ kind: 'proved', name: r.name(), proof: checkHex(r.text(), 'proof', 64) }),
  },
  request: {
    5: (r) => ({ kind: 'request', client: r.name(), server: r.name(), num: r.number('number'), body: r.text() }),
  },
  reply: {
    5: (r) => ({ kind: 'reply', client: r.name(), server: r.name(), num: r.number('number'), result: r.text() }),
  },
  failed: {
    5: (r) => ({ kind: 'failed', client: r.name(), server: r.name(), num: r.number('number'), message: r.text() }),
  },
  error: {
    3: (r) => ({ kind: 'error', name: r.name(), message: r.text() }),
  },
  status: {
    3: (r) => ({ kind: 'statusQuery', from: r.name(), target: r.name() }),
    // `<RM, MODE, PRIMARY, EPOCH, MEMBERS, status>`
    6: (r) => {
      const from = r.name();
      const mode = r.oneOf('mode', MODES);
      const primary = r.text();
      return {
        kind: 'rmStatus',
        from,
        mode,
        primary: primary === '-' ? null : checkName(primary),
        epoch: r.number('epoch'),
        members: items(r.text()).map((item) => {
          const parts = item.split(':');
          if (parts.length !== 2) throw new FrameError(`bad member entry ${quote(item)}`);
          const [server = '', phase = ''] = parts;
          return { server: checkName(server), phase: checkOneOf(phase, 'phase', MEMBER_PHASES) };
        }),
      };
    },
    // `<RM2, standby, LEADER, status>`: a standby RM (SPEC §8).
    4: (r) => {
      const from = r.name();
      const word = r.text();
      if (word !== 'standby') throw new FrameError(`a four-field status is a standby RM's: 'standby', not ${quote(word)}`);
      const leader = r.text();
      return { kind: 'rmStandby', from, leader: leader === '' ? null : checkName(leader) };
    },
    10: serverStatusParser(false),
    // A server with a data folder says how far its history goes too (docs/durability.md).
    13: serverStatusParser(true),
  },
  client: {
    2: (r) => ({ kind: 'clientHello', client: r.name() }),
  },
  redirect: {
    3: (r) => {
      const from = r.name();
      const to = r.text();
      if (to === '') return { kind: 'redirect', from, leader: null };
      const m = /^leader (\S+)$/.exec(to);
      if (m === null) throw new FrameError(`a redirect names its leader as 'leader NAME' (or nothing), not ${quote(to)}`);
      return { kind: 'redirect', from, leader: checkName(m[1]!) };
    },
  },
  directory: {
    2: (r) => ({ kind: 'directoryQuery', client: r.name() }),
    3: (r) => {
      const rm = r.text();
      if (rm !== 'RM') throw new FrameError(`directory must start with 'RM', not ${quote(rm)}`);
      return {
        kind: 'directory',
        servers: items(r.text()).map((item) => {
          const parts = item.split(':');
          if (parts.length !== 3) throw new FrameError(`bad directory entry ${quote(item)}`);
          const [server = '', host = '', port = ''] = parts;
          return { server: checkName(server), host: itemText(host), port: checkNumber(port, 'directory port') };
        }),
      };
    },
  },
  ready: {
    4: (r) => {
      const f = { kind: 'clientView' as const, client: r.name(), mode: r.oneOf('mode', MODES), servers: r.names() };
      if (f.servers.length === 0) throw new FrameError(`ready names no server (use wait)`);
      return f;
    },
    6: (r) => ({
      kind: 'ready',
      server: r.name(),
      mode: r.oneOf('mode', MODES),
      role: r.oneOf('role', REPLICA_ROLES),
      epoch: r.number('epoch'),
      peers: r.names(),
    }),
    // The RM's mark that it counts the server as serving already (docs/protocol.md).
    7: (r) => {
      const f = {
        kind: 'ready' as const,
        server: r.name(),
        mode: r.oneOf('mode', MODES),
        role: r.oneOf('role', REPLICA_ROLES),
        epoch: r.number('epoch'),
        peers: r.names(),
      };
      r.oneOf('standing', ['serving'] as const);
      return { ...f, serving: true };
    },
  },
  wait: {
    4: (r) => {
      const f = { kind: 'clientView' as const, client: r.name(), mode: r.oneOf('mode', MODES), servers: r.names() };
      if (f.servers.length !== 0) throw new FrameError(`wait must not name servers`);
      return f;
    },
  },
  heartbeat: {
    4: (r) => ({ kind: 'heartbeat', from: r.name(), to: r.name(), count: r.number('count') }),
    5: (r) => ({ kind: 'heartbeat', from: r.name(), to: r.name(), count: r.number('count'), answered: r.number('answered') }),
  },
  membership: {
    4: (r) => ({
      kind: 'membership',
      from: r.name(),
      server: r.name(),
      change: r.oneOf('membership change', ['add', 'delete'] as const),
    }),
  },
  members: {
    4: (r) => ({ kind: 'members', from: r.name(), servers: r.names(), epoch: r.number('epoch') }),
  },
  send_checkpoint: {
    3: (r) => ({ kind: 'sendCheckpoint', server: r.name(), to: r.name() }),
  },
  launch: {
    2: (r) => ({ kind: 'launch', server: r.name() }),
  },
  serving: {
    3: (r) => ({ kind: 'serving', server: r.name(), epoch: r.number('epoch') }),
  },
  drain: {
    3: (r) => ({ kind: 'drain', from: r.name(), server: r.name() }),
  },
  leaving: {
    4: (r) => ({ kind: 'leaving', server: r.name(), epoch: r.number('epoch'), handedTo: r.names() }),
  },
  released: {
    2: (r) => ({ kind: 'released', server: r.name() }),
  },
  // The seed's form, and the form with the primary's position (docs/protocol.md).
  checkpoint: { 7: checkpointParser(false), 8: checkpointParser(true) },
  update: {
    8: (r) => ({
      kind: 'update',
      from: r.name(),
      to: r.name(),
      seq: r.number('sequence number'),
      client: r.name(),
      num: r.number('request number'),
      body: r.text(),
      epoch: r.number('epoch'),
    }),
  },
  ack: {
    5: (r) => ({ kind: 'ack', from: r.name(), to: r.name(), seq: r.number('sequence number'), epoch: r.number('epoch') }),
  },
  recovery: {
    7: (r) => ({
      kind: 'recovery',
      from: r.name(),
      to: r.name(),
      state: r.text(),
      clients: r.clients(),
      applied: r.number('applied count'),
      epoch: r.number('epoch'),
    }),
  },
  forward: {
    7: (r) => ({
      kind: 'forward',
      from: r.name(),
      to: r.name(),
      client: r.name(),
      num: r.number('request number'),
      body: r.text(),
      epoch: r.number('epoch'),
    }),
  },
  order: {
    8: (r) => ({
      kind: 'order',
      from: r.name(),
      to: r.name(),
      position: r.number('position'),
      client: r.name(),
      num: r.number('request number'),
      body: r.text(),
      epoch: r.number('epoch'),
    }),
  },
  commit: {
    5: (r) => ({ kind: 'commit', from: r.name(), to: r.name(), position: r.number('position'), epoch: r.number('epoch') }),
  },
  state_part: {
    6: (r) => ({ kind: 'statePart', from: r.name(), to: r.name(), transfer: r.number('transfer'), index: r.number('part'), text: r.text() }),
  },
  state_end: {
    7: (r) => ({
      kind: 'stateEnd',
      from: r.name(),
      to: r.name(),
      transfer: r.number('transfer'),
      parts: r.number('parts'),
      bytes: r.number('bytes'),
      crc: r.crc(),
    }),
  },
};

function countsText(counts: number[]): string {
  if (counts.length === 1) return String(counts[0]);
  return counts.slice(0, -1).join(', ') + ' or ' + String(counts[counts.length - 1]);
}

/** Fields already field-decoded and trimmed; the last one is the wire type. */
export function parseFrame(fields: readonly string[]): Frame {
  const wire = fields[fields.length - 1] ?? '';
  if (wire === '') throw new FrameError('frame has no type');
  const shapes = Object.hasOwn(parsers, wire) ? parsers[wire] : undefined;
  if (shapes === undefined) throw new FrameError(`unknown frame type ${quote(wire)}`);
  const parse = shapes[fields.length];
  if (parse === undefined) {
    const counts = Object.keys(shapes).map(Number);
    throw new FrameError(`${wire} needs ${countsText(counts)} fields, got ${fields.length}`);
  }
  return parse(new FieldCursor(wire, fields));
}

/** Blanks around fields: spaces and tabs, and line breaks for frames typed over several lines. */
function trimBlanks(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isBlank(s.charCodeAt(start))) start++;
  while (end > start && isBlank(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** The fields of `<…>` text, trimmed and field-decoded. */
export function splitFrameText(text: string): string[] {
  const t = trimBlanks(text);
  if (t.length < 2 || !t.startsWith('<') || !t.endsWith('>')) {
    throw new FrameError('a frame must be enclosed in < and >');
  }
  return t
    .slice(1, -1)
    .split(',')
    .map((raw, i) => {
      try {
        return decodeField(trimBlanks(raw));
      } catch (e) {
        throw new FrameError(`field ${i + 1}: ${(e as Error).message}`);
      }
    });
}

/** `<…>` text → frame; throws FrameError only. */
export function decodeFrameText(text: string): Frame {
  return parseFrame(splitFrameText(text));
}

// ---------------------------------------------------------------------------------------------
// Error texts that carry data

/** `C1 last 15`: the refusal of a number below client C1's last one (SPEC §6 Exactly once). */
export function lastNumberError(client: string, last: number): string {
  return `${client} last ${num(last)}`;
}

/** The last number in `client`'s `C1 last 15` refusal, or null for any other error text. */
export function lastNumberOf(message: string, client: string): number | null {
  const prefix = `${client} last `;
  if (!message.startsWith(prefix)) return null;
  const rest = message.slice(prefix.length);
  return DIGITS.test(rest) && Number.isSafeInteger(Number(rest)) ? Number(rest) : null;
}
