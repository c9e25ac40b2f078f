import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandOutput,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  type ListMetricsCommandInput,
  type MetricDatum,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { type Emulator, startEmulator } from '../../sim/emulator.ts';
import { systemClock } from '../../sim/model/clock.ts';
import { cloudwatchClient, failureOf } from '../helpers/cloudwatch.ts';

const NS = 'Kubernetes';
const cluster = (id: string) => [{ Name: 'CLUSTER_ID', Value: id }];

describe('CloudWatch PutMetricData -> GetMetricData through the real SDK', () => {
  let sim: Emulator;
  let cw: CloudWatchClient;
  // Ten minutes ago, on a minute boundary, so every datum falls in a known period.
  const base = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
  const at = (s: number) => new Date(base + s * 1000);
  const range = { StartTime: new Date(base), EndTime: new Date(base + 5 * 60_000) };
  const query = (id: string, stat: string, period = 60, dims = cluster('blue'), name = 'addReqCount') => ({
    Id: id,
    MetricStat: { Metric: { Namespace: NS, MetricName: name, Dimensions: dims }, Period: period, Stat: stat },
  });
  const byId = (out: GetMetricDataCommandOutput, id: string) => {
    const r = out.MetricDataResults?.find((x) => x.Id === id);
    assert.ok(r, `no result for ${id}`);
    return { t: r.Timestamps!.map((d) => d.getTime()), v: r.Values!, status: r.StatusCode, label: r.Label };
  };

  before(async () => {
    sim = await startEmulator({ profile: 'instant' });
    cw = cloudwatchClient(sim);
    const datum = (v: number, s: number, id = 'blue'): MetricDatum => ({
      MetricName: 'addReqCount', Dimensions: cluster(id), Unit: 'Count', Value: v, Timestamp: at(s),
    });
    await cw.send(new PutMetricDataCommand({
      Namespace: NS,
      MetricData: [datum(3, 5), datum(7, 30), datum(10, 65), datum(2, 70), datum(100, 10, 'green'), datum(1, 75, 'green')],
    }));
    // A distribution: 1 x4, 5 x5, 9 x1 in the third minute.
    await cw.send(new PutMetricDataCommand({
      Namespace: NS,
      MetricData: [{ MetricName: 'latency', Dimensions: cluster('blue'), Values: [1, 5, 9], Counts: [4, 5, 1], Timestamp: at(130) }],
    }));
  });
  after(async () => {
    cw.destroy();
    await sim.stop();
  });

  test('sums, maxima, minima, averages and sample counts per period, oldest first when asked', async () => {
    assert.equal(sim.cloudwatch.datapointCount, 7);
    const out = await cw.send(new GetMetricDataCommand({
      ...range,
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [query('sum', 'Sum'), query('max', 'Maximum'), query('min', 'Minimum'), query('avg', 'Average'), query('n', 'SampleCount'), query('sum2m', 'Sum', 120)],
    }));
    assert.deepEqual(byId(out, 'sum'), { t: [base, base + 60_000], v: [10, 12], status: 'Complete', label: 'addReqCount' });
    assert.deepEqual(byId(out, 'max').v, [7, 10]);
    assert.deepEqual(byId(out, 'min').v, [3, 2]);
    assert.deepEqual(byId(out, 'avg').v, [5, 6]);
    assert.deepEqual(byId(out, 'n').v, [2, 2]);
    // Periods start at StartTime (rounded down to its minute, which base already is), whether or not
    // base is a multiple of 120 s since the epoch.
    assert.deepEqual(byId(out, 'sum2m'), { t: [base], v: [22], status: 'Complete', label: 'addReqCount' });
  });

  test('newest first by default (ScanBy TimestampDescending)', async () => {
    const out = await cw.send(new GetMetricDataCommand({ ...range, MetricDataQueries: [query('sum', 'Sum')] }));
    assert.deepEqual(byId(out, 'sum').t, [base + 60_000, base]);
  });

  test('each dimension set is its own series', async () => {
    const out = await cw.send(new GetMetricDataCommand({
      ...range,
      MetricDataQueries: [query('blue', 'Sum', 300), query('green', 'Sum', 300, cluster('green')), query('none', 'Sum', 300, [])],
    }));
    const total = (id: string) => byId(out, id).v.reduce((x, y) => x + y, 0);
    assert.equal(total('blue'), 22);
    assert.equal(total('green'), 101);
    assert.deepEqual(byId(out, 'none').v, []);
  });

  test('Values/Counts give sample counts, sums and percentiles', async () => {
    const out = await cw.send(new GetMetricDataCommand({
      ...range,
      MetricDataQueries: ['SampleCount', 'Sum', 'p50', 'p90', 'p99.9'].map((s, i) => ({ ...query(`q${i}`, s, 60, cluster('blue'), 'latency') })),
    }));
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => byId(out, `q${i}`).v[0]), [10, 4 + 25 + 9, 5, 5, 9]);
  });

  test('MaxDatapoints pages the results with a NextToken, and a foreign token is refused', async () => {
    const input = { ...range, ScanBy: 'TimestampAscending' as const, MaxDatapoints: 1, MetricDataQueries: [query('sum', 'Sum')] };
    const first = await cw.send(new GetMetricDataCommand(input));
    assert.deepEqual(byId(first, 'sum'), { t: [base], v: [10], status: 'PartialData', label: 'addReqCount' });
    assert.ok(first.NextToken);
    const second = await cw.send(new GetMetricDataCommand({ ...input, NextToken: first.NextToken }));
    assert.deepEqual(byId(second, 'sum'), { t: [base + 60_000], v: [12], status: 'Complete', label: 'addReqCount' });
    assert.equal(second.NextToken, undefined);
    const other = await failureOf(cw.send(new GetMetricDataCommand({ ...input, MaxDatapoints: 2, NextToken: first.NextToken })));
    assert.equal(other.name, 'InvalidNextToken');
  });

  test('a metric math Expression is refused, saying the emulator does not evaluate it', async () => {
    const f = await failureOf(cw.send(new GetMetricDataCommand({ ...range, MetricDataQueries: [query('m1', 'Sum'), { Id: 'e1', Expression: 'm1 * 2' }] })));
    assert.equal(f.name, 'ValidationException');
    assert.match(f.message, /does not evaluate metric math/);
  });

  test('periods other than 1, 5, 10, 20, 30 or a multiple of 60 are refused', async () => {
    const f = await failureOf(cw.send(new GetMetricDataCommand({ ...range, MetricDataQueries: [query('m1', 'Sum', 90)] })));
    assert.equal(f.name, 'InvalidParameterValueException');
    assert.match(f.message, /MetricDataQueries\.member\.1\.MetricStat\.Period/);
  });

  test('GetMetricStatistics: Statistics or ExtendedStatistics per period, at most 1,440 datapoints', async () => {
    const metric = { Namespace: NS, MetricName: 'addReqCount', Dimensions: cluster('blue'), ...range, Period: 60 };
    const out = await cw.send(new GetMetricStatisticsCommand({ ...metric, Statistics: ['Sum', 'Maximum'] }));
    assert.equal(out.Label, 'addReqCount');
    assert.deepEqual(out.Datapoints!.map((d) => [d.Timestamp!.getTime(), d.Sum, d.Maximum, d.Unit]), [[base, 10, 7, 'Count'], [base + 60_000, 12, 10, 'Count']]);
    const ext = await cw.send(new GetMetricStatisticsCommand({ ...metric, MetricName: 'latency', ExtendedStatistics: ['p50', 'p99'] }));
    assert.deepEqual(ext.Datapoints!.map((d) => d.ExtendedStatistics), [{ p50: 5, p99: 9 }]);
    const both = await failureOf(cw.send(new GetMetricStatisticsCommand({ ...metric, Statistics: ['Sum'], ExtendedStatistics: ['p50'] })));
    assert.equal(both.name, 'InvalidParameterCombinationException');
    const many = await failureOf(cw.send(new GetMetricStatisticsCommand({ ...metric, StartTime: new Date(base - 1500_000), Period: 1, Statistics: ['Sum'] })));
    assert.equal(many.name, 'InvalidParameterCombinationException');
    assert.match(many.message, /requested up to 1,800 datapoints, which exceeds the limit of 1,440/);
  });

  test('StartTime must precede EndTime', async () => {
    const f = await failureOf(cw.send(new GetMetricDataCommand({ StartTime: range.EndTime, EndTime: range.StartTime, MetricDataQueries: [query('m1', 'Sum')] })));
    assert.equal(f.name, 'InvalidParameterValueException');
    assert.match(f.message, /StartTime must be less than the parameter EndTime/);
  });
});

