/**
 * A state tree drawn as SVG without a layout engine: every state is a box titled by its key; a
 * compound state holds its children side by side (at most three to a row), a parallel state holds
 * its regions one above the other, split by dashed lines; each state lists its transitions as
 * `event [guard] → target` under its title. The initial child is marked with a dot. Every box
 * carries `data-state="ID"`, which is what the page highlights.
 */
import type { StateTree } from './graph.js';

const CHAR = 6.6; // monospace 11px
const LINE = 14;
const TITLE = 18;
const PAD = 8;
const GAP = 10;
const PER_ROW = 3;

interface Box {
  node: StateTree;
  w: number;
  h: number;
  lines: string[];
  /** Children with their offsets inside this box. */
  kids: { box: Box; x: number; y: number }[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const lastKey = (id: string) => id.slice(id.lastIndexOf('.') + 1);

function measure(node: StateTree): Box {
  const lines = node.transitions.map((t) => `${t.event}${t.guard ? ` [${t.guard}]` : ''} → ${lastKey(t.target)}`);
  const textW = Math.max(node.key.length + 2, ...lines.map((l) => l.length)) * CHAR + 2 * PAD;
  const head = TITLE + lines.length * LINE + (lines.length ? 4 : 0);
  const kids: Box['kids'] = [];
  let w = textW;
  let h = head + PAD;
  const boxes = node.children.map(measure);
  if (boxes.length > 0) {
    if (node.type === 'parallel') {
      let y = head;
      for (const b of boxes) {
        kids.push({ box: b, x: PAD, y });
        y += b.h + GAP;
      }
      w = Math.max(textW, ...boxes.map((b) => b.w + 2 * PAD));
      h = y - GAP + PAD;
    } else {
      let y = head;
      for (let i = 0; i < boxes.length; i += PER_ROW) {
        const row = boxes.slice(i, i + PER_ROW);
        let x = PAD;
        for (const b of row) {
          kids.push({ box: b, x, y });
          x += b.w + GAP;
        }
        w = Math.max(w, x - GAP + PAD);
        y += Math.max(...row.map((b) => b.h)) + GAP;
      }
      h = y - GAP + PAD;
    }
  } else {
    h = head + (lines.length ? PAD : 4);
  }
  // Regions of a parallel state span its width, so the dashed split reads as one line.
  if (node.type === 'parallel') for (const k of kids) k.box.w = w - 2 * PAD;
  return { node, w, h, lines, kids };
}

function draw(box: Box, x: number, y: number, out: string[], initial: boolean): void {
  const n = box.node;
  const cls = `state ${n.type}${n.children.length ? ' holder' : ''}`;
  out.push(`<g class="${cls}" data-state="${esc(n.id)}" transform="translate(${x},${y})">`);
  out.push(`<rect width="${box.w}" height="${box.h}" rx="6"/>`);
  if (initial) out.push(`<circle class="initial" cx="-4" cy="${TITLE / 2 + 1}" r="3.5"/>`);
  out.push(`<text class="key" x="${PAD}" y="${TITLE - 5}">${esc(n.key)}${n.type === 'parallel' ? ' ∥' : ''}</text>`);
  box.lines.forEach((l, i) => out.push(`<text class="tr" x="${PAD}" y="${TITLE + (i + 1) * LINE - 3}">${esc(l)}</text>`));
  box.kids.forEach((k, i) => {
    if (n.type === 'parallel' && i > 0) {
      const ly = k.y - GAP / 2;
      out.push(`<line class="region" x1="4" x2="${box.w - 4}" y1="${ly}" y2="${ly}"/>`);
    }
    draw(k.box, k.x, k.y, out, n.initial === k.box.node.key);
  });
  out.push('</g>');
}

/** Styles for a standalone SVG (the page has its own, with the highlight). */
const STYLE = `<style>
.state>rect{fill:#fff;stroke:#556;stroke-width:1}
.state.holder>rect{fill:#f4f6fa}
.key{font:bold 12px monospace;fill:#123}
.tr{font:11px monospace;fill:#456}
.initial{fill:#123}
.region{stroke:#99a;stroke-dasharray:4 3}
</style>`;

/** The SVG of one machine; `standalone` adds the XML header and styles for a file. */
export function toSvg(tree: StateTree, standalone = true): string {
  const box = measure(tree);
  const w = Math.ceil(box.w + 12);
  const h = Math.ceil(box.h + 4);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="machine" data-machine="${esc(tree.id)}" width="${w}" height="${h}" viewBox="-8 -2 ${w} ${h}">`);
  if (standalone) out.push(STYLE);
  draw(box, 0, 0, out, false);
  out.push('</svg>');
  return (standalone ? '<?xml version="1.0" encoding="UTF-8"?>\n' : '') + out.join('\n') + '\n';
}

/** Several machines in one SVG, one below the other. */
export function toSvgSheet(trees: StateTree[]): string {
  const parts = trees.map((t) => ({ t, box: measure(t) }));
  const w = Math.ceil(Math.max(...parts.map((p) => p.box.w)) + 12);
  const out: string[] = [];
  let y = 0;
  for (const p of parts) {
    out.push(`<text class="key" x="0" y="${y + 12}">machine ${esc(p.t.id)}</text>`);
    draw(p.box, 0, y + 18, out, false);
    y += p.box.h + 18 + 24;
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${y}" viewBox="-8 0 ${w} ${y}">\n${STYLE}\n${out.join('\n')}\n</svg>\n`;
}
