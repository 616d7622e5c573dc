/**
 * The three transport actors, written once over a `Driver` (TCP or the in-memory network):
 *
 * - listener: accepts connections on one address; each connection is a link `L1`, `L2`, … with its
 *   own `LinkSession` (the session decides what is accepted, refused and answered).
 * - link: one outbound connection that says hello, reconnects by itself with capped exponential
 *   backoff and full jitter, and drops what is sent while it is down.
 * - links: one such link to each peer its parent wants (`links.want`), each named by the peer:
 *   the parent says which peers it wants and hears which are up, instead of keeping a child per peer.
 *
 * All three are xstate callback actors: events go to the parent with `sendBack`, commands come in through
 * `receive`, and stopping the actor closes everything it opened (and reports nothing more).
 *
 * Commands: `send` writes a frame (a listener and a links actor need `link`; an unknown or closed
 * link, or a link that is down, drops it silently). `close` ends a listener's connection, or a
 * link's current connection (which then reconnects). Every close, whichever side decided it, is reported
 * once as `link.down`; a link reports `link.down` only for a connection that was up (failed
 * connects are retried silently).
 *
 * Hellos: the session keeps them out of its `frames`, but a machine needs to know who is on a link
 * before that peer's first other frame (the GFD heartbeats an LFD as soon as it said hello). So an
 * accepted hello is reported as a `frame.hello` event (one of the `FrameEvent`s) with origin.peer
 * set: on a listener when a peer greets (the answer already written, an older link under the same
 * name already closed and reported down), on a link when the listener's answer arrives.
 */
import { fromCallback } from 'xstate';
import { encodeFrame } from '../protocol/codec.js';
import type { Frame } from '../protocol/frames.js';
import type { Auth } from '../protocol/auth.js';
import { helloFrame, LinkSession, type SessionStep } from '../protocol/session.js';
import { frameEncoder } from '../protocol/transfer.js';
import type { Conn, Driver, ListenHandle, Outgoing } from './connection.js';
import { Inbox } from './inbox.js';
import type {
  FrameEvent,
  LinkInput,
  LinksInput,
  ListenerInput,
  Origin,
  Transport,
  TransportCommand,
  TransportEvent,
  WantedPeer,
} from './types.js';

export type { Conn, Driver } from './connection.js';

/** Reconnect backoff when `LinkInput.backoff` is not given (SPEC §6: starts at 50 ms). */
export const DEFAULT_BACKOFF = { initialMs: 50, maxMs: 1000 } as const;

/**
 * Frames an authenticating link keeps for after the proofs (and at most `max_state_frame`
 * characters of them); past that the oldest are dropped, as on a link that is down. The proofs
 * take a round trip, so only a machine sending at full speed meets the bound.
 */
export const MAX_WAITING = 4096;

/** Reasons given in `link.down` for closes this side decided. */
export const CLOSE_REASONS = {
  replaced: 'replaced by a new hello',
  requested: 'closed by this side',
  refused: 'closed after refused frames',
  full: 'too many connections',
  stalled: 'stopped inside a frame',
  stopped: 'stopped',
} as const;

/**
 * Delay before reconnect attempt number `retry` (0 for the first after a success): full jitter over
 * a capped exponential ceiling, `random() * min(max, initial * 2^retry)`.
 */
export function backoffDelay(retry: number, backoff: { initialMs: number; maxMs: number }, random: () => number): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(retry, 30));
  return Math.floor(random() * ceiling);
}

export function makeTransport(driver: Driver): Transport {
  return {
    listener: fromCallback<TransportCommand, ListenerInput>(({ input, sendBack, receive }) =>
      runListener(driver, input, sendBack, receive),
    ),
    link: fromCallback<TransportCommand, LinkInput>(({ input, sendBack, receive }) =>
      runLink(driver, input, sendBack, receive),
    ),
    links: fromCallback<TransportCommand, LinksInput>(({ input, sendBack, receive }) =>
      runLinks(driver, input, sendBack, receive),
    ),
  };
}

