/**
 * The client library: `connect()` runs the client machine (`src/actors/client.ts`, the one client
 * implementation, which `steadfast client` runs too) over TCP and turns its answers into promises.
 *
 * The machine numbers requests, follows the RM, resends the same number after a failover, discards
 * duplicates and resumes numbering after a `last N` refusal; concurrent `request` calls queue in
 * call order and go out one at a time, as SPEC §6 has a client do.
 */
import { createActor, type Actor } from 'xstate';
import { clientMachine, type AnsweredEvent } from '../actors/client.js';
import { directoryServer } from '../actors/wiring.js';
import { configReader, DEFAULT_SETTINGS, loadConfig, loadTlsFiles, NAME_PATTERN } from '../config/load.js';
import type { ClusterConfig } from '../config/types.js';
import type { Print } from '../log/events.js';
import type { Mode } from '../protocol/frames.js';
import { RM_NAME } from '../protocol/links.js';
import { queryDirectory } from '../transport/query.js';
import { transportFor } from '../transport/tcp.js';
import { AppError, ClosedError, TimeoutError } from './errors.js';

export interface ConnectOptions {
  /** The client's name (`[A-Za-z0-9_-]{1,32}`); it need not appear in the ini. */
  name: string;
  /** The cluster's ini file, or a configuration already loaded. */
  config?: string | ClusterConfig;
  /** Or only the RM's `HOST:PORT`: the servers' addresses are asked from the RM. */
  rm?: string;
  /** With `rm`: the cluster's mode until the RM says (default passive). */
  mode?: Mode;
  /** With `rm`: how long without a reply before a passive client resends (default 3000 ms, as heartbeat_timeout). */
  resendAfterMs?: number;
  /** With `rm`, for a cluster with mutual TLS: the PEM files' paths (with `config`, the ini's keys say). */
  tls?: { cert: string; key: string; ca: string };
  /** The client's printed events (SPEC §5 lines); default: none. */
  print?: Print;
}

export interface RequestOptions {
  /** Reject with `TimeoutError` after this long (default: wait as long as it takes). */
  timeoutMs?: number;
}

/** A request's answer, with where it came from. */
export interface Answer {
  /** The application's reply. */
  reply: string;
  /** The number the request went out under. */
  num: number;
  /** The replica whose reply arrived first. */
  server: string;
}

export interface Client {
  readonly name: string;
  /** Sends `body` as the next request; resolves with the application's reply. */
  request(body: string, options?: RequestOptions): Promise<string>;
  /** As `request`, resolving with the reply's number and server too. */
  submit(body: string, options?: RequestOptions): Promise<Answer>;
  /** Closes every link; requests not answered yet reject with `ClosedError`. */
  close(): Promise<void>;
}

interface Waiting {
  resolve(answer: Answer): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
}

const quiet: Print = () => {};

export async function connect(options: ConnectOptions): Promise<Client> {
  if (!NAME_PATTERN.test(options.name)) throw new TypeError(`connect: name must match ${NAME_PATTERN}: '${options.name}'`);
  const config = await configFor(options);
  const transport = transportFor(config.cluster);
  const actor = createActor(clientMachine.provide({ actors: { link: transport.link, links: transport.links } }), {
    input: { name: options.name, config, print: options.print ?? quiet, stdin: true, intervalMs: 0, giveUp: false, ...(typeof options.config === 'string' && { reloadConfig: configReader({ path: options.config, role: `client.${options.name}` }) }) },
  });
  return new LibraryClient(options.name, actor);
}

async function configFor(options: ConnectOptions): Promise<ClusterConfig> {
  if (options.config !== undefined && options.rm !== undefined) throw new TypeError('connect: give config or rm, not both');
  if (typeof options.config === 'string') return loadConfig({ path: options.config, role: `client.${options.name}` });
  if (options.config !== undefined) return options.config;
  if (options.rm === undefined) throw new TypeError('connect: give config (an ini file) or rm (HOST:PORT)');
  const rm = endpoint(options.rm);
  const tls = options.tls ? loadTlsFiles(options.tls, (which) => `connect: tls.${which}`) : null;
  const directory = await queryDirectory(rm.host, rm.port, options.name, 2000, tls);
  return {
    source: `the RM at ${options.rm}`,
    appFrom: '',
    cluster: { ...DEFAULT_SETTINGS, mode: options.mode ?? 'passive', heartbeatTimeoutMs: options.resendAfterMs ?? DEFAULT_SETTINGS.heartbeatTimeoutMs, tls },
    etcd: null,
    rms: [{ name: RM_NAME, ...rm }],
    // A client never talks to the GFD.
    gfds: [],
    servers: directory.servers.map(directoryServer),
    lfds: [],
    clients: [],
    tlsOverrides: {},
  };
}

function endpoint(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port < 1 || port > 65535) throw new TypeError(`connect: rm must be HOST:PORT: '${text}'`);
  return { host: m[1] ?? m[2]!, port };
}

class LibraryClient implements Client {
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly actor: Actor<typeof clientMachine>,
  ) {
    actor.on('request.answered', (e: AnsweredEvent) => this.answered(e));
    // A bug in the machine must not leave callers waiting for ever.
    actor.subscribe({ error: (err) => this.failAll(err instanceof Error ? err : new Error(String(err))) });
    actor.start();
  }

  async request(body: string, options: RequestOptions = {}): Promise<string> {
    return (await this.submit(body, options)).reply;
  }

  submit(body: string, options: RequestOptions = {}): Promise<Answer> {
    if (this.closed) return Promise.reject(new ClosedError());
    if (typeof body !== 'string') return Promise.reject(new TypeError('request: the body must be a string'));
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      const w: Waiting = { resolve, reject, timer: undefined };
      if (options.timeoutMs !== undefined) w.timer = setTimeout(() => this.timedOut(id, options.timeoutMs!), options.timeoutMs);
      this.waiting.set(id, w);
      this.actor.send({ type: 'request.submit', id, body });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.actor.stop();
    this.failAll(new ClosedError());
  }

  private failAll(err: Error): void {
    this.closed = true;
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.waiting.clear();
  }

  private answered(e: AnsweredEvent): void {
    const w = e.id === null ? undefined : this.waiting.get(e.id);
    if (!w) return;
    this.waiting.delete(e.id!);
    clearTimeout(w.timer);
    if (e.failed) w.reject(new AppError(e.result, e.num));
    else w.resolve({ reply: e.result, num: e.num, server: e.server });
  }

  /** A request not sent yet is dropped; one in flight goes on in the background (its outcome is unknown). */
  private timedOut(id: number, timeoutMs: number): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    const { current, sent: out } = this.actor.getSnapshot().context;
    const sent = current === id && out;
    if (!sent) this.actor.send({ type: 'request.cancel', id });
    w.reject(new TimeoutError(timeoutMs, sent));
  }
}
