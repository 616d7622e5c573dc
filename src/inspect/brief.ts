/**
 * A short, bounded, one-line text of any value for the event timeline: depth, items and length
 * capped while it is built (an event may carry a whole configuration), functions and sockets left
 * out.
 */
const MAX = 160;

export function brief(value: unknown, max = MAX): string {
  let out = '';
  const put = (s: string) => {
    out += s;
    return out.length < max;
  };
  const walk = (v: unknown, depth: number): boolean => {
    if (v === null || v === undefined) return put(String(v));
    if (typeof v === 'string') return put(v.length > 40 ? JSON.stringify(v.slice(0, 40) + '…') : JSON.stringify(v));
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return put(String(v));
    if (typeof v === 'function' || typeof v === 'symbol') return put('ƒ');
    if (depth > 2) return put('…');
    if (Array.isArray(v)) {
      if (!put('[')) return false;
      for (let i = 0; i < v.length; i++) {
        if (i >= 6) return put(`,+${v.length - 6}]`);
        if (i > 0 && !put(',')) return false;
        if (!walk(v[i], depth + 1)) return false;
      }
      return put(']');
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return put(`<${proto?.constructor?.name ?? 'object'}>`);
    if (!put('{')) return false;
    let first = true;
    for (const [k, sub] of Object.entries(v as Record<string, unknown>)) {
      if (typeof sub === 'function') continue;
      if (!first && !put(', ')) return false;
      first = false;
      if (!put(`${k}: `) || !walk(sub, depth + 1)) return false;
    }
    return put('}');
  };
  walk(value, 0);
  return out.length > max ? out.slice(0, max - 1) + '…' : out;
}
