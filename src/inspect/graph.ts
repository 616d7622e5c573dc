/**
 * A machine's definition as a plain tree of states with their transitions, built from xstate's own
 * `toDirectedGraph`: the one shape that the diagrams (mermaid, SVG) and the page's highlighting
 * share. Transitions without a target (actions only) change no state and are left out.
 */
import type { AnyStateMachine } from 'xstate';
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';

export type StateType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface Transition {
  /** The event, delayed ones shown as `after NAME`. */
  event: string;
  /** The target state's id. */
  target: string;
  guard: string | null;
}

export interface StateTree {
  id: string;
  key: string;
  type: StateType;
  /** The initial child's key (compound states). */
  initial: string | null;
  children: StateTree[];
  transitions: Transition[];
}

/** `xstate.after.checkpointFreq.server.role…` → `after checkpointFreq`. */
export function eventLabel(type: string): string {
  const m = /^xstate\.after\.([^.]+)\./.exec(type);
  if (m) return `after ${m[1]}`;
  return type === '' ? '(always)' : type;
}

function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  const type = (guard as { type?: unknown }).type;
  return typeof type === 'string' ? type : 'guard';
}

function build(node: DirectedGraphNode): StateTree {
  const sn = node.stateNode;
  const transitions: Transition[] = [];
  const seen = new Set<string>();
  for (const edge of node.edges) {
    if (edge.transition.target === undefined || edge.transition.target.length === 0) continue;
    const t = { event: eventLabel(edge.label.text), target: edge.target.id, guard: guardName(edge.transition.guard) };
    const key = `${t.event}|${t.target}|${t.guard}`;
    if (seen.has(key)) continue;
    seen.add(key);
    transitions.push(t);
  }
  // Eventless (`always`) transitions are not among the edges: they are what `deciding` states do.
  for (const t of sn.always ?? []) {
    for (const target of t.target ?? []) {
      transitions.push({ event: '(always)', target: target.id, guard: guardName(t.guard) });
    }
  }
  const initial = sn.type === 'compound' ? (sn.initial?.target[0]?.key ?? null) : null;
  return { id: sn.id, key: sn.key, type: sn.type as StateType, initial, children: node.children.map(build), transitions };
}

export function machineTree(machine: AnyStateMachine): StateTree {
  return build(toDirectedGraph(machine));
}

/**
 * The ids of every state a state value is in (`{ role: { ready: 'primary' } }` → `server`,
 * `server.role`, `server.role.ready`, `server.role.ready.primary`), walked by key through the tree.
 * The page does the same walk in its own script.
 */
export function activeIds(tree: StateTree, value: unknown): string[] {
  const out: string[] = [tree.id];
  const walk = (node: StateTree, v: unknown) => {
    if (typeof v === 'string') {
      const child = node.children.find((c) => c.key === v);
      if (child) out.push(child.id);
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    for (const [key, sub] of Object.entries(v)) {
      const child = node.children.find((c) => c.key === key);
      if (!child) continue;
      out.push(child.id);
      walk(child, sub);
    }
  };
  walk(tree, value);
  return out;
}

/** Walks every state of a tree, parents first. */
export function* states(tree: StateTree): Generator<StateTree> {
  yield tree;
  for (const c of tree.children) yield* states(c);
}
