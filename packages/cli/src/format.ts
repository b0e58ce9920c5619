/** Human-readable durations: 5s, 3m, 2h, 4d. */
export function formatAge(fromIso: string | null, now = Date.now()): string {
  if (!fromIso) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(fromIso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Parses 30s, 10m, 2h, 7d, or plain seconds, into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 's']!;
  return Math.round(Number(m[1]) * unit);
}

const CONTROL_CHARS = /[\x00-\x1f\x7f-\x9f]/g;
const NAMED_CONTROLS: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * User-controlled text (commands, names, labels, error messages) made safe
 * for a terminal: C0, DEL and C1 controls become `\n`, `\x1b`… A session
 * named by a hostile script, or a command holding `ESC ] 52`, must not act
 * on the terminal of whoever runs `ccx list`.
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROL_CHARS, (c) => NAMED_CONTROLS[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Lays rows out in columns padded to their widest cell; every cell's control characters are escaped. */
export function table(header: string[], rawRows: string[][], style: (cell: string, col: number, row: number) => string = (c) => c): string {
  const rows = rawRows.map((r) => r.map(escapeControls));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[], row: number): string =>
    cells
      .map((c, i) => style(i === cells.length - 1 ? c : c.padEnd(widths[i]!), i, row))
      .join('  ')
      .trimEnd();
  return [line(header, -1), ...rows.map((r, i) => line(r, i))].join('\n');
}

export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
