/**
 * A transport whose actors show what they send back (`event`) and are told (`command`) to a tap
 * first, with which of the transport's actors it is (`listener`, `link`, `links`): the simulator
 * watches a server's listeners through it, and `--admin` counts requests, answers and reconnects.
 */
import { fromCallback } from 'xstate';
import type { Transport, TransportCommand, TransportEvent } from './types.js';

export type TransportKind = keyof Transport;

export interface TransportTap {
  event?: (event: TransportEvent, kind: TransportKind) => void;
  command?: (command: TransportCommand, kind: TransportKind) => void;
}

export function tapTransport(transport: Transport, tap: TransportTap): Transport {
  const wrap = (kind: TransportKind, logic: unknown) => {
    const inner = (logic as { config: (args: any) => unknown }).config;
    return fromCallback<TransportCommand, any>((args: any) =>
      inner({
        ...args,
        sendBack: (event: TransportEvent) => {
          tap.event?.(event, kind);
          args.sendBack(event);
        },
        receive: (listener: (command: TransportCommand) => void) =>
          args.receive((command: TransportCommand) => {
            tap.command?.(command, kind);
            listener(command);
          }),
      }) as any,
    );
  };
  return Object.fromEntries(Object.entries(transport).map(([kind, logic]) => [kind, wrap(kind as TransportKind, logic)])) as unknown as Transport;
}
