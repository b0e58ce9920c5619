// The scenarios, in the order they run and are reported.
import * as coldStart from './cold-start.mjs';
import * as fanOut from './fan-out.mjs';
import * as latency from './latency.mjs';
import * as agentTurn from './agent-turn.mjs';
import * as remote from './remote.mjs';
import * as roundTrip from './round-trip.mjs';
import * as scale from './scale.mjs';
import * as throughput from './throughput.mjs';
import * as web from './web.mjs';

export const SCENARIOS = [roundTrip, coldStart, throughput, fanOut, latency, scale, remote, agentTurn, web];
