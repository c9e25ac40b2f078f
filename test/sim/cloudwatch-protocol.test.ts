import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ListMetricsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { type Emulator, startEmulator } from '../../sim/emulator.ts';
import { cloudwatchClient, failureOf } from '../helpers/cloudwatch.ts';

/**
 * The wire as the pinned SDK uses it: AWS JSON 1.0 with X-Amz-Target, gzip bodies from 10 KiB,
 * awsQuery-compatible errors; throttling the SDK retries; injected faults.
 */

const datums = (n: number, pad = '') =>
  Array.from({ length: n }, (_, i) => ({ MetricName: 'ipsInUse', Dimensions: [{ Name: 'Node', Value: `node-${i}${pad}` }], Value: i, Unit: 'Count' as const }));

describe('CloudWatch wire protocol', () => {
  let sim: Emulator;
  before(async () => {
    sim = await startEmulator({ profile: 'instant' });
  });
  after(() => sim.stop());

  test('a body over 10 KiB arrives gzip-compressed from the SDK and is stored; a small one arrives plain', async () => {
    const cw = cloudwatchClient(sim);
    const since = sim.log.lastSeq;
    await cw.send(new PutMetricDataCommand({ Namespace: 'Kubernetes', MetricData: datums(2) }));
    // 300 datums of ~100 bytes of JSON each: ~30 KiB before compression.
    await cw.send(new PutMetricDataCommand({ Namespace: 'Kubernetes', MetricData: datums(300, '-'.repeat(40)) }));
    cw.destroy();
    const [small, big] = sim.log.entries({ service: 'cloudwatch', sinceSeq: since });
    assert.equal(small?.contentEncoding, undefined);
    assert.deepEqual([big?.action, big?.status, big?.contentEncoding, big?.params['MetricData.length']], ['PutMetricData', 200, 'gzip', '300']);
    assert.equal(sim.cloudwatch.datapointCount, 302);
  });

  test('the Query protocol (no X-Amz-Target) is answered with an error that says what the emulator speaks', async () => {
    const res = await fetch(`${sim.endpoints.cloudwatch}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=ListMetrics&Version=2010-08-01',
    });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('x-amzn-query-error'), 'InvalidAction;Sender');
    const body = (await res.json()) as { __type: string; message: string };
    assert.match(body.message, /AWS JSON 1\.0 only/);
  });

  test('an unsigned request is MissingAuthenticationToken with the JSON error shape', async () => {
    const res = await fetch(`${sim.endpoints.cloudwatch}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'GraniteServiceVersion20100801.ListMetrics', 'x-amzn-query-mode': 'true' },
      body: '{}',
    });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('x-amzn-query-error'), 'MissingAuthenticationToken;Sender');
    assert.deepEqual(await res.json(), {
      __type: 'com.amazon.coral.service#MissingAuthenticationTokenException',
      message: 'Request is missing Authentication Token',
    });
  });

  test('a body that is not gzip despite Content-Encoding gzip is refused, naming the encoding', async () => {
    const res = await fetch(`${sim.endpoints.cloudwatch}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'GraniteServiceVersion20100801.ListMetrics', 'content-encoding': 'gzip' },
      body: '{}',
    });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { message: string }).message, /Content-Encoding gzip, but the body is not gzip data/);
  });

  test('a request over 1 MiB as sent is RequestEntityTooLarge (413)', async () => {
    const res = await fetch(`${sim.endpoints.cloudwatch}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'GraniteServiceVersion20100801.PutMetricData', 'content-encoding': 'gzip' },
      // Random bytes do not compress: well over 1 MiB on the wire.
      body: gzipSync(randomBytes(1_200_000)),
    });
    assert.equal(res.status, 413);
    assert.equal(res.headers.get('x-amzn-query-error'), 'RequestEntityTooLarge;Sender');
  });
});

describe('CloudWatch throttling and faults', () => {
  let sim: Emulator;
  before(async () => {
    sim = await startEmulator({ profile: 'instant', throttling: { PutMetricData: { capacity: 2, refillPerSecond: 10 } } });
  });
  after(() => sim.stop());

  test('the documented quotas are the default buckets', () => {
    assert.deepEqual(
      ['GetMetricData', 'ListMetrics'].map((a) => sim.throttle.spec(a)),
      [{ capacity: 50, refillPerSecond: 50 }, { capacity: 25, refillPerSecond: 25 }],
    );
  });

  test('with retries off, a throttled call fails as Throttling "Rate exceeded" (400), retryable by the SDK', async () => {
    sim.throttle.reset();
    const cw = cloudwatchClient(sim, { maxAttempts: 1 });
    const outcomes = await Promise.all([1, 2, 3, 4].map(() => failureOf(cw.send(new PutMetricDataCommand({ Namespace: 'K', MetricData: datums(1) }))).catch(() => undefined)));
    cw.destroy();
    const refused = outcomes.filter((o) => o !== undefined);
    assert.ok(refused.length >= 2, `expected at least 2 of 4 throttled, got ${refused.length}`);
    for (const r of refused) {
      assert.deepEqual(r, { name: 'Throttling', code: 'Throttling', status: 400, message: 'Rate exceeded', type: 'com.amazon.coral.availability#ThrottlingException' });
    }
  });

  test('with standard retries, 10 concurrent calls through a 2-token bucket all succeed', async () => {
    sim.throttle.reset();
    const since = sim.log.lastSeq;
    const before = sim.cloudwatch.datapointCount;
    const cw = cloudwatchClient(sim, { maxAttempts: 10 });
    const results = await Promise.all(Array.from({ length: 10 }, () => cw.send(new PutMetricDataCommand({ Namespace: 'K', MetricData: datums(1) }))));
    cw.destroy();
    const retries = results.reduce((n, r) => n + (r.$metadata.attempts ?? 1) - 1, 0);
    assert.ok(retries >= 8, `expected most calls to be retried, got ${retries} retries`);
    const throttled = sim.log.entries({ service: 'cloudwatch', sinceSeq: since }).filter((e) => e.errorCode === 'Throttling');
    assert.equal(throttled.length, retries);
    assert.equal(sim.cloudwatch.datapointCount, before + 10);
  });

  test('injected faults apply to CloudWatch actions: failNext, then the SDK retry succeeds', async () => {
    sim.faults.failNext('ListMetrics', 1, { code: 'InternalServiceError' });
    const once = cloudwatchClient(sim, { maxAttempts: 1 });
    const f = await failureOf(once.send(new ListMetricsCommand({})));
    once.destroy();
    assert.deepEqual({ name: f.name, status: f.status }, { name: 'InternalServiceFault', status: 500 });
    sim.faults.failNext('ListMetrics', 1, { code: 'InternalServiceError' });
    const retrying = cloudwatchClient(sim, { maxAttempts: 3 });
    const out = await retrying.send(new ListMetricsCommand({ Namespace: 'K' }));
    retrying.destroy();
    assert.equal(out.$metadata.attempts, 2);
    assert.equal(out.Metrics?.length, 1);
  });
});