describe('CloudWatch ListMetrics', () => {
  let sim: Emulator;
  let cw: CloudWatchClient;
  before(async () => {
    sim = await startEmulator({ profile: 'instant' });
    cw = cloudwatchClient(sim);
    // 1200 node metrics in two requests (at most 1000 per request), plus a few to filter on.
    for (const from of [0, 600]) {
      await cw.send(new PutMetricDataCommand({
        Namespace: 'Nodes',
        MetricData: Array.from({ length: 600 }, (_, i) => ({ MetricName: 'ipsInUse', Dimensions: [{ Name: 'Node', Value: `n${from + i}` }], Value: 1 })),
      }));
    }
    await cw.send(new PutMetricDataCommand({
      Namespace: NS,
      MetricData: [
        { MetricName: 'addReqCount', Dimensions: cluster('blue'), Value: 1 },
        { MetricName: 'addReqCount', Dimensions: cluster('green'), Value: 1 },
        { MetricName: 'delReqCount', Dimensions: [...cluster('blue'), { Name: 'Zone', Value: 'a' }], Value: 1 },
        { MetricName: 'delReqCount', Value: 1 },
      ],
    }));
  });
  after(async () => {
    cw.destroy();
    await sim.stop();
  });

  const names = async (input: ListMetricsCommandInput) =>
    ((await cw.send(new ListMetricsCommand(input))).Metrics ?? []).map((m) => `${m.MetricName}{${(m.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(',')}}`);

  test('filters by namespace, metric name and dimensions (a name alone, or a name and value)', async () => {
    assert.deepEqual(await names({ Namespace: NS, MetricName: 'addReqCount' }), ['addReqCount{CLUSTER_ID=blue}', 'addReqCount{CLUSTER_ID=green}']);
    assert.deepEqual(await names({ Namespace: NS, Dimensions: [{ Name: 'CLUSTER_ID', Value: 'blue' }] }), ['addReqCount{CLUSTER_ID=blue}', 'delReqCount{CLUSTER_ID=blue,Zone=a}']);
    assert.deepEqual(await names({ Namespace: NS, Dimensions: [{ Name: 'Zone' }] }), ['delReqCount{CLUSTER_ID=blue,Zone=a}']);
    assert.deepEqual(await names({ Namespace: NS, MetricName: 'delReqCount' }), ['delReqCount{CLUSTER_ID=blue,Zone=a}', 'delReqCount{}']);
    assert.deepEqual(await names({ Namespace: 'Elsewhere' }), []);
    assert.equal((await names({ Namespace: NS, RecentlyActive: 'PT3H' })).length, 4);
  });

  test('pages of 500 with NextToken until every metric was listed once', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let token: string | undefined;
    do {
      const page = await cw.send(new ListMetricsCommand({ Namespace: 'Nodes', ...(token ? { NextToken: token } : {}) }));
      sizes.push(page.Metrics!.length);
      seen.push(...page.Metrics!.map((m) => m.Dimensions![0]!.Value!));
      token = page.NextToken;
    } while (token);
    assert.deepEqual(sizes, [500, 500, 200]);
    assert.equal(new Set(seen).size, 1200);
    assert.equal(sim.cloudwatch.metricCount, 1204);
  });

  test('a made-up NextToken is InvalidNextToken', async () => {
    const f = await failureOf(cw.send(new ListMetricsCommand({ NextToken: 'bm9wZQ' })));
    assert.equal(f.name, 'InvalidNextToken');
    assert.equal(f.status, 400);
  });

  test('the admin endpoint summarises what arrived (GET /cloudwatch) and forgets it (POST /cloudwatch/reset)', async () => {
    const res = await fetch(`${sim.endpoints.admin}/cloudwatch?namespace=${NS}`);
    const summary = (await res.json()) as { metrics: number; datapoints: number; series: { metricName: string; dimensions: Record<string, string>; newest: { sum: number } }[] };
    assert.equal(summary.metrics, 1204);
    assert.equal(summary.datapoints, 1204);
    assert.deepEqual(summary.series.map((x) => [x.metricName, x.dimensions, x.newest.sum]), [
      ['addReqCount', { CLUSTER_ID: 'blue' }, 1],
      ['addReqCount', { CLUSTER_ID: 'green' }, 1],
      ['delReqCount', { CLUSTER_ID: 'blue', Zone: 'a' }, 1],
      ['delReqCount', {}, 1],
    ]);
    await fetch(`${sim.endpoints.admin}/cloudwatch/reset`, { method: 'POST' });
    assert.equal(sim.cloudwatch.datapointCount, 0);
    assert.deepEqual(await names({}), []);
  });
});

