/**
 * `npm run fuzz`: the plugin fuzzer's long mode (issue 9 item 4), the same harness as
 * test/cni/fuzz.test.ts with many more cases (root, kernel data plane). Prints the counts: cases,
 * invocations, exits by code, outcomes per verb, time; exits 1 if any case or the final checks failed.
 *
 *   npm run fuzz [-- --cases 10000] [--seed N] [--concurrency 3] [--only 12,345] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { kernelTestsSkipReason } from '../helpers/pod-netns.ts';
import { runFuzz } from '../helpers/fuzz/runner.ts';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '10000' },
    seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
    concurrency: { type: 'string', default: '3' },
    only: { type: 'string' },
    json: { type: 'string' },
  },
});
const out = (s: string) => process.stdout.write(`${s}\n`);
const skip = await kernelTestsSkipReason();
if (skip) {
  out(`fuzz: cannot run: ${skip}`);
  process.exit(2);
}
const seed = Number(values.seed);
const cases = Number(values.cases);
const only = values.only?.split(',').map(Number);
out(`fuzz: ${only ? `cases ${only.join(',')} of ` : ''}${cases} cases, seed ${seed}, concurrency ${values.concurrency}`);
let last = 0;
const report = await runFuzz({
  cases,
  seed,
  concurrency: Number(values.concurrency),
  ...(only ? { only } : {}),
  progress(done, total, failed) {
    if (done === total || performance.now() - last > 15_000) {
      last = performance.now();
      out(`  ${done}/${total} cases, ${failed} failed`);
    }
  },
});
const sorted = (o: Readonly<Record<string, number>>) => Object.entries(o).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
out(`\n${report.cases} cases, ${report.invocations} plugin runs in ${(report.ms / 1000).toFixed(1)} s (seed ${report.seed})`);
out(`exits: ${sorted(report.codes).map(([k, v]) => `${k}: ${v}`).join(', ')}`);
out(`by verb: ${sorted(report.outcomes).map(([k, v]) => `${k}: ${v}`).join(', ')}`);
for (const f of report.failures.slice(0, 20)) out(`\nFAILED case ${f.index} [${f.case}]\n  ${f.problems.join('\n  ')}`);
for (const p of report.final) out(`FINAL: ${p}`);
out(report.failures.length || report.final.length ? `\n${report.failures.length} cases failed` : '\nall cases passed; nothing left behind; ledger equals EC2');
if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
process.exit(report.failures.length || report.final.length ? 1 : 0);
