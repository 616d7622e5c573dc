/**
 * Runs one role's machine in this process over TCP: the printer, the transport, a clean stop on
 * Ctrl-C (SIGINT) or SIGTERM (graceful where the role has a way: `termEvent`), and exit status 1
 * when a listener cannot bind.
 */
import { createActor, fromCallback, type AnyActorLogic, type AnyActorRef, type AnyStateMachine } from 'xstate';
import type { ListenerInput, TransportCommand } from '../transport/types.js';
import type { Transport } from '../transport/types.js';
import type { Print } from '../log/events.js';
import { observeEvents } from '../log/printer.js';
import { SINK_ENV } from '../inspect/env.js';
import type { RoleInspection } from '../inspect/role.js';
import type { RoleMetrics } from '../admin/metrics.js';

export interface RunOptions {
  print: Print;
  name: string;
  /** The role's transport (`transportFor` its configuration: TCP, or mutual TLS). */
  transport: Transport;
  /** More actors to provide (the LFD's launcher). */
  actors?: Record<string, AnyActorLogic>;
  /** Called once the actor runs, to feed it events from outside (a client's standard input). */
  attach?: (actor: AnyActorRef) => void;
  /** Exit status when the machine reaches its final state; default: 0. */
  exitCode?: (output: unknown) => number;
  /** `--inspect` and this role's kind; the inspector also runs when a parent's hub is in SINK_ENV. */
  inspect?: { address: { host: string; port: number } | null; role: string; onStart?: (inspection: RoleInspection) => void };
  /** `--admin`: where /healthz, /readyz and /metrics are served (src/admin), for the role `inspect.role`. */
  admin?: { host: string; port: number } | null;
  /** With `--admin`: the metrics, when the command made them first (`roleMetrics`, to time its data folder). */
  metrics?: RoleMetrics | null;
  /**
   * SIGTERM as a request to stop gracefully (a server drains, an LFD drains its server): this event
   * goes to the machine, which ends when done. Without it, and on SIGINT or a second SIGTERM, the
   * role stops at once.
   */
  termEvent?: { type: string };
}

type AdminStart = (actor: AnyActorRef) => Promise<{ close(): Promise<void> }>;

/** The role's metrics; prom-client is loaded only when they are made. */
const loadMetrics = (role: string, name: string): Promise<RoleMetrics> => import('../admin/metrics.js').then((m) => m.createRoleMetrics(role, name));

/** With `--admin`: the role's metrics; null without. */
export async function roleMetrics(admin: RunOptions['admin'], role: string, name: string): Promise<RoleMetrics | null> {
  return admin ? loadMetrics(role, name) : null;
}

/**
 * With `--admin`: the role's metrics, counting every event printed from now on (before the actor
 * starts) and watching its transport, and what serves them once the actor runs. Without it the
 * admin modules (and prom-client) are not loaded at all.
 */
async function prepareAdmin(opts: RunOptions): Promise<{ serve: AdminStart; transport: Transport } | null> {
  const address = opts.admin;
  if (!address) return null;
  const role = opts.inspect?.role ?? 'role';
  const [metrics, { READINESS }, { startAdmin }] = await Promise.all([
    opts.metrics ?? loadMetrics(role, opts.name),
    import('../admin/readiness.js'),
    import('../admin/http.js'),
  ]);
  observeEvents(metrics);
  const serve: AdminStart = async (actor) => {
    const endpoint = await startAdmin({ ...address, actor, metrics, ready: READINESS[role] ?? (() => ({ ready: true, reason: 'running' })) });
    // Straight to standard error, like the inspector's address: it must show even under --quiet.
    const host = address.host.includes(':') ? `[${address.host}]` : address.host;
    process.stderr.write(`${opts.name}: admin endpoint on http://${host}:${endpoint.port} (/healthz, /readyz, /metrics)\n`);
    return endpoint;
  };
  return { serve, transport: metrics.watch(opts.transport) };
}

/**
 * The inspection of this role, or null when neither `--inspect` nor a parent's hub asks for it: then
 * the inspector's modules are not even loaded, and `createActor` gets no `inspect` callback.
 */
async function startInspection(opts: RunOptions): Promise<RoleInspection | null> {
  const sinkUrl = process.env[SINK_ENV] || undefined;
  if (!opts.inspect || (opts.inspect.address === null && sinkUrl === undefined)) return null;
  const { startRoleInspection } = await import('../inspect/role.js');
  return startRoleInspection({
    name: opts.name,
    role: opts.inspect.role,
    address: opts.inspect.address,
    sinkUrl,
    // Straight to standard error: the address must show even under --quiet.
    say: (text) => void process.stderr.write(`${opts.name}: ${text}\n`),
  });
}