describe('CloudWatch reads: the emulator clock, storage resolution, the Unit filter, ReturnData', () => {
  let sim: Emulator;
  let cw: CloudWatchClient;
  // The emulator's clock runs two minutes behind this process's (still within SigV4's 5 minutes).
  const clock = { now: () => Date.now() - 120_000, setTimeout: systemClock.setTimeout };
  before(async () => {
    sim = await startEmulator({ profile: 'instant', clock });
    cw = cloudwatchClient(sim);
  });
  after(async () => {
    cw.destroy();
    await sim.stop();
  });

  test("a datum without Timestamp is stored at the emulator clock's now, in its minute", async () => {
    await cw.send(new PutMetricDataCommand({ Namespace: NS, MetricData: [{ MetricName: 'untimed', Value: 1 }] }));
    const at = sim.cloudwatch.get(NS, 'untimed', [])!.points[0]!.at;
    assert.equal(at % 60_000, 0);
    assert.ok(at <= clock.now() && at > clock.now() - 61_000, `stored at ${new Date(at).toISOString()}`);
  });

  test('high-resolution datums keep their second; standard ones count in their minute', async () => {
    const t0 = Math.floor(clock.now() / 60_000) * 60_000 - 5 * 60_000;
    const both = (StorageResolution: number, MetricName: string) =>
      [200, 1500].map((ms) => ({ MetricName, Value: ms, StorageResolution, Timestamp: new Date(t0 + ms) }));
    await cw.send(new PutMetricDataCommand({ Namespace: NS, MetricData: [...both(1, 'hires'), ...both(60, 'std')] }));
    const out = await cw.send(new GetMetricDataCommand({
      StartTime: new Date(t0), EndTime: new Date(t0 + 60_000), ScanBy: 'TimestampAscending',
      MetricDataQueries: ['hires', 'std'].map((name) => ({ Id: name, MetricStat: { Metric: { Namespace: NS, MetricName: name }, Period: 1, Stat: 'Sum' } })),
    }));
    const [hires, std] = out.MetricDataResults!;
    assert.deepEqual(hires!.Timestamps!.map((d) => d.getTime() - t0), [0, 1000]);
    assert.deepEqual(hires!.Values, [200, 1500]);
    assert.deepEqual(std!.Timestamps!.map((d) => d.getTime() - t0), [0]);
    assert.deepEqual(std!.Values, [1700]);
  });

  test('a MetricStat Unit keeps only datums of that unit; ReturnData false leaves a query out', async () => {
    const t0 = Math.floor(clock.now() / 60_000) * 60_000 - 3 * 60_000;
    await cw.send(new PutMetricDataCommand({
      Namespace: NS,
      MetricData: [
        { MetricName: 'mixed', Value: 2, Unit: 'Count', Timestamp: new Date(t0) },
        { MetricName: 'mixed', Value: 3000, Unit: 'Milliseconds', Timestamp: new Date(t0) },
      ],
    }));
    const stat = (Unit?: 'Count' | 'Milliseconds') => ({ Metric: { Namespace: NS, MetricName: 'mixed' }, Period: 60, Stat: 'Sum', ...(Unit ? { Unit } : {}) });
    const out = await cw.send(new GetMetricDataCommand({
      StartTime: new Date(t0), EndTime: new Date(t0 + 60_000),
      MetricDataQueries: [
        { Id: 'count', MetricStat: stat('Count') },
        { Id: 'ms', MetricStat: stat('Milliseconds') },
        { Id: 'all', MetricStat: stat() },
        { Id: 'hidden', MetricStat: stat(), ReturnData: false },
      ],
    }));
    assert.deepEqual(out.MetricDataResults!.map((r) => [r.Id, r.Values]), [['count', [2]], ['ms', [3000]], ['all', [3002]]]);
  });
});
