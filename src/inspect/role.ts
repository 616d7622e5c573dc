/**
 * Inspection for one role process: the recorder whose callback goes to `createActor`, and where its
 * records go: this process's own hub (`--inspect`), the parent's hub (STEADFAST_INSPECT_SINK), or
 * both. Loaded only when one of them is asked for, so a role without them does no inspection work.
 */
import { Hub, SINK_ENV, type InspectAddress } from './hub.js';
import type { InspectRecord } from './records.js';
import { createRecorder } from './recorder.js';
import { connectSink } from './sink.js';
import type { InspectionEvent } from 'xstate';

export interface RoleInspection {
  inspect: (event: InspectionEvent) => void;
  /** Environment for this role's own children (an LFD's server), so they stream here too. */
  childEnv: Record<string, string>;
  close(): Promise<void>;
}

export async function startRoleInspection(opts: {
  name: string;
  role: string;
  address: InspectAddress | null;
  sinkUrl: string | undefined;
  say: (text: string) => void;
}): Promise<RoleInspection> {
  const outputs: ((records: InspectRecord[]) => void)[] = [];
  let hub: Hub | null = null;
  if (opts.address) {
    hub = new Hub(opts.address);
    try {
      await hub.listen();
    } catch (err) {
      throw new Error(`--inspect: cannot listen on ${opts.address.host}:${opts.address.port}: ${(err as Error).message}`);
    }
    opts.say(`inspector at ${hub.url}`);
    outputs.push(hub.local(opts.name, opts.role, process.pid));
  }
  const sink = opts.sinkUrl ? connectSink(opts.sinkUrl, { t: 'hello', process: opts.name, role: opts.role, pid: process.pid }) : null;
  if (sink) outputs.push((records) => sink.send(records));
  const recorder = createRecorder(opts.name, (records) => outputs.forEach((out) => out(records)));
  return {
    inspect: recorder.inspect,
    childEnv: hub ? { [SINK_ENV]: hub.ingestUrl } : {},
    async close() {
      recorder.stop();
      sink?.close();
      await hub?.close();
    },
  };
}
