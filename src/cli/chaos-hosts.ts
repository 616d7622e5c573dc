/**
 * `steadfast chaos --hosts N [--partitions]`: the cluster spread over test hosts
 * (`src/hosts/network.ts`), the RM and the GFD on the first, each server with its LFD on one of
 * the others; the clients run in chaos's own namespace, which reaches every host whatever is cut
 * (so they are on both sides of every cut). With `--partitions` the network fails too: a host cut
 * off both ways (a server's, the primary's most of all, or the RM's and GFD's), a one-way cut
 * between two hosts, or loss on every link; one at a time, each healed after a while, some past
 * failure detection. Delay and jitter would need netem, which this kernel lacks
 * (docs/partitions.md): loss is what the network can do here.
 */
import type { ClusterConfig } from '../config/types.js';
import { HOST_PORTS as PORTS, type TestHost, type TestNetwork } from '../hosts/network.js';

/** The share of what each host sends that a loss fault drops, percent. */
export const LOSS_PCT = 5;

/** Where each role runs: the RM and GFD on the first host, server i (with its LFD) on host i + 2. */
export interface Placement {
  control: TestHost;
  /** Each server's host, by server name. */
  serverHosts: Map<string, TestHost>;
  /** The namespace a member runs in: null for the clients (chaos's own). */
  hostOf(name: string): string | null;
}

/** `config` with the RM, the GFD and `servers` on the network's hosts (one server per host after the first). */
export function placeOnHosts(config: ClusterConfig, network: TestNetwork): { config: ClusterConfig; placement: Placement } {
  const [control, ...others] = network.hosts as [TestHost, ...TestHost[]];
  const servers = config.servers.slice(0, others.length);
  const serverHosts = new Map(servers.map((s, i) => [s.name, others[i]!]));
  const lfds = config.lfds.filter((l) => serverHosts.has(l.server));
  const placed: ClusterConfig = {
    ...config,
    rms: config.rms.map((rm) => ({ ...rm, host: control.address, port: PORTS.rm })),
    gfds: config.gfds.map((g) => ({ ...g, host: control.address, port: PORTS.gfd })),
    servers: servers.map((s) => {
      const at = serverHosts.get(s.name)!.address;
      return { name: s.name, host: at, port: PORTS.client, peerHost: at, peerPort: PORTS.peer };
    }),
    lfds,
  };
  const hostOf = (name: string): string | null => {
    if (config.rms.some((r) => r.name === name) || config.gfds.some((g) => g.name === name)) return control.ns;
    const server = lfds.find((l) => l.name === name)?.server;
    return server === undefined ? null : serverHosts.get(server)!.ns;
  };
  return { config: placed, placement: { control, serverHosts, hostOf } };
}

/**
 * One network fault at a time, healed after its time: `strike` starts one (unless one is on) and
 * returns its kind for counting; `healAll` ends whatever is on.
 */
export class NetworkFaults {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly network: TestNetwork,
    private readonly placement: Placement,
    /** `heartbeat_timeout`, ms: fault times are multiples of it. */
    private readonly timeoutMs: number,
    private readonly random: () => number,
  ) {}

  /** A fault is on (not healed yet). */
  get active(): boolean {
    return this.timer !== null;
  }

  /** Starts a fault; `primary`: the server the RM names primary (sequencer), aimed at most. */
  strike(primary: string | null, primaryWord: string): string | null {
    if (this.active) return null;
    const r = this.random;
    const { control, serverHosts } = this.placement;
    const servers = [...serverHosts.keys()];
    const pick = r();
    // Some shorter than failure detection, most past it.
    let lastsMs = this.timeoutMs * (0.5 + 3.5 * r());
    let kind: string;
    if (pick < 0.45) {
      const target = primary !== null && serverHosts.has(primary) && r() < 0.7 ? primary : servers[Math.floor(r() * servers.length)]!;
      this.network.isolate(serverHosts.get(target)!);
      kind = `isolate ${target === primary ? primaryWord : 'backup'} host`;
    } else if (pick < 0.65) {
      this.network.isolate(control);
      kind = 'isolate RM/GFD host';
    } else if (pick < 0.85) {
      const hosts = this.network.hosts;
      const from = hosts[Math.floor(r() * hosts.length)]!;
      const others = hosts.filter((h) => h !== from);
      this.network.cut(from, others[Math.floor(r() * others.length)]!);
      kind = 'one-way cut';
    } else {
      this.network.shape({ lossPct: LOSS_PCT });
      lastsMs = this.timeoutMs * (2 + 4 * r());
      kind = `${LOSS_PCT}% loss`;
    }
    this.timer = setTimeout(() => this.healAll(), lastsMs);
    return kind;
  }

  healAll(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.network.heal();
    this.network.unshape();
  }
}
