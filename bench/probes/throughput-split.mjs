// A probe, not a scenario (`pnpm bench` does not run it): splits the
// throughput run's time into start → `process-exit` and exit → the screen's
// answer, for the build of the repository given. It is how
// docs/benchmark-history.md ("Throughput (scenario 3) with the screen
// feed") told the program's pace from the screen's parse.
//   node bench/probes/throughput-split.mjs /path/to/a/built/checkout [runs]
const repo = process.argv[2]; const n = Number(process.argv[3] ?? 5);
const { CcxHome } = await import(`${repo}/bench/lib/ccx-home.mjs`);
const { ExitWatcher } = await import(`${repo}/bench/lib/exit-watcher.mjs`);
const { PidRegistry } = await import(`${repo}/packages/testkit/dist/index.js`);
import { performance } from 'node:perf_hooks';
import { writeFileSync, existsSync } from 'node:fs';
const file = '/tmp/tp20.txt';
if (!existsSync(file)) writeFileSync(file, Array.from({ length: 250000 }, (_, i) => `${String(i).padStart(8, '0')} ${'x'.repeat(70)}`).join('\n') + '\n');
const pids = new PidRegistry();
const home = new CcxHome(pids);
await home.ensureDaemon();
const conn = await home.connect();
const watcher = new ExitWatcher(conn); await watcher.start();
const rows = [];
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  const info = await home.startSession(conn, ['cat', file]);
  const t1 = performance.now();
  await watcher.wait(info.id);
  const t2 = performance.now();
  await conn.request('session.screen', { target: info.id });
  const t3 = performance.now();
  rows.push([t1 - t0, t2 - t1, t3 - t2, t3 - t0].map((v) => v.toFixed(0)).join(' / '));
  await conn.request('session.rm', { targets: [info.id] });
}
console.log(repo, 'start / to exit / exit→screen / total ms:', rows.join('  |  '));
conn.close?.(); await home.cleanup?.(); process.exit(0);
