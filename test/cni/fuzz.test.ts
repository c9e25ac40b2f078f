/**
 * The plugin under fuzzing (issue 9 item 4), in the suite: a fixed seed, a few hundred cases of
 * mutated environment and stdin (config mutations, deep nesting, huge strings, bad versions, odd
 * CNI_ARGS, bad prevResults, names with '#', quotes and unicode, 16-byte names), the real binary
 * against a real ipamd on the emulator in an emulated node's netns (test/helpers/fuzz/). Every
 * answer is a valid result or the spec's error with the code the input calls for, nothing hangs,
 * nothing is left in the kernel or in ipamd, and ipamd's ledger equals EC2 afterwards. `npm run fuzz`
 * runs the same with 10,000 cases or more.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { kernelTestsSkipReason } from '../helpers/pod-netns.ts';
import { runFuzz } from '../helpers/fuzz/runner.ts';

const SEED = 0x5eed_c41;
const CASES = Number(process.env.VPCWIRE_FUZZ_CASES ?? 250);

describe('fuzzing the CNI plugin', { skip: await kernelTestsSkipReason() }, () => {
  test(`${CASES} cases from seed ${SEED}: spec answers only, nothing left behind, ledger equals EC2`, { timeout: 300_000 }, async () => {
    const report = await runFuzz({ cases: CASES, seed: SEED, concurrency: 3 });
    const shown = report.failures.slice(0, 8).map((f) => `case ${f.index} [${f.case}]\n    ${f.problems.join('\n    ')}`);
    assert.deepEqual(
      [...shown, ...report.final],
      [],
      `${report.failures.length} of ${report.cases} cases failed; reproduce one with npm run fuzz -- --seed ${SEED} --cases ${CASES} --only N`,
    );
    assert.ok(report.invocations >= CASES, 'every case ran the plugin');
    // The cases reach every verb and both outcomes (a fuzzer that only ever hits one error proves little).
    for (const o of ['ADD 0', 'CHECK 0', 'DEL 0', 'ADD 4', 'ADD 7', 'ADD 1', 'VERSION 0']) assert.ok(report.outcomes[o], `no "${o}" among ${JSON.stringify(report.outcomes)}`);
  });
});