type SendBack = (event: TransportEvent) => void;
type Receive = (listener: (command: TransportCommand) => void) => void;
type Single = Exclude<TransportCommand, { type: 'batch' }>;

/** The single commands a command stands for: itself, or those of a `batch` in order. */
export function eachCommand(command: TransportCommand): Single[] {
  return command.type === 'batch' ? command.commands.flatMap(eachCommand) : [command];
}

/** Takes commands one at a time, those of a `batch` in order. */
function receiveEach(receive: Receive, handle: (command: Single) => void): void {
  receive((command) => eachCommand(command).forEach(handle));
}

function authOf(driver: Driver, secret: string | null | undefined): Auth | null {
  return secret ? { secret, nonce: () => driver.nonce() } : null;
}

/** A state in parts counts nothing while it waits: its texts are made only as it is sent. */
const charsOf = (out: Outgoing): number => (typeof out === 'string' ? out.length : 0);

function frameEvent(frame: Frame, origin: Origin): FrameEvent {
  return { type: `frame.${frame.kind}`, frame, origin } as FrameEvent;
}

/**
 * Carry out one session step on a connection: answer first (so the hello answer precedes anything
 * the parent sends in reaction), then report the hello, the frames and the refusals, then close.
 * `afterHello` runs once the hello is reported and before the frames: a parent learns of a new
 * link under a name before the old one's `link.down`, so it can tell a replaced link from a lost one.
 */
function applyStep(
  conn: Conn,
  step: SessionStep,
  origin: () => Origin,
  sendBack: SendBack,
  afterHello: () => void,
): void {
  for (const reply of step.replies) conn.write(encodeFrame(reply));
  if (step.hello !== null) sendBack(frameEvent(helloFrame(step.hello), origin()));
  afterHello();
  for (const frame of step.frames) sendBack(frameEvent(frame, origin()));
  for (const reason of step.refused) sendBack({ type: 'link.refused', origin: origin(), reason });
  if (step.close) conn.close(CLOSE_REASONS.refused);
}

/**
 * Where a listener's or a links actor's events go: to its parent while it runs. Without batch kinds
 * every event goes at once; with them, through an inbox: what one session step pushes is settled
 * together (so that its frames form one batch even without turns), and what every connection read
 * in a turn goes at its end. `emit` pushes and settles one event.
 */
function delivery(driver: Driver, batch: ListenerInput['batch'], sendBack: SendBack, running: () => boolean) {
  const deliver: SendBack = (event) => {
    if (running()) sendBack(event);
  };
  const inbox = batch ? new Inbox(deliver, batch, driver.atTurnEnd ?? null) : null;
  const push: SendBack = inbox ? (event) => inbox.push(event) : deliver;
  const settle = (): void => inbox?.settle();
  const emit: SendBack = (event) => {
    push(event);
    settle();
  };
  return { push, settle, emit };
}

