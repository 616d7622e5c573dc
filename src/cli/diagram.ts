/**
 * `steadfast diagram [ROLE] [--format mermaid|svg]`: each role's state machines, drawn from their
 * definitions (the same drawing the inspector's page highlights).
 */
import { machineTree } from '../inspect/graph.js';
import { ROLE_MACHINES } from '../inspect/machines.js';
import { toMermaidSheet } from '../inspect/mermaid.js';
import { toSvg, toSvgSheet } from '../inspect/svg.js';
import { UsageError, parse, type Options } from './args.js';

const ROLES = Object.keys(ROLE_MACHINES);

export const DIAGRAM_HELP = `steadfast diagram [ROLE] [--format mermaid|svg]
Prints a role's state machines (every role's without ROLE), drawn from their definitions:
  ROLE                 one of: ${ROLES.join(', ')} (monitor: the heartbeat monitor inside LFDs and the GFD;
                       gfd: the GFD's machine, then the machine it runs for each LFD)
  --format mermaid     a mermaid stateDiagram-v2 per machine (default)
  --format svg         one SVG image (several machines one below the other)`;

/** The flags of this command besides the common ones (docs/configuration.md lists them). */
export const DIAGRAM_OPTIONS = { format: { type: 'string' } } as const satisfies Options;

export async function diagramCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, DIAGRAM_OPTIONS, true);
  if (values.help) return void console.log(DIAGRAM_HELP), 0;
  if (positionals.length > 1) throw new UsageError(`diagram takes one ROLE at most (one of: ${ROLES.join(', ')})`);
  const role = positionals[0];
  if (role !== undefined && !ROLES.includes(role)) throw new UsageError(`diagram: no role '${role}' (one of: ${ROLES.join(', ')})`);
  const format = values.format ?? 'mermaid';
  if (format !== 'mermaid' && format !== 'svg') throw new UsageError(`--format: not mermaid or svg: '${format}'`);
  if (values.inspect !== undefined) throw new UsageError('--inspect: diagram runs no machine to inspect');
  const trees = (role === undefined ? ROLES : [role]).flatMap((r) => ROLE_MACHINES[r]!.map((m) => machineTree(m)));
  if (format === 'svg') process.stdout.write(trees.length === 1 ? toSvg(trees[0]!) : toSvgSheet(trees));
  else process.stdout.write(toMermaidSheet(trees));
  return 0;
}
