import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ListMetricsCommand, PutMetricDataCommand, type PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { SignatureV4 } from '@smithy/signature-v4';
import { MAX_REQUEST_BYTES } from '../../sim/cloudwatch/cloudwatch-service.ts';
import { type Emulator, startEmulator } from '../../sim/emulator.ts';
import { NodeSha256 } from '../../sim/sts/sigv4-verify.ts';
import { cloudwatchClient, failureOf } from '../helpers/cloudwatch.ts';

/**
 * The wire as the pinned SDK uses it: AWS JSON 1.0 with X-Amz-Target, gzip bodies from 10 KiB,
 * awsQuery-compatible errors; throttling the SDK retries; injected faults.
 */

/** A Query-protocol request signed as the AWS CLI v1 signs it (SigV4, service monitoring, form body). */
async function signedQuery(sim: Emulator, params: Record<string, string>): Promise<{ status: number; body: string }> {
  const url = new URL(sim.endpoints.cloudwatch);
  const body = new URLSearchParams(params).toString();
  const signer = new SignatureV4({ credentials: sim.credentials, region: sim.region, service: 'monitoring', sha256: NodeSha256 });
  const signed = await signer.sign({
    method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {},
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body,
  });
  const { host: _host, ...headers } = signed.headers;
  const res = await fetch(`${sim.endpoints.cloudwatch}/`, { method: 'POST', headers, body });
  return { status: res.status, body: await res.text() };
}

/** The size of the body the SDK sends for `input` uncompressed, read before it goes out (nothing is sent). */
async function bodySize(sim: Emulator, input: PutMetricDataCommandInput): Promise<number> {
  const probe = cloudwatchClient(sim, { config: { disableRequestCompression: true } });
  let size = -1;
  probe.middlewareStack.add(
    () => (args) => {
      size = Buffer.byteLength((args.request as { body: string }).body);
      throw new Error('probed');
    },
    { step: 'build', priority: 'low' },
  );
  await probe.send(new PutMetricDataCommand(input)).catch(() => undefined);
  probe.destroy();
  return size;
}

