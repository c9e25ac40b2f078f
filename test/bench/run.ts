/**
 * `npm run bench`: benchmarks reported as figures and ratios, written to bench-results/. Timings
 * never gate the test suite (DEVELOPERS.md); they are read and compared across runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { benchAssignRoundTrip } from './sim-bench.ts';
import { fmt } from './stats.ts';

const iterations = Number(process.env.BENCH_ITERATIONS ?? 1000);
const out: Record<string, unknown> = { node: process.version, at: new Date().toISOString() };

const sim = await benchAssignRoundTrip(iterations);
out.sim = sim;
const lines = [
  `emulator: AssignPrivateIpAddresses round trip through @aws-sdk/client-ec2 (n=${sim.assignRoundTrip.n})`,
  `  median ${fmt(sim.assignRoundTrip.median)}, p90 ${fmt(sim.assignRoundTrip.p90)}, p99 ${fmt(sim.assignRoundTrip.p99)}`,
  `  inside the emulator: median ${fmt(sim.assignServerSide.median)}`,
  `  plain HTTP round trip to the same process: median ${fmt(sim.httpFloor.median)} -> SDK call is ${sim.ratioToHttpFloor.toFixed(1)}x the floor`,
];
process.stdout.write(`${lines.join('\n')}\n`);

mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/bench.json', `${JSON.stringify(out, null, 2)}\n`);
process.stdout.write('wrote bench-results/bench.json\n');
