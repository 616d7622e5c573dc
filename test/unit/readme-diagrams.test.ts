/**
 * The README's machine diagrams are `steadfast diagram ROLE`'s output: a change to a machine that
 * does not regenerate them (`steadfast diagram ROLE`, pasted under the role's heading, one mermaid
 * block per machine) fails here. And every machine a role runs inside it has a diagram somewhere.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { StateMachine, type AnyStateMachine } from 'xstate';
import { machineTree } from '../../src/inspect/graph.js';
import { ROLE_MACHINES } from '../../src/inspect/machines.js';
import { toMermaidSheet } from '../../src/inspect/mermaid.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The mermaid blocks after the paragraph starting `**ROLE**`, up to the next such paragraph, one after the other. */
function readmeDiagram(role: string): string | undefined {
  const at = README.indexOf(`\n**${role}** `);
  if (at < 0) return undefined;
  const next = README.indexOf('\n**', at + 1);
  const section = README.slice(at, next < 0 ? undefined : next);
  const blocks = [...section.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.length > 0 ? blocks.join('\n') : undefined;
}

/** The state machines a machine spawns or invokes, and theirs, by `setup({ actors })`. */
function machinesInside(machine: AnyStateMachine): AnyStateMachine[] {
  const actors = Object.values(machine.implementations.actors).filter((a): a is AnyStateMachine => a instanceof StateMachine);
  return actors.flatMap((a) => [a, ...machinesInside(a)]);
}

describe('README diagrams', () => {
  const shown = Object.keys(ROLE_MACHINES).filter((role) => readmeDiagram(role) !== undefined);

  it('show the server, LFD, client, monitor and GFD machines', () => {
    expect(shown).to.include.members(['server', 'lfd', 'client', 'monitor', 'gfd']);
  });

  for (const role of shown) {
    it(`${role}: the README shows what steadfast diagram ${role} prints`, () => {
      expect(readmeDiagram(role)!.trimEnd()).to.equal(toMermaidSheet(ROLE_MACHINES[role]!.map((m) => machineTree(m))).trimEnd());
    });
  }

  it('every machine a role runs inside it (the GFD`s per LFD, the monitors) is drawn', () => {
    const drawn = Object.values(ROLE_MACHINES).flat();
    const inside = drawn.flatMap((m) => machinesInside(m));
    expect(inside.map((m) => m.id)).to.include.members(['heartbeatMonitor', 'watchedLfd']);
    for (const m of inside) expect(drawn, `machine ${m.id}`).to.include(m);
  });
});
