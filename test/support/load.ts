/**
 * Load from clients of the client library for the e2e tests: each sends one request after another
 * until stopped, and every answer is kept with when it came, for the checks against the replicas'
 * logs and for the silences a client saw.
 */
import { expect } from 'chai';
import type { Client } from '../../src/client/index.js';
import { logEntries, queryStatus, until, type ServerStatus } from './processes.js';

const T = 15_000;

export interface Load {
  /** Per client: the positions it was told, in order, and when (performance.now()). */
  answers: { body: string; position: number; at: number }[][];
  errors: string[];
  stop(): Promise<void>;
}

/** Waits (bounded) until every client of `run` was answered `n` more times than now. */
export async function answeredMore(run: Load, n: number): Promise<void> {
  const counts = run.answers.map((a) => a.length);
  await until(async () => run.answers.every((a, i) => a.length >= counts[i]! + n), T, () => `every client answered ${n} more times`);
}

/** The longest time any client went without an answer between `from` and `to` (performance.now()). */
export function longestSilence(run: Load, from: number, to: number): number {
  let longest = 0;
  for (const answers of run.answers) {
    const times = answers.map((a) => a.at).filter((t) => t >= from && t <= to);
    for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i]! - times[i - 1]!);
  }
  return longest;
}

/** Every client sends one request after another until stopped, timing the gaps between answers. */
/** `round`: marks this load's requests apart from an earlier one's of the same clients (`L1_b7`). */
export function load(clients: Client[], round = ''): Load {
  let running = true;
  const out: Load = { answers: clients.map(() => []), errors: [], stop: async () => {} };
  const loops = clients.map(async (c, i) => {
    for (let n = 1; running; n++) {
      const body = `${c.name}_${round}${n}`;
      try {
        const reply = await c.request(body, { timeoutMs: T });
        out.answers[i]!.push({ body, position: Number(reply), at: performance.now() });
      } catch (err) {
        out.errors.push(`${c.name} ${body}: ${(err as Error).message}`);
        return;
      }
    }
  });
  out.stop = async () => {
    running = false;
    await Promise.all(loops);
  };
  return out;
}


/** The servers' common log, once every one of them is ready and holds the same (bounded wait). */
export async function agreedLog(servers: readonly { name: string; port: number }[]): Promise<string[]> {
  let statuses: ServerStatus[] = [];
  await until(
    async () => {
      statuses = await Promise.all(servers.map((s) => queryStatus(s.port, s.name)));
      return statuses.every((s) => s.phase === 'ready' && s.state === statuses[0]!.state);
    },
    T,
    () => `replicas disagree: ${statuses.map((s) => `${s.server} ${s.phase} ${logEntries(s.state).length}`).join(', ')}`,
  );
  return logEntries(statuses[0]!.state);
}

/**
 * The log against what the clients saw: no request failed, no entry twice, every answer at the
 * position its client was told, and each client's requests there once each, in order (a client
 * stops only once its last request was answered, so all it sent is among its answers).
 */
export function checkAnswers(log: string[], run: Load, clients: Client[]): void {
  expect(run.errors, 'requests that failed').to.deep.equal([]);
  expect(new Set(log).size, 'no entry twice').to.equal(log.length);
  for (const [i, c] of clients.entries()) {
    for (const a of run.answers[i]!) expect(log[a.position - 1], `${a.body} at the position it was told`).to.equal(a.body);
    const mine = log.filter((e) => e.startsWith(`${c.name}_`));
    expect(mine, `${c.name}'s entries, in order, once each`).to.deep.equal(run.answers[i]!.map((a) => a.body));
  }
}

/** Several loads of the same clients, one after the other, as one. */
export function together(...loads: Load[]): Load {
  return {
    answers: loads[0]!.answers.map((_, i) => loads.flatMap((l) => l.answers[i]!)),
    errors: loads.flatMap((l) => l.errors),
    stop: async () => {
      await Promise.all(loads.map((l) => l.stop()));
    },
  };
}
