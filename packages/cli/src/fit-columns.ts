/**
 * Makes a table fit a terminal of `width` columns, as `ps` and `docker ps`
 * do: long cells are cut with "…", then the least useful columns are dropped.
 * `steps` say, in order, what may be given up; each is applied only while the
 * table is still too wide.
 */
export type FitStep = { shorten: string; to: number } | { drop: string };

/** Width of the laid-out table: cells padded to their column's widest, two spaces apart. */
function tableWidth(header: string[], rows: string[][]): number {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
}

/** `text` cut to at most `max` characters, the cut marked with "…". */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return max <= 1 ? text.slice(0, max) : text.slice(0, max - 1) + '…';
}

export function fitColumns(header: string[], rows: string[][], width: number, steps: FitStep[]): { header: string[]; rows: string[][] } {
  let h = [...header];
  let r = rows.map((row) => [...row]);
  for (const step of steps) {
    const over = tableWidth(h, r) - width;
    if (over <= 0) break;
    const col = h.indexOf('drop' in step ? step.drop : step.shorten);
    if (col < 0) continue;
    if ('drop' in step) {
      h = h.filter((_, i) => i !== col);
      r = r.map((row) => row.filter((_, i) => i !== col));
    } else {
      const widest = Math.max(h[col]!.length, ...r.map((row) => row[col]!.length));
      const max = Math.max(step.to, h[col]!.length, widest - over);
      r = r.map((row) => row.map((cell, i) => (i === col ? truncate(cell, max) : cell)));
    }
  }
  return { header: h, rows: r };
}