function runListener(driver: Driver, input: ListenerInput, sendBack: SendBack, receive: Receive): () => void {
  let stopped = false;
  let server: ListenHandle | null = null;
  let next = 0;
  const links = new Map<string, { conn: Conn; session: LinkSession }>();
  const encode = frameEncoder(input.limits.maxFrame);
  const { push, settle, emit } = delivery(driver, input.batch, sendBack, () => !stopped);

  let names = input.names;
  const accept = (conn: Conn): void => {
    if (stopped) {
      conn.close(CLOSE_REASONS.stopped);
      return;
    }
    if (input.maxConnections !== undefined && links.size >= input.maxConnections) {
      conn.close(CLOSE_REASONS.full);
      return;
    }
    const link = `L${++next}`;
    const session = new LinkSession({
      self: input.self,
      side: { port: input.kind },
      limits: input.limits,
      auth: authOf(driver, input.secret),
      names,
      certNames: conn.certNames ?? null,
    });
    const origin = (): Origin => ({ via: input.id, link, peer: session.peer });
    links.set(link, { conn, session });
    let stall: ReturnType<typeof setTimeout> | undefined;
    conn.onClose((reason) => {
      if (stall !== undefined) globalThis.clearTimeout(stall);
      if (links.get(link)?.conn === conn) links.delete(link);
      emit({ type: 'link.down', origin: origin(), reason });
    });
    emit({ type: 'link.up', origin: origin() });
    // A peer that stops inside a frame holds the connection and the bytes read so far: after
    // `stallMs` without a byte it is closed (a large frame that keeps arriving is never cut).
    const watchStall = (): void => {
      if (stall !== undefined) globalThis.clearTimeout(stall);
      stall = undefined;
      if (input.stallMs !== undefined && session.midFrame && !conn.closed) {
        stall = globalThis.setTimeout(() => conn.close(CLOSE_REASONS.stalled), input.stallMs);
      }
    };
    conn.onData((chunk) => {
      if (stopped || conn.closed) return;
      const step = session.receive(chunk);
      watchStall();
      applyStep(conn, step, origin, push, () => {
        // SPEC §4: a new hello under a name that already has a link replaces that link.
        if (step.hello === null) return;
        const name = step.hello.name;
        for (const [other, entry] of [...links]) {
          if (other !== link && entry.session.peer?.name === name) entry.conn.close(CLOSE_REASONS.replaced);
        }
      });
      settle();
    });
  };

  driver.listen(input.host, input.port, accept, (result) => {
    if (stopped) {
      if (result.ok) result.close();
      return;
    }
    if (result.ok) {
      server = result;
      emit({ type: 'listen.ready', via: input.id, port: result.port });
    } else {
      emit({ type: 'listen.failed', via: input.id, reason: `${input.host}:${input.port}: ${result.reason}` });
    }
  });

  receiveEach(receive, (command) => {
    if (stopped) return;
    if (command.type === 'send') {
      if (command.link === undefined) return;
      links.get(command.link)?.conn.write(encode(command.frame), command.coalesce);
    } else if (command.type === 'close') {
      links.get(command.link)?.conn.close(CLOSE_REASONS.requested);
    } else if (command.type === 'names') {
      names = command.names;
    }
  });

  return () => {
    stopped = true;
    server?.close();
    server = null;
    for (const { conn } of links.values()) conn.close(CLOSE_REASONS.stopped);
    links.clear();
  };
}

/** An outbound link while it runs: it takes `send` and `close`, and `stop` ends it for good. */
interface OpenLink {
  command(command: Single): void;
  /** Waiting to reconnect: try now, with the backoff started over. */
  retryNow(): void;
  stop(): void;
}

function runLink(driver: Driver, input: LinkInput, sendBack: SendBack, receive: Receive): () => void {
  const link = openLink(driver, input, '', sendBack);
  receiveEach(receive, (command) => link.command(command));
  return () => link.stop();
}

/**
 * One link per wanted peer, by name. The links are started and stopped in the order `links.want`
 * lists them (gone ones first), so a run draws its backoff jitter in a reproducible order.
 */
function runLinks(driver: Driver, input: LinksInput, sendBack: SendBack, receive: Receive): () => void {
  const links = new Map<string, { to: WantedPeer; link: OpenLink }>();
  const same = (a: WantedPeer, b: WantedPeer) => a.host === b.host && a.port === b.port;
  let stopped = false;
  const { emit } = delivery(driver, input.batch, sendBack, () => !stopped);

  const want = (peers: readonly WantedPeer[]): void => {
    for (const [name, { to, link }] of [...links]) {
      const still = peers.find((p) => p.name === name);
      if (still && same(still, to)) continue;
      link.stop();
      links.delete(name);
    }
    for (const to of peers) {
      if (links.has(to.name)) continue;
      links.set(to.name, { to, link: openLink(driver, { ...input, host: to.host, port: to.port }, to.name, emit) });
    }
  };

  receiveEach(receive, (command) => {
    if (stopped) return;
    if (command.type === 'links.want') want(command.peers);
    else if (command.type === 'links.retry') links.get(command.link)?.link.retryNow();
    else if (command.type !== 'names' && command.link !== undefined) links.get(command.link)?.link.command(command);
  });

  return () => {
    stopped = true;
    for (const { link } of links.values()) link.stop();
    links.clear();
  };
}

