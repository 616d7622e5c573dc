/**
 * Requests for runs of the `kv` application that are checked afterwards (`steadfast chaos --app
 * kv`, the simulator's kv runs): a few keys, so that clients contend on them, and a mix of get,
 * put, cas and del. Every value a client writes is its own (`c1-17`: client prefix and a counter),
 * so a value read names the one write it came from, which is what gives the check its power. A cas
 * expects the value this client last saw on its key, so that many succeed and many fail.
 *
 * One workload per client, fed the replies it got (`observe`), drawing from a seeded random stream:
 * the same seed and the same replies give the same requests.
 */
import { parseKvRequest } from '../app/kv.js';

export const KV_KEYS = 4;

export class KvWorkload {
  /** What this client last saw on each key (absent: nothing yet, taken as absent). */
  private readonly seen = new Map<string, unknown>();
  private written = 0;

  /** `prefix`: unique to the client (`c1-`); `keys`: how many keys (`k1` …). */
  constructor(
    private readonly random: () => number,
    private readonly prefix: string,
    private readonly keys = KV_KEYS,
  ) {}

  /** The next request line. */
  next(): string {
    const key = `k${1 + Math.floor(this.random() * this.keys)}`;
    // 40 % get, 25 % put, 25 % cas, 10 % del.
    const pick = this.random();
    if (pick < 0.4) return JSON.stringify({ op: 'get', key });
    if (pick >= 0.9) return JSON.stringify({ op: 'del', key });
    const value = `${this.prefix}${++this.written}`;
    if (pick < 0.65) return JSON.stringify({ op: 'put', key, value });
    return JSON.stringify({ op: 'cas', key, expect: this.seen.get(key) ?? null, value });
  }

  /** Learns from a reply what its key holds (a get, a failed cas, or a write that succeeded). */
  observe(request: string, reply: string): void {
    const r = parseKvRequest(request);
    if (typeof r === 'string') return;
    let answer: { ok?: unknown; value?: unknown };
    try {
      answer = JSON.parse(reply) as typeof answer;
    } catch {
      return;
    }
    if (answer === null || typeof answer !== 'object') return;
    if (r.op === 'get' || (r.op === 'cas' && answer.ok === false)) this.seen.set(r.key, answer.value ?? null);
    else if (answer.ok === true) this.seen.set(r.key, r.op === 'del' ? null : r.value);
  }
}
