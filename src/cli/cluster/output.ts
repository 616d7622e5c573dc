/**
 * How the supervisor shows its processes' lines: `NAME | ` + the role's own line, names padded to
 * one width, each name in its own colour on a terminal (none when standard output is not a TTY or
 * `NO_COLOR` is set, https://no-color.org).
 *
 * Roles started by the supervisor print JSON (one event a line), so that each line says which
 * member printed it (an LFD's output also carries its server's lines); the text form is made from
 * the event by the printer's own `formatText`, so the lines look exactly as the role would print them.
 */
import type { LogEvent } from '../../log/events.js';
import { formatText } from '../../log/printer.js';

/** A JSON line of a role (`time`, `role`, `name`, `event` and the event's fields). */
export type EventData = Record<string, unknown> & { event: string; time?: string; name?: string };

/** The text form of a role's JSON line, with the role's own time stamp. */
export function eventText(data: EventData): string {
  const { time, ...event } = data;
  const at = typeof time === 'string' ? new Date(time) : new Date();
  try {
    return formatText(event as unknown as LogEvent, Number.isNaN(at.getTime()) ? new Date() : at);
  } catch {
    // An event this build's printer does not know (a newer role): show it as it came.
    return JSON.stringify(data);
  }
}

export function colourWanted(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return Boolean(stream.isTTY);
}

/** Distinct, readable on dark and light backgrounds: cyan, yellow, green, magenta, blue, red, and bright ones. */
const PALETTE = [36, 33, 32, 35, 34, 31, 96, 93, 92, 95, 94, 91];

export class Labeler {
  private readonly width: number;
  private readonly colours = new Map<string, number>();

  constructor(
    names: readonly string[],
    private readonly colour: boolean,
  ) {
    this.width = Math.max(...names.map((n) => n.length), 1);
    names.forEach((n, i) => this.colours.set(n, PALETTE[i % PALETTE.length]!));
  }

  /** `S1      | text` (and the name coloured when colour is on). */
  line(name: string, text: string): string {
    const padded = name.padEnd(this.width);
    if (!this.colour) return `${padded} | ${text}`;
    let code = this.colours.get(name);
    if (code === undefined) {
      code = PALETTE[this.colours.size % PALETTE.length]!;
      this.colours.set(name, code);
    }
    return `\x1b[${code}m${padded}\x1b[0m | ${text}`;
  }
}

/** Rows of cells → lines with aligned columns (two blanks between columns, last column not padded). */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}