/** An outbound link whose events say `link` in their origin: empty for a link actor, the peer's name in a links actor. */
function openLink(driver: Driver, input: LinkInput, link: string, sendBack: SendBack): OpenLink {
  const backoff = input.backoff ?? DEFAULT_BACKOFF;
  let stopped = false;
  let conn: Conn | null = null;
  /** Proving the secret: sends wait in `waiting` (bounded, the oldest dropped) until both sides did. */
  let proving = false;
  let waiting: { out: Outgoing; coalesce: string | undefined }[] = [];
  let waitingChars = 0;
  const encode = frameEncoder(input.limits.maxFrame);
  /** Reconnect attempts since the last established connection. */
  let retries = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const emit: SendBack = (event) => {
    if (!stopped) sendBack(event);
  };

  const retryLater = (): void => {
    if (stopped) return;
    const delay = backoffDelay(retries, backoff, () => driver.random());
    retries += 1;
    timer = globalThis.setTimeout(attempt, delay);
  };

  const connected = (c: Conn): void => {
    const session = new LinkSession({ self: input.self, side: { target: input.target }, limits: input.limits, auth: authOf(driver, input.secret), certNames: c.certNames ?? null });
    const origin = (): Origin => ({ via: input.id, link, peer: session.peer });
    // A link counts as established (backoff reset) once the listener took it: at the hello answer
    // for a link that says hello, at connect otherwise. A listener that closes every new connection
    // before answering thus meets a growing backoff instead of a reconnect loop.
    let established = false;
    const establish = (): void => {
      established = true;
      retries = 0;
    };
    conn = c;
    // With a secret, what is sent before both sides proved it waits here (the listener would refuse it).
    proving = input.hello && Boolean(input.secret);
    waiting = [];
    waitingChars = 0;
    c.onClose((reason) => {
      if (conn === c) conn = null;
      if (stopped) return;
      emit({ type: 'link.down', origin: origin(), reason });
      retryLater();
    });
    if (input.hello) c.write(encodeFrame(helloFrame(input.self)));
    else establish();
    emit({ type: 'link.up', origin: origin() });
    c.onData((chunk) => {
      if (stopped || c.closed) return;
      const step = session.receive(chunk);
      if (proving && step.hello !== null) {
        proving = false;
        for (const w of waiting) c.write(w.out, w.coalesce);
        waiting = [];
        waitingChars = 0;
      }
      applyStep(c, step, origin, emit, () => {
        if (step.hello !== null && !established) establish();
      });
    });
  };

  function attempt(): void {
    timer = undefined;
    if (stopped) return;
    driver.connect(input.host, input.port, (result) => {
      if (stopped) {
        if (result.ok) result.conn.close(CLOSE_REASONS.stopped);
        return;
      }
      if (result.ok) connected(result.conn);
      else retryLater();
    });
  }

  attempt();

  return {
    command(command) {
      if (stopped || conn === null) return;
      if (command.type === 'send' && proving) {
        const out = encode(command.frame);
        waiting.push({ out, coalesce: command.coalesce });
        waitingChars += charsOf(out);
        while (waiting.length > MAX_WAITING || (waitingChars > input.limits.maxStateFrame && waiting.length > 1)) {
          waitingChars -= charsOf(waiting.shift()!.out);
        }
      } else if (command.type === 'send') conn.write(encode(command.frame), command.coalesce);
      else if (command.type === 'close') conn.close(CLOSE_REASONS.requested);
    },
    retryNow() {
      if (stopped || timer === undefined) return; // connected, or a connect under way
      globalThis.clearTimeout(timer);
      retries = 0;
      attempt();
    },
    stop() {
      stopped = true;
      if (timer !== undefined) globalThis.clearTimeout(timer);
      timer = undefined;
      conn?.close(CLOSE_REASONS.stopped);
      conn = null;
    },
  };
}