const LOOPBACK = /^(?:127\.\d+\.\d+\.\d+|::1|localhost)$/i;

/**
 * What a role says once when one of its listeners that take role hellos (peer, GFD and RM ports)
 * is bound beyond loopback with no secret: anyone who reaches it can claim a role. Null otherwise.
 */
export function openPortWarning(input: Pick<ListenerInput, 'kind' | 'host' | 'secret'>, port: number): string | null {
  if (input.kind === 'server-client' || input.secret || LOOPBACK.test(input.host)) return null;
  return `listens on ${input.host}:${port} for its peers with no secret: anyone who can reach it can claim a role (set secret in [cluster]; docs/security.md)`;
}

/** A listener that cannot bind is fatal for a role (nobody could reach it); an open one is said once. */
function watchedListener(transport: Transport, onFatal: (reason: string) => void, warn: (text: string) => void) {
  const inner = (transport.listener as unknown as { config: (args: unknown) => (() => void) | void }).config;
  let warned = false;
  return fromCallback<TransportCommand, ListenerInput>((args) =>
    inner({
      ...args,
      sendBack: (event: any) => {
        if (event?.type === 'listen.failed') onFatal(event.reason);
        const warning = event?.type === 'listen.ready' && !warned ? openPortWarning(args.input, event.port) : null;
        if (warning !== null) {
          warned = true;
          warn(warning);
        }
        args.sendBack(event);
      },
    }),
  );
}

export async function runRole(machine: AnyStateMachine, input: unknown, opts: RunOptions): Promise<number> {
  let inspection: RoleInspection | null;
  try {
    inspection = await startInspection(opts);
  } catch (err) {
    opts.print({ event: 'note', name: opts.name, level: 'error', text: (err as Error).message });
    return 1;
  }
  if (inspection) opts.inspect?.onStart?.(inspection);
  try {
    const admin = await prepareAdmin(opts);
    return await runActor(machine, input, admin ? { ...opts, transport: admin.transport } : opts, inspection?.inspect, admin?.serve ?? null);
  } finally {
    await inspection?.close();
  }
}

/** Exported for the check that an uninspected role passes no `inspect` option at all. */
export function actorOptions(input: unknown, inspect: RoleInspection['inspect'] | undefined) {
  return inspect ? { input, inspect } : { input };
}

function runActor(
  machine: AnyStateMachine,
  input: unknown,
  opts: RunOptions,
  inspect: RoleInspection['inspect'] | undefined,
  serveAdmin: AdminStart | null,
): Promise<number> {
  return new Promise((resolve) => {
    let done = false;
    let admin: Promise<{ close(): Promise<void> } | null> = Promise.resolve(null);
    const finish = (code: number) => {
      if (done) return;
      done = true;
      actor.stop();
      void admin.then((a) => a?.close());
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onTerm);
      resolve(code);
    };
    const fatal = (reason: string) => {
      opts.print({ event: 'note', name: opts.name, level: 'error', text: reason });
      finish(1);
    };
    const provided = machine.provide({
      actors: {
        listener: watchedListener(opts.transport, fatal, (text) => opts.print({ event: 'note', name: opts.name, level: 'warn', text })),
        link: opts.transport.link,
        links: opts.transport.links,
        ...opts.actors,
      },
    });
    const actor = createActor(provided, actorOptions(input, inspect));
    const onSignal = () => finish(0);
    let terminating = false;
    const onTerm = () => {
      if (!opts.termEvent || terminating) return finish(0);
      terminating = true;
      actor.send(opts.termEvent);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onTerm);
    actor.subscribe({
      complete: () => finish(opts.exitCode ? opts.exitCode(actor.getSnapshot().output) : 0),
      error: (err) => {
        opts.print({ event: 'note', name: opts.name, level: 'error', text: `internal error: ${String((err as Error)?.stack ?? err)}` });
        finish(1);
      },
    });
    actor.start();
    if (serveAdmin) {
      admin = serveAdmin(actor).catch((err: Error) => {
        fatal(`--admin: cannot serve on ${opts.admin!.host}:${opts.admin!.port}: ${err.message}`);
        return null;
      });
    }
    opts.attach?.(actor);
  });
}
