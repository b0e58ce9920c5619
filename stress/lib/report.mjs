// A drill's outcome: named figures (what it measured) and checks (what must hold).

export class Report {
  constructor(name) {
    this.name = name;
    this.figures = {};
    this.checks = [];
    this.notes = [];
    this.startedAt = performance.now();
  }

  figure(key, value) {
    this.figures[key] = value;
    return value;
  }

  check(name, ok, detail) {
    this.checks.push({ name, ok: !!ok, ...(detail === undefined ? {} : { detail }) });
    return !!ok;
  }

  note(text) {
    this.notes.push(text);
  }

  get failures() {
    return this.checks.filter((c) => !c.ok);
  }

  get ok() {
    return this.failures.length === 0;
  }

  finish() {
    this.figures.durationS = Math.round((performance.now() - this.startedAt) / 100) / 10;
    return this;
  }

  toJSON() {
    return { name: this.name, ok: this.ok, figures: this.figures, checks: this.checks, notes: this.notes };
  }

  print(write = (s) => process.stdout.write(s)) {
    write(`\n== ${this.name}: ${this.ok ? 'PASS' : 'FAIL'} ==\n`);
    for (const [k, v] of Object.entries(this.figures)) write(`  ${k.padEnd(34)} ${typeof v === 'object' ? JSON.stringify(v) : v}\n`);
    for (const c of this.checks) write(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.detail !== undefined && !c.ok ? ` — ${typeof c.detail === 'string' ? c.detail : JSON.stringify(c.detail)}` : ''}\n`);
    for (const n of this.notes) write(`  note: ${n}\n`);
  }
}

export const MiB = 1024 * 1024;
export const mib = (bytes) => (bytes === undefined ? undefined : Math.round((bytes / MiB) * 10) / 10);

/** Seeded PRNG (mulberry32): a failing run can be replayed with the same seed. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    bytes: (n) => {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256);
      return b;
    },
    chance: (p) => next() < p,
  };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return results;
}
