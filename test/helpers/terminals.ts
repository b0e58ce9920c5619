/** Real terminals (node-pty) that tests drive a CLI in; each is ended by its pid in teardown (the testkit's ptysFor). */
import type pty from 'node-pty';
import { ptysFor as kitPtysFor } from '@ccx/testkit';

/** An array to push every spawned terminal into: after the file's tests, each one left is SIGKILLed by pid. */
export const ptysFor = (test: Parameters<typeof kitPtysFor>[0]): pty.IPty[] => kitPtysFor<pty.IPty>(test);
