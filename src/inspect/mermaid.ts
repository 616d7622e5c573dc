/**
 * A state tree as a mermaid `stateDiagram-v2`: compound states nest, parallel regions are split by
 * `--`, each transition is `A --> B: event [guard]`, written inside the lowest state that holds both
 * ends (mermaid draws no edge between the insides of two different composite states otherwise).
 * A state is named by its key, or by its path where two states share a key.
 */
import { states, type StateTree } from './graph.js';

const clean = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');
const text = (s: string) => s.replace(/[:;#{}]/g, ' ');

export function toMermaid(tree: StateTree): string {
  const all = [...states(tree)];
  const count = new Map<string, number>();
  for (const s of all) count.set(s.key, (count.get(s.key) ?? 0) + 1);
  const name = new Map(all.map((s) => [s.id, clean(count.get(s.key) === 1 ? s.key : s.id)]));
  const parent = new Map<string, string>();
  for (const s of all) for (const c of s.children) parent.set(c.id, s.id);
  const ancestors = (id: string) => {
    const out = [id];
    for (let p = parent.get(id); p !== undefined; p = parent.get(p)) out.push(p);
    return out;
  };
  /** The lowest state that strictly holds both (or the root). */
  const holder = (a: string, b: string) => {
    const up = ancestors(b);
    return ancestors(a).slice(1).find((x) => up.includes(x) && x !== b) ?? tree.id;
  };
  const edges = new Map<string, string[]>();
  for (const s of all) {
    for (const t of s.transitions) {
      const at = holder(s.id, t.target);
      const label = `${text(t.event)}${t.guard ? ` [${text(t.guard)}]` : ''}`;
      edges.set(at, [...(edges.get(at) ?? []), `${name.get(s.id)} --> ${name.get(t.target)}: ${label}`]);
    }
  }
  const lines = ['stateDiagram-v2'];
  const emit = (node: StateTree, depth: number) => {
    const pad = '  '.repeat(depth);
    node.children.forEach((child, i) => {
      if (node.type === 'parallel' && i > 0) lines.push(`${pad}--`);
      if (node.initial === child.key) lines.push(`${pad}[*] --> ${name.get(child.id)}`);
      if (child.children.length === 0) return void lines.push(`${pad}${name.get(child.id)}`);
      lines.push(`${pad}state ${name.get(child.id)} {`);
      emit(child, depth + 1);
      lines.push(`${pad}}`);
    });
    for (const e of edges.get(node.id) ?? []) lines.push(`${pad}${e}`);
  };
  // The root is the machine: drawn as the whole diagram, titled by a comment.
  lines.push(`  %% machine ${tree.id}`);
  if (tree.children.length === 0) lines.push(`  ${name.get(tree.id)}`);
  emit(tree, 1);
  return lines.join('\n') + '\n';
}

/** Several machines, one diagram after the other (each its own `stateDiagram-v2`). */
export function toMermaidSheet(trees: readonly StateTree[]): string {
  return trees.map((t) => toMermaid(t)).join('\n');
}
