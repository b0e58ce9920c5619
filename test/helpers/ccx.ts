/**
 * Test harness: every test file gets real daemons in fresh temp CCX_HOMEs,
 * runs the real CLI as a child process, and ends every process it started by
 * pid in teardown. All of it is the testkit's (packages/testkit); this path
 * stays so test files import one place.
 */
import { killHomesOnExit } from '@ccx/testkit';

export * from '@ccx/testkit';

// A test process ended without its teardown (a run killed by a timeout) still kills its homes' daemons and tracked processes by pid.
killHomesOnExit();
