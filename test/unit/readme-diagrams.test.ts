/**
 * The README's machine diagrams are `steadfast diagram ROLE`'s output: a change to a machine that
 * does not regenerate them (`steadfast diagram ROLE`, pasted under the role's heading) fails here.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { machineTree } from '../../src/inspect/graph.js';
import { ROLE_MACHINES } from '../../src/inspect/machines.js';
import { toMermaid } from '../../src/inspect/mermaid.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The mermaid block that follows the paragraph starting `**ROLE**`. */
function readmeDiagram(role: string): string | undefined {
  const at = README.indexOf(`\n**${role}** `);
  if (at < 0) return undefined;
  const m = /```mermaid\n([\s\S]*?)```/.exec(README.slice(at));
  return m?.[1];
}

describe('README diagrams', () => {
  const shown = Object.keys(ROLE_MACHINES).filter((role) => readmeDiagram(role) !== undefined);

  it('show the server, LFD, client and monitor machines', () => {
    expect(shown).to.include.members(['server', 'lfd', 'client', 'monitor']);
  });

  for (const role of shown) {
    it(`${role}: the README shows what steadfast diagram ${role} prints`, () => {
      expect(readmeDiagram(role)!.trimEnd()).to.equal(toMermaid(machineTree(ROLE_MACHINES[role]!)).trimEnd());
    });
  }
});
