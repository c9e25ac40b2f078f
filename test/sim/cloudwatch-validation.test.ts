import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type CloudWatchClient, type MetricDatum, PutMetricDataCommand, type PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { type Emulator, startEmulator } from '../../sim/emulator.ts';
import { cloudwatchClient, failureOf } from '../helpers/cloudwatch.ts';

/**
 * CloudWatch's PutMetricData validation (API_PutMetricData, API_MetricDatum, API_Dimension), each
 * refusal through the real SDK: the exception class it raises, the Query code, HTTP 400, and a
 * message naming the parameter. A refused request stores nothing.
 */

const ok: MetricDatum = { MetricName: 'addReqCount', Value: 1, Unit: 'Count' };
const dims = (n: number) => Array.from({ length: n }, (_, i) => ({ Name: `d${i}`, Value: 'v' }));
const HOUR = 3600_000;

type Case = [title: string, input: PutMetricDataCommandInput, name: string, code: string, message: RegExp];

const CASES: Case[] = [
  ['Namespace is required', { MetricData: [ok] } as unknown as PutMetricDataCommandInput, 'MissingRequiredParameterException', 'MissingParameter', /parameter Namespace is required/],
  ['a custom namespace may not start with AWS/', { Namespace: 'AWS/EC2', MetricData: [ok] }, 'InvalidParameterValueException', 'InvalidParameterValue', /AWS\/EC2 for parameter Namespace.*reserved/],
  ['a namespace is at most 255 characters', { Namespace: 'n'.repeat(256), MetricData: [ok] }, 'InvalidParameterValueException', 'InvalidParameterValue', /parameter Namespace must be between 1 and 255 characters/],
  ['a namespace has no control characters', { Namespace: 'Kube\tnetes', MetricData: [ok] }, 'InvalidParameterValueException', 'InvalidParameterValue', /parameter Namespace is invalid/],
  ['a namespace does not start with a colon', { Namespace: ':Kubernetes', MetricData: [ok] }, 'InvalidParameterValueException', 'InvalidParameterValue', /parameter Namespace is invalid/],
  ['MetricData is required', { Namespace: 'K' }, 'MissingRequiredParameterException', 'MissingParameter', /parameter MetricData is required/],
  ['MetricName is required', { Namespace: 'K', MetricData: [{ Value: 1 } as MetricDatum] }, 'MissingRequiredParameterException', 'MissingParameter', /MetricData\.member\.1\.MetricName is required/],
  ['a metric name is at most 255 characters', { Namespace: 'K', MetricData: [{ ...ok, MetricName: 'm'.repeat(256) }] }, 'InvalidParameterValueException', 'InvalidParameterValue', /MetricData\.member\.1\.MetricName must be between 1 and 255/],
  ['at most 30 dimensions', { Namespace: 'K', MetricData: [{ ...ok, Dimensions: dims(31) }] }, 'InvalidParameterValueException', 'InvalidParameterValue', /MetricData\.member\.1\.Dimensions must not have a size greater than 30/],
  ['a dimension name is not empty', { Namespace: 'K', MetricData: [{ ...ok, Dimensions: [{ Name: '', Value: 'v' }] }] }, 'InvalidParameterValueException', 'InvalidParameterValue', /Dimensions\.member\.1\.Name must be between 1 and 255/],
  ['a dimension value is at most 1024 characters', { Namespace: 'K', MetricData: [{ ...ok, Dimensions: [{ Name: 'n', Value: 'v'.repeat(1025) }] }] }, 'InvalidParameterValueException', 'InvalidParameterValue', /Dimensions\.member\.1\.Value must be between 1 and 1024/],
  ['a dimension value is required', { Namespace: 'K', MetricData: [{ ...ok, Dimensions: [{ Name: 'n' } as never] }] }, 'MissingRequiredParameterException', 'MissingParameter', /Dimensions\.member\.1\.Value is required/],
  ['dimension names are unique', { Namespace: 'K', MetricData: [{ ...ok, Dimensions: [{ Name: 'n', Value: 'a' }, { Name: 'n', Value: 'b' }] }] }, 'InvalidParameterValueException', 'InvalidParameterValue', /two dimensions named 'n'/],
  ['Value and Values are mutually exclusive', { Namespace: 'K', MetricData: [{ ...ok, Values: [1] }] }, 'InvalidParameterCombinationException', 'InvalidParameterCombination', /MetricData\.member\.1\.Value and MetricData\.member\.1\.Values are mutually exclusive/],
  ['Value and StatisticValues are mutually exclusive', { Namespace: 'K', MetricData: [{ ...ok, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } }] }, 'InvalidParameterCombinationException', 'InvalidParameterCombination', /Value and MetricData\.member\.1\.StatisticValues are mutually exclusive/],
  ['one of Value, Values, StatisticValues is required', { Namespace: 'K', MetricData: [{ MetricName: 'm' }] }, 'InvalidParameterCombinationException', 'InvalidParameterCombination', /At least one of the parameters MetricData\.member\.1\.Value/],
  ['Counts need Values', { Namespace: 'K', MetricData: [{ ...ok, Counts: [1] }] }, 'InvalidParameterCombinationException', 'InvalidParameterCombination', /Counts requires MetricData\.member\.1\.Values/],
  ['at most 150 Values', { Namespace: 'K', MetricData: [{ MetricName: 'm', Values: Array.from({ length: 151 }, (_, i) => i) }] }, 'InvalidParameterValueException', 'InvalidParameterValue', /Values must not have a size greater than 150/],
  ['Counts as many as Values', { Namespace: 'K', MetricData: [{ MetricName: 'm', Values: [1, 2], Counts: [1] }] }, 'InvalidParameterCombinationException', 'InvalidParameterCombination', /Values and MetricData\.member\.1\.Counts must be of the same size/],
  ['NaN is not a value', { Namespace: 'K', MetricData: [{ ...ok, Value: Number.NaN }] }, 'InvalidParameterValueException', 'InvalidParameterValue', /value NaN for parameter MetricData\.member\.1\.Value/],
  ['Infinity is not a value', { Namespace: 'K', MetricData: [{ MetricName: 'm', Values: [1, Number.POSITIVE_INFINITY] }] }, 'InvalidParameterValueException', 'InvalidParameterValue', /Infinity for parameter MetricData\.member\.1\.Values\.member\.2/],
  ['values beyond 2^360 are refused', { Namespace: 'K', MetricData: [{ ...ok, Value: 2 ** 361 }] }, 'InvalidParameterValueException', 'InvalidParameterValue', /range of -2\^360 to 2\^360/],
  ['values smaller in magnitude than 2^-360 are refused', { Namespace: 'K', MetricData: [{ ...ok, Value: -1e-200 }] }, 'InvalidParameterValueException', 'InvalidParameterValue', /MetricData\.member\.1\.Value is invalid/],
  ['a StatisticSet has all four members', { Namespace: 'K', MetricData: [{ MetricName: 'm', StatisticValues: { SampleCount: 2, Sum: 3, Minimum: 1 } as never }] }, 'MissingRequiredParameterException', 'MissingParameter', /StatisticValues\.Maximum is required/],
  ['a StatisticSet minimum is not above its maximum', { Namespace: 'K', MetricData: [{ MetricName: 'm', StatisticValues: { SampleCount: 2, Sum: 3, Minimum: 5, Maximum: 1 } }] }, 'InvalidParameterCombinationException', 'InvalidParameterCombination', /Minimum \(5\) must not be greater than/],
  ['Unit is one of StandardUnit', { Namespace: 'K', MetricData: [{ ...ok, Unit: 'Furlongs' as never }] }, 'InvalidParameterValueException', 'InvalidParameterValue', /Furlongs for parameter MetricData\.member\.1\.Unit/],
  ['a timestamp more than two weeks old is refused', { Namespace: 'K', MetricData: [{ ...ok, Timestamp: new Date(Date.now() - 15 * 24 * HOUR) }] }, 'InvalidParameterValueException', 'InvalidParameterValue', /Timestamp must specify a time no more than two weeks in the past/],
  ['a timestamp more than two hours ahead is refused', { Namespace: 'K', MetricData: [{ ...ok, Timestamp: new Date(Date.now() + 3 * HOUR) }] }, 'InvalidParameterValueException', 'InvalidParameterValue', /no more than two hours in the future/],
  ['StorageResolution is 1 or 60', { Namespace: 'K', MetricData: [{ ...ok, StorageResolution: 30 }] }, 'InvalidParameterValueException', 'InvalidParameterValue', /30 for parameter MetricData\.member\.1\.StorageResolution/],
  ['at most 1000 datums per request', { Namespace: 'K', MetricData: Array.from({ length: 1001 }, () => ok) }, 'InvalidParameterValueException', 'InvalidParameterValue', /MetricData must not have a size greater than 1000 \(got 1001\)/],
];

