/**
 * `steadfast`: the public API. Write an application with `defineApp`, name it in the ini's
 * `[cluster] app`, run the cluster with the `steadfast` command, and talk to it with `connect`
 * (also at `steadfast/client`). The role machines and both transports are here for embedding a
 * role in a program of your own and for tests (the in-memory network runs a whole cluster in one
 * process).
 */
export { defineApp, type App, type AppDefinition, type Applied } from './app/app.js';
export { BUILT_IN_APPS } from './app/index.js';
export { loadApp, AppLoadError } from './app/load.js';
export { ConfigError, loadConfig, parseConfig } from './config/load.js';
export type { ClusterConfig, ClusterSettings, Durability, Endpoint, ServerConfig, LfdConfig, ClientConfig } from './config/types.js';
export { serverMachine, type ServerInput } from './actors/server.js';
export { lfdMachine, type LfdInput } from './actors/lfd.js';
export { gfdMachine, type GfdInput } from './actors/gfd.js';
export { rmMachine, type RmInput } from './actors/rm.js';
export { clientMachine, type ClientInput, type AnsweredEvent } from './actors/client.js';
export { tcpTransport, makeTcpTransport } from './transport/tcp.js';
export { MemoryNetwork, type MemoryNetworkOptions } from './transport/memory.js';
export type { Transport, TransportEvent, TransportCommand, Origin } from './transport/types.js';
export { createPrinter, type PrinterOptions } from './log/printer.js';
export type { Print, LogEvent } from './log/events.js';
export type { Frame, Mode } from './protocol/frames.js';
export { connect, AppError, ClosedError, TimeoutError, type Answer, type Client, type ConnectOptions, type RequestOptions } from './client/index.js';
