/**
 * The shape DESIGN.md asks for, checked on the source: `src/core/` (the protocol's decisions) imports
 * no xstate, no `node:*` module and nothing of `src/transport/`; and no module of `src/` reaches
 * itself again through its static imports (a cycle would make the layers meaningless).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

/** Static `import … from 'x'` and `export … from 'x'` specifiers (type-only ones too: they tie modules as well). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

const resolveLocal = (from: string, spec: string): string | null =>
  spec.startsWith('.') ? path.resolve(path.dirname(from), spec).replace(/\.js$/, '.ts') : null;

const graph = new Map<string, string[]>(sources(SRC).map((f) => [f, specifiers(f).map((s) => resolveLocal(f, s)).filter((s): s is string => s !== null)]));
const rel = (f: string) => path.relative(SRC, f);

describe('source layout', () => {
  it('src/core imports no xstate, no node:* and nothing of src/transport', () => {
    const core = [...graph.keys()].filter((f) => rel(f).startsWith(`core${path.sep}`));
    expect(core.length).to.be.greaterThan(3);
    const bad = core.flatMap((f) =>
      specifiers(f)
        .filter((s) => s === 'xstate' || s.startsWith('xstate/') || s.startsWith('node:') || (resolveLocal(f, s) ?? '').includes(`${path.sep}transport${path.sep}`))
        .map((s) => `${rel(f)} imports ${s}`),
    );
    expect(bad).to.deep.equal([]);
  });

  it('no import cycle in src/', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, trail: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(f)), f].map(rel).join(' → '));
        return;
      }
      state.set(f, 'open');
      for (const next of graph.get(f) ?? []) visit(next, [...trail, f]);
      state.set(f, 'done');
    };
    for (const f of graph.keys()) visit(f, []);
    expect(cycles).to.deep.equal([]);
  });
});
