// The burn-down of one resource, drawn in the terminal: the balance day by day as columns of block
// characters (eighths of a row, so an 8-row chart has 64 levels), the top and zero marked on the left,
// the first and last date under it. Pure: takes the series and a width, returns the lines.
const BLOCKS = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

export interface Day {
  date: string;
  balance: number;
}

/** The days to draw in `width` columns: all of them, or the last of each equal bucket. */
export function sampleToWidth(days: readonly Day[], width: number): Day[] {
  if (days.length <= width) return [...days];
  const out: Day[] = [];
  for (let i = 0; i < width; i++) out.push(days[Math.min(days.length - 1, Math.floor(((i + 1) * days.length) / width) - 1)]);
  return out;
}

export function burndown(days: readonly Day[], opts: { width?: number; height?: number; max?: number } = {}): string[] {
  if (days.length === 0) return ['(no usage recorded in the window)'];
  const height = opts.height ?? 8;
  const top = Math.max(opts.max ?? 0, ...days.map((d) => d.balance), 0);
  const labelTop = fmt(top);
  const labelWidth = Math.max(labelTop.length, 1);
  const cols = sampleToWidth(days, Math.max(10, (opts.width ?? 80) - labelWidth - 2));
  // each column's height in eighths of a row
  const eighths = cols.map((d) => (top > 0 ? Math.round((Math.max(0, d.balance) / top) * height * 8) : 0));
  const lines: string[] = [];
  for (let row = height - 1; row >= 0; row--) {
    const label = row === height - 1 ? labelTop : row === 0 ? '0' : '';
    const bar = eighths.map((e) => BLOCKS[Math.max(0, Math.min(8, e - row * 8))]).join('');
    lines.push(`${label.padStart(labelWidth)} │${bar}`);
  }
  lines.push(`${''.padStart(labelWidth)} └${'─'.repeat(cols.length)}`);
  const first = cols[0].date;
  const last = cols[cols.length - 1].date;
  const gap = Math.max(1, cols.length - first.length - last.length);
  lines.push(`${''.padStart(labelWidth)}  ${cols.length > 1 ? `${first}${' '.repeat(gap)}${last}` : first}`);
  return lines;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
