/**
 * Test hosts (docs/partitions.md): network namespaces joined by veth pairs to one bridge, each with
 * its own address in a private /24, so that roles run on "hosts" whose links can be cut and shaped
 * while the processes go on; for the partition tests and `steadfast chaos --hosts`. Needs root,
 * iproute2 (`ip`) and nftables (`nft`): `canMakeHosts` says what is missing.
 *
 * Addresses: `10.231.N.0/24`, N from this process's pid, so that two runs at once do not meet;
 * the hosts are .1, .2, …, and the bridge (the test process's own way in, never cut) is .254.
 * Names carry the pid too (`sf<pid>h<i>`), so a run can tell its leftovers from another run's: a
 * new network removes those whose process is gone, and every network is removed on exit.
 *
 * Links are cut and made lossy with nftables rules in each host's own namespace, on what it sends
 * (the output hook): a cut from A to B drops what A sends to B, and what B sends A still arrives,
 * so one-way cuts are possible; the rules go with the namespace. The test process's own address is
 * never cut. Delay and jitter would need `tc qdisc … netem`, which the kernel of these machines
 * lacks (docs/partitions.md): `delay` relays the hosts' TCP connections through this process
 * instead (`delay-relay.ts`).
 */
import { execFileSync } from 'node:child_process';
import { isAlive } from '../cli/cluster/liveness.js';
import { DelayRelay, type Delay } from './delay-relay.js';

export interface TestHost {
  /** `h1`, `h2`, …: for messages. */
  name: string;
  /** The network namespace it runs in. */
  ns: string;
  address: string;
}

export interface Shape {
  /** Of what the shaped hosts send to other hosts, the share dropped at random (percent). */
  lossPct: number;
}

/** The ports roles listen on, the same on every host (each host has its own addresses). */
export const HOST_PORTS = { rm: 7000, gfd: 7001, client: 7101, peer: 7201 } as const;

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
/** Loads nftables rules, line by line, in the host's own namespace (one transaction). */
const loadRules = (host: TestHost, lines: string[]) =>
  execFileSync('ip', ['netns', 'exec', host.ns, 'nft', '-f', '-'], { input: lines.join('\n'), stdio: ['pipe', 'pipe', 'pipe'] });
const quiet = (fn: () => unknown) => {
  try {
    fn();
  } catch {
    // Already gone.
  }
};

/** Why this process cannot make test hosts (null: it can): it must be root, with `ip` and `nft`. */
export function canMakeHosts(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  for (const [tool, flag, pkg] of [['ip', '-V', 'iproute2'], ['nft', '--version', 'nftables']] as const) {
    try {
      execFileSync(tool, [flag], { stdio: 'ignore' });
    } catch {
      return `no ${tool} (Debian package ${pkg})`;
    }
  }
  return null;
}

const PREFIX = 'sf';
const live = new Set<TestNetwork>();
/** Networks made by this process so far: a new one never reuses a name (a removed one's links may linger a moment). */
let made = 0;
process.on('exit', () => {
  for (const network of live) network.remove();
});

/** Namespaces and bridges left by runs whose process is gone. */
function removeLeftovers(): void {
  const owner = (name: string) => new RegExp(`^${PREFIX}(\\d+)[hb]`).exec(name)?.[1];
  for (const line of ip('netns', 'list').split('\n')) {
    const ns = line.split(' ')[0] ?? '';
    const pid = owner(ns);
    if (pid !== undefined && !isAlive(Number(pid))) quiet(() => ip('netns', 'del', ns));
  }
  for (const line of ip('-o', 'link', 'show', 'type', 'bridge').split('\n')) {
    const dev = /^\d+: ([^:@]+)/.exec(line)?.[1] ?? '';
    const pid = owner(dev);
    if (pid !== undefined && !isAlive(Number(pid))) quiet(() => ip('link', 'del', dev));
  }
}

export class TestNetwork {
  readonly hosts: TestHost[];
  /** The bridge's address: where the test process itself is seen from the hosts. */
  readonly observer: string;
  private readonly bridge: string;
  private readonly subnet: string;
  /** While links are delayed: the relay every host's connections go through. */
  private relay: DelayRelay | null = null;
  /** Destination addresses each host's packets to are dropped, by host name. */
  private readonly cuts = new Map<string, Set<string>>();
  /** The loss of each shaped host, percent, by host name. */
  private readonly losses = new Map<string, number>();
  private removed = false;

  private constructor(count: number) {
    const id = `${PREFIX}${process.pid}`;
    const subnet = `10.231.${process.pid % 250}`;
    const n = made++;
    this.subnet = subnet;
    this.bridge = `${id}b${n}`;
    this.observer = `${subnet}.254`;
    this.hosts = Array.from({ length: count }, (_, i) => ({ name: `h${i + 1}`, ns: `${id}h${n}x${i + 1}`, address: `${subnet}.${i + 1}` }));
  }

  /** `count` hosts on one bridge, every link up and unshaped. */
  static create(count: number): TestNetwork {
    removeLeftovers();
    const network = new TestNetwork(count);
    live.add(network);
    try {
      network.build();
    } catch (err) {
      network.remove();
      throw err;
    }
    return network;
  }

