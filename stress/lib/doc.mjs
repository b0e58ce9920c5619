// Writes the figures of a full `pnpm stress` run into docs/reliability.md,
// between its `<!-- stress-figures:start -->` and `<!-- stress-figures:end -->`
// markers, so the document always shows the latest full run.
import { readFileSync, writeFileSync } from 'node:fs';

const START = '<!-- stress-figures:start -->';
const END = '<!-- stress-figures:end -->';

const cell = (value) => String(typeof value === 'object' && value !== null ? JSON.stringify(value) : value).replaceAll('|', '\\|').replaceAll('\n', ' ');

export function figuresMarkdown(summary) {
  const lines = [];
  lines.push(`Run of ${summary.at} (${summary.durationS} s, ${summary.machine.cpus} CPUs, Node ${summary.machine.node}${summary.load ? `, load average ${summary.load.start} → ${summary.load.end}` : ''}).`, '');
  for (const drill of summary.drills) {
    const passed = drill.checks.filter((c) => c.ok).length;
    lines.push(`#### ${drill.name}: ${drill.ok ? 'pass' : '**FAIL**'} (${passed}/${drill.checks.length} checks)`, '');
    lines.push('| figure | value |', '|---|---|');
    for (const [key, value] of Object.entries(drill.figures)) lines.push(`| ${key} | ${cell(value)} |`);
    const failed = drill.checks.filter((c) => !c.ok);
    if (failed.length) {
      lines.push('', 'Failed checks:', '');
      for (const c of failed) lines.push(`- ${c.name}: ${cell(c.detail ?? '')}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** Replaces the figures block of `file`; false when the file has no markers. */
export function writeFigures(file, summary) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) return false;
  writeFileSync(file, `${text.slice(0, a + START.length)}\n${figuresMarkdown(summary)}\n${text.slice(b)}`);
  return true;
}