describe('CloudWatch PutMetricData validation, through the real SDK', () => {
  let sim: Emulator;
  let cw: CloudWatchClient;
  before(async () => {
    sim = await startEmulator({ profile: 'instant' });
    cw = cloudwatchClient(sim);
  });
  after(async () => {
    cw.destroy();
    await sim.stop();
  });

  for (const [title, input, name, code, message] of CASES) {
    test(title, async () => {
      const f = await failureOf(cw.send(new PutMetricDataCommand(input)));
      assert.deepEqual({ name: f.name, code: f.code, status: f.status }, { name, code, status: 400 });
      assert.match(f.message, message);
    });
  }

  test('a refused request stores nothing, not even its valid datums', async () => {
    const before = sim.cloudwatch.datapointCount;
    const f = await failureOf(cw.send(new PutMetricDataCommand({ Namespace: 'K', MetricData: [ok, { ...ok, Unit: 'Furlongs' as never }] })));
    assert.equal(f.code, 'InvalidParameterValue');
    assert.match(f.message, /MetricData\.member\.2\.Unit/);
    assert.equal(sim.cloudwatch.datapointCount, before);
  });

  test('the limits themselves are accepted: 1000 datums, 30 dimensions, 150 values, ±2^360, two weeks back, two hours ahead', async () => {
    const before = sim.cloudwatch.datapointCount;
    await cw.send(new PutMetricDataCommand({ Namespace: 'AWSome/Kubernetes', MetricData: Array.from({ length: 1000 }, () => ok) }));
    await cw.send(new PutMetricDataCommand({
      Namespace: 'K',
      MetricData: [
        { ...ok, Dimensions: dims(30) },
        { MetricName: 'm', Values: Array.from({ length: 150 }, (_, i) => i), Counts: Array.from({ length: 150 }, () => 2) },
        { ...ok, Value: 2 ** 360 },
        { ...ok, Value: -(2 ** 360) },
        { ...ok, Value: 0 },
        { ...ok, Timestamp: new Date(Date.now() - 14 * 24 * HOUR + 60_000) },
        { ...ok, Timestamp: new Date(Date.now() + 2 * HOUR - 60_000) },
        { ...ok, StorageResolution: 1 },
      ],
    }));
    assert.equal(sim.cloudwatch.datapointCount, before + 1008);
  });
});
