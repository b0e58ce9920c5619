/**
 * The smoke versions of the `pnpm stress` drills (stress/*.mjs): the same
 * code at a small scale, so every run of the suite fuzzes the protocol, soaks
 * and leak-checks the daemon, kills it -9, fills its disk and drives input at
 * scale. They assert behaviour (nothing crashes, nothing is lost, counts go
 * back to their baseline), with tolerances, never speed. Serial: each drill
 * loads the machine on its own.
 */
import test from 'ava';
// @ts-expect-error plain ESM modules without type declarations
import { DRILLS } from '../stress/drills.mjs';
import { cleanupAllHomes } from '@ccx/testkit';

// A drill cut off by its timeout has not cleaned up: its daemon and sessions end here, by pid.
test.after.always(() => cleanupAllHomes());

interface DrillReport {
  name: string;
  figures: Record<string, unknown>;
  failures: Array<{ name: string; detail?: unknown }>;
}
interface Drill {
  name: string;
  run(options: unknown): Promise<DrillReport>;
  options(context: { smoke: boolean; env: NodeJS.ProcessEnv }): unknown;
}

for (const drill of DRILLS as Drill[]) {
  test.serial(`stress smoke: ${drill.name}`, async (t) => {
    t.timeout(240_000);
    const report = await drill.run(drill.options({ smoke: true, env: {} }));
    for (const [key, value] of Object.entries(report.figures)) t.log(`${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
    t.deepEqual(report.failures, [], `${drill.name}: ${report.failures.map((f) => f.name).join('; ')}`);
  });
}
