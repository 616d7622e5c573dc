/**
 * docs/configuration.md against the code: every key the configuration module reads is in its
 * section's table, every flag a command takes in its command's table, and nothing is documented
 * that the code does not take.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { KEYS, type Kind } from '../../src/config/load.js';
import { commonOptions } from '../../src/cli/args.js';
import { CHAOS_OPTIONS } from '../../src/cli/chaos.js';
import { CLIENT_OPTIONS } from '../../src/cli/client.js';
import { CLUSTER_OPTIONS } from '../../src/cli/cluster.js';
import { DIAGRAM_OPTIONS } from '../../src/cli/diagram.js';
import { DRAIN_OPTIONS } from '../../src/cli/drain.js';
import { MEMBERS_OPTIONS } from '../../src/cli/members.js';
import { GFD_OPTIONS } from '../../src/cli/gfd.js';
import { LFD_OPTIONS } from '../../src/cli/lfd.js';
import { RM_OPTIONS } from '../../src/cli/rm.js';
import { SCENARIO_OPTIONS } from '../../src/cli/scenario.js';
import { SERVER_OPTIONS } from '../../src/cli/server.js';
import { VERIFY_OPTIONS } from '../../src/cli/verify.js';

const DOC = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

/** The `### ` sections of the doc: heading → the first cells of its table rows. */
function tables(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let rows: string[] | null = null;
  for (const line of DOC.split('\n')) {
    if (line.startsWith('### ')) out.set(line.slice(4), (rows = []));
    else if (line.startsWith('## ')) rows = null;
    else if (rows && line.startsWith('| ') && !/^\|[-|]+\|$/.test(line)) rows.push(line.split(/(?<!\\)\|/)[1]!.trim());
  }
  return out;
}

/** The rows of the one section whose heading `matches`. */
function rowsOf(matches: (heading: string) => boolean, what: string): string[] {
  const found = [...tables()].filter(([heading]) => matches(heading));
  expect(found, `one section of docs/configuration.md for ${what}`).to.have.length(1);
  return found[0]![1].filter((cell) => cell !== 'key' && cell !== 'flag');
}

const keysIn = (cells: string[]) => cells.flatMap((cell) => [...cell.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!)).sort();
const flagsIn = (cells: string[]) => cells.flatMap((cell) => [...cell.matchAll(/`--([a-z-]+)/g)].map((m) => m[1]!)).sort();

describe('docs/configuration.md', () => {
  it('has every key of every section, and no key the configuration module does not read', () => {
    for (const kind of Object.keys(KEYS) as Kind[]) {
      const rows = rowsOf((h) => h.includes(`\`[${kind}]\``) || h.includes(`\`[${kind}.NAME]\``), `[${kind}]`);
      expect(keysIn(rows), `[${kind}]`).to.deep.equal([...KEYS[kind]].sort());
    }
  });

  it('has every flag of every command, and no flag a command does not take', () => {
    const commands: Record<string, Record<string, unknown>> = {
      rm: RM_OPTIONS,
      gfd: GFD_OPTIONS,
      lfd: LFD_OPTIONS,
      server: SERVER_OPTIONS,
      client: CLIENT_OPTIONS,
      cluster: CLUSTER_OPTIONS,
      scenario: SCENARIO_OPTIONS,
      chaos: CHAOS_OPTIONS,
      diagram: DIAGRAM_OPTIONS,
      drain: DRAIN_OPTIONS,
      members: MEMBERS_OPTIONS,
      verify: VERIFY_OPTIONS,
    };
    for (const [command, options] of Object.entries(commands)) {
      const rows = rowsOf((h) => h.startsWith(`\`steadfast ${command}`), `steadfast ${command}`);
      expect(flagsIn(rows), `steadfast ${command}`).to.deep.equal(Object.keys(options).sort());
    }
    expect(flagsIn(rowsOf((h) => h === 'Flags every command takes', 'the common flags'))).to.deep.equal(Object.keys(commonOptions).sort());
  });
});