/** 1000 datums whose JSON body, as the SDK sends it uncompressed, is exactly `bytes` long. */
async function putOfSize(sim: Emulator, bytes: number): Promise<PutMetricDataCommandInput> {
  const make = (pad: (i: number) => number): PutMetricDataCommandInput => ({
    Namespace: 'Size',
    MetricData: Array.from({ length: 1000 }, (_, i) => ({ MetricName: 'pad', Dimensions: [{ Name: 'P', Value: 'x'.repeat(pad(i)) }], Value: 1 })),
  });
  const least = await bodySize(sim, make(() => 1));
  const each = 1 + Math.floor((bytes - least) / 1000);
  const rest = (bytes - least) % 1000;
  const input = make((i) => each + (i < rest ? 1 : 0));
  assert.equal(await bodySize(sim, input), bytes);
  return input;
}

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

  test('the Query protocol (AWS CLI v1 and older SDKs): a signed form in, XML out, XML errors', async () => {
    const base = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;
    const put = await signedQuery(sim, {
      Action: 'PutMetricData', Version: '2010-08-01', Namespace: 'Legacy',
      'MetricData.member.1.MetricName': 'q', 'MetricData.member.1.Dimensions.member.1.Name': 'CLUSTER_ID',
      'MetricData.member.1.Dimensions.member.1.Value': 'blue', 'MetricData.member.1.Values.member.1': '2',
      'MetricData.member.1.Values.member.2': '5', 'MetricData.member.1.Counts.member.2': '3',
      'MetricData.member.1.Counts.member.1': '1', 'MetricData.member.1.Timestamp': new Date(base + 1000).toISOString(),
    });
    assert.equal(put.status, 200, put.body);
    assert.match(put.body, /<PutMetricDataResponse xmlns="http:\/\/monitoring\.amazonaws\.com\/doc\/2010-08-01\/"><ResponseMetadata><RequestId>/);
    const q = 'MetricDataQueries.member.1';
    const get = await signedQuery(sim, {
      Action: 'GetMetricData', Version: '2010-08-01', StartTime: new Date(base).toISOString(), EndTime: new Date(base + 60_000).toISOString(),
      [`${q}.Id`]: 'm', [`${q}.MetricStat.Metric.Namespace`]: 'Legacy', [`${q}.MetricStat.Metric.MetricName`]: 'q',
      [`${q}.MetricStat.Metric.Dimensions.member.1.Name`]: 'CLUSTER_ID', [`${q}.MetricStat.Metric.Dimensions.member.1.Value`]: 'blue',
      [`${q}.MetricStat.Period`]: '60', [`${q}.MetricStat.Stat`]: 'Sum',
    });
    assert.equal(get.status, 200, get.body);
    assert.match(get.body, new RegExp(`<Timestamps><member>${new Date(base).toISOString()}</member></Timestamps><Values><member>17</member></Values>`));
    const list = await signedQuery(sim, { Action: 'ListMetrics', Version: '2010-08-01', Namespace: 'Legacy' });
    assert.match(list.body, /<ListMetricsResult><Metrics><member><Namespace>Legacy<\/Namespace><MetricName>q<\/MetricName><Dimensions><member><Name>CLUSTER_ID<\/Name><Value>blue<\/Value>/);
    const bad = await signedQuery(sim, { Action: 'PutMetricData', Version: '2010-08-01', Namespace: 'Legacy', 'MetricData.member.1.MetricName': 'q', 'MetricData.member.1.Value': 'lots' });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /<Error><Type>Sender<\/Type><Code>InvalidParameterValue<\/Code><Message>The parameter MetricData\.member\.1\.Value must be a number\.<\/Message><\/Error>/);
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

  test('a request over the limit as sent (gzip counted compressed) is RequestEntityTooLarge (413)', async () => {
    const res = await fetch(`${sim.endpoints.cloudwatch}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'GraniteServiceVersion20100801.PutMetricData', 'content-encoding': 'gzip' },
      // Random bytes do not compress: well over 1 MiB on the wire.
      body: gzipSync(randomBytes(1_200_000)),
    });
    assert.equal(res.status, 413);
    assert.equal(res.headers.get('x-amzn-query-error'), 'RequestEntityTooLarge;Sender');
  });

  test('at the boundary through the SDK: a body of exactly the limit is stored, one byte more is 413 "Request size N exceeded L bytes"', async () => {
    const cw = cloudwatchClient(sim, { config: { disableRequestCompression: true } });
    const before = sim.cloudwatch.datapointCount;
    await cw.send(new PutMetricDataCommand(await putOfSize(sim, MAX_REQUEST_BYTES)));
    assert.equal(sim.cloudwatch.datapointCount, before + 1000);
    const f = await failureOf(cw.send(new PutMetricDataCommand(await putOfSize(sim, MAX_REQUEST_BYTES + 1))));
    cw.destroy();
    assert.deepEqual(
      { name: f.name, code: f.code, status: f.status, message: f.message },
      { name: 'RequestEntityTooLarge', code: 'RequestEntityTooLarge', status: 413, message: `Request size ${MAX_REQUEST_BYTES + 1} exceeded ${MAX_REQUEST_BYTES} bytes` },
    );
    assert.equal(sim.cloudwatch.datapointCount, before + 1000);
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

  test('with retries off, a throttled call fails as Throttling "Rate exceeded" (400, ThrottlingException)', async () => {
    // One token that does not come back during the test: the second call is throttled whatever the timing.
    sim.throttle.configure({ buckets: { PutMetricData: { capacity: 1, refillPerSecond: 0.001 } } });
    const cw = cloudwatchClient(sim, { maxAttempts: 1 });
    const put = () => cw.send(new PutMetricDataCommand({ Namespace: 'K', MetricData: datums(1) }));
    await put();
    const f = await failureOf(put());
    cw.destroy();
    sim.throttle.configure({ buckets: { PutMetricData: { capacity: 2, refillPerSecond: 10 } } });
    assert.deepEqual(f, { name: 'Throttling', code: 'Throttling', status: 400, message: 'Rate exceeded', type: 'com.amazon.coral.availability#ThrottlingException' });
  });

  test('with standard retries, 10 concurrent calls through a 2-token bucket all succeed', async () => {
    sim.throttle.reset();
    const since = sim.log.lastSeq;
    const before = sim.cloudwatch.datapointCount;
    const cw = cloudwatchClient(sim, { maxAttempts: 10 });
    const results = await Promise.all(Array.from({ length: 10 }, () => cw.send(new PutMetricDataCommand({ Namespace: 'K', MetricData: datums(1) }))));
    cw.destroy();
    const retries = results.reduce((n, r) => n + (r.$metadata.attempts ?? 1) - 1, 0);
    // At most 2 tokens plus the refill while the first attempts arrive: the rest were retried.
    assert.ok(retries >= 1, `expected throttled calls to be retried, got ${retries} retries`);
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