  private build(): void {
    ip('link', 'add', this.bridge, 'type', 'bridge');
    ip('addr', 'add', `${this.observer}/24`, 'dev', this.bridge);
    ip('link', 'set', this.bridge, 'up');
    this.hosts.forEach((host, i) => {
      const outside = this.outside(i);
      ip('netns', 'add', host.ns);
      ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.ns);
      ip('link', 'set', outside, 'master', this.bridge, 'up');
      ip('-n', host.ns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0');
      ip('-n', host.ns, 'link', 'set', 'eth0', 'up');
      ip('-n', host.ns, 'link', 'set', 'lo', 'up');
      this.cuts.set(host.name, new Set());
      this.applyRules(host);
    });
  }

  host(name: string): TestHost {
    const host = this.hosts.find((h) => h.name === name);
    if (!host) throw new Error(`no test host ${name}`);
    return host;
  }

  /** Drops what `from` sends to `to` (one way). */
  cut(from: TestHost, to: TestHost): void {
    // The relay's own leg (this process to the host) cannot be cut: a delayed link would stay up.
    if (this.relay) throw new Error('test hosts: cuts and delay do not combine');
    this.cuts.get(from.name)!.add(to.address);
    this.applyRules(from);
  }

  /** Cuts `host` from every other host, both ways (the test process still reaches it). */
  isolate(host: TestHost): void {
    for (const other of this.hosts) {
      if (other === host) continue;
      this.cut(host, other);
      this.cut(other, host);
    }
  }

  /** Every cut undone. */
  heal(): void {
    for (const host of this.hosts) {
      this.cuts.get(host.name)!.clear();
      this.applyRules(host);
    }
  }

  /** What `hosts` (all by default) send to other hosts is lost at random, `lossPct` percent of it. */
  shape(shape: Shape, hosts: TestHost[] = this.hosts): void {
    for (const host of hosts) {
      this.losses.set(host.name, shape.lossPct);
      this.applyRules(host);
    }
  }

  /** No loss any more. */
  unshape(hosts: TestHost[] = this.hosts): void {
    for (const host of hosts) {
      this.losses.delete(host.name);
      this.applyRules(host);
    }
  }

  /**
   * Every host's TCP connections to the other hosts, from now on, go through a relay in this
   * process that passes each chunk on `delay` later, both ways. Connections open already stay
   * direct (their addresses are settled), so this comes before the roles start; `ports` are those
   * the roles listen on (the same on every host). Loss (`shape`) still applies, on the way to the relay.
   */
  async delay(delay: Delay, ports: number[]): Promise<void> {
    if (this.relay) throw new Error('test hosts: delayed already');
    const relay = new DelayRelay(delay);
    this.relay = relay;
    for (const [i, host] of this.hosts.entries()) {
      ip('addr', 'add', `${this.relayAddress(i)}/24`, 'dev', this.bridge);
      for (const port of ports) await relay.listen(this.relayAddress(i), host.address, port);
    }
    for (const host of this.hosts) {
      const redirects = this.hosts.flatMap((other, j) => (other === host ? [] : [`    ip daddr ${other.address} tcp dport { ${ports.join(', ')} } dnat to ${this.relayAddress(j)}`]));
      loadRules(host, ['table ip steadfast_delay {', '  chain out {', '    type nat hook output priority -100; policy accept;', ...redirects, '  }', '}']);
    }
  }

  /** Where host `i`'s relay listens: an address of the bridge's own. */
  private relayAddress(i: number): string {
    return `${this.subnet}.${101 + i}`;
  }

  /**
   * The host's whole rule set, replaced at once: its cuts, then its loss (never towards the test
   * process). Ahead of any redirect to the relay (`delay`), so that they see where a packet goes.
   */
  private applyRules(host: TestHost): void {
    const rules = [...this.cuts.get(host.name)!].map((address) => `ip daddr ${address} drop`);
    const loss = this.losses.get(host.name);
    if (loss !== undefined && loss > 0) {
      const chance = loss >= 100 ? '' : `numgen random mod 10000 < ${Math.round(loss * 100)} `;
      rules.push(`ip daddr != ${this.observer} ${chance}drop`);
    }
    loadRules(host, [
      'table inet steadfast_test',
      'delete table inet steadfast_test',
      'table inet steadfast_test {',
      '  chain out {',
      '    type filter hook output priority -150; policy accept;',
      ...rules.map((r) => `    ${r}`),
      '  }',
      '}',
    ]);
  }

  /** The bridge's end of host `i`'s veth pair. */
  private outside(i: number): string {
    return `${this.bridge}v${i + 1}`;
  }

  /** Every namespace and the bridge gone (their veth pairs with them). Safe to call twice. */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    live.delete(this);
    this.relay?.close();
    // The pair goes with its outer end at once; a namespace's own end only when the namespace is
    // finally destroyed, which waits for the processes still in it.
    this.hosts.forEach((host, i) => {
      quiet(() => ip('link', 'del', this.outside(i)));
      quiet(() => ip('netns', 'del', host.ns));
    });
    quiet(() => ip('link', 'del', this.bridge));
  }

  /** The namespaces of this network that exist now. */
  static namespaces(): string[] {
    return ip('netns', 'list').split('\n').map((l) => l.split(' ')[0] ?? '').filter((ns) => ns.startsWith(`${PREFIX}${process.pid}`));
  }
}
