import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GetMetricDataCommand, GetMetricStatisticsCommand, type MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { type Emulator, startEmulator } from '../../sim/emulator.ts';
import { systemClock } from '../../sim/model/clock.ts';
import { cloudwatchClient } from '../helpers/cloudwatch.ts';

/**
 * Where periods start (API_GetMetricData / API_GetMetricStatistics, StartTime and Period): StartTime
 * rounded down to the minute (less than 15 days ago; the division of the minute for 1-30 s
 * periods), the 5 minutes (15 to 63 days) or the hour (over 63 days), and periods following from
 * there; no data before the rounded start; a Period too fine for an old start returns nothing.
 */

const NS = 'Periods';
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('CloudWatch StartTime rounding and where periods start, through the real SDK', () => {
  let sim: Emulator;
  // The emulator's clock, moved ahead to make the stored data old.
  let shift = 0;
  const clock = { now: () => Date.now() + shift, setTimeout: systemClock.setTimeout };
  const now = Date.now();
  // A minute about an hour ago that is neither a multiple of 5 minutes nor of 2 minutes.
  let m = Math.floor(now / MIN) * MIN - 60 * MIN;
  while (m % (5 * MIN) === 0 || m % (2 * MIN) === 0) m -= MIN;
  // An hour a few hours ago that is not a multiple of 2 hours.
  let h = Math.floor(now / HOUR) * HOUR - 3 * HOUR;
  if (h % (2 * HOUR) === 0) h -= HOUR;

  /** Sum per period of one metric: [ms after `base`, sum], oldest first; GetMetricData and GetMetricStatistics must agree. */
  const sums = async (name: string, base: number, startOffset: number, period: number, span: number) => {
    const cw = cloudwatchClient(sim, { config: { systemClockOffset: shift } });
    const range = { StartTime: new Date(base + startOffset), EndTime: new Date(base + startOffset + span) };
    const data = await cw.send(new GetMetricDataCommand({
      ...range, ScanBy: 'TimestampAscending',
      MetricDataQueries: [{ Id: 'q', MetricStat: { Metric: { Namespace: NS, MetricName: name }, Period: period, Stat: 'Sum' } }],
    }));
    const stats = await cw.send(new GetMetricStatisticsCommand({ ...range, Namespace: NS, MetricName: name, Period: period, Statistics: ['Sum'] }));
    cw.destroy();
    const r = data.MetricDataResults![0]!;
    const fromData = r.Timestamps!.map((t, i) => [t.getTime() - base, r.Values![i]!]);
    const fromStats = stats.Datapoints!.map((d) => [d.Timestamp!.getTime() - base, d.Sum!]);
    assert.deepEqual(fromStats, fromData, 'GetMetricStatistics and GetMetricData disagree');
    return fromData;
  };

  before(async () => {
    sim = await startEmulator({ profile: 'instant', clock });
    const cw = cloudwatchClient(sim);
    const at = (MetricName: string, base: number, ms: number, Value: number, StorageResolution = 60): MetricDatum =>
      ({ MetricName, Value, StorageResolution, Timestamp: new Date(base + ms) });
    await cw.send(new PutMetricDataCommand({
      Namespace: NS,
      MetricData: [
        at('recent', m, -30_000, 100), at('recent', m, 10_000, 1), at('recent', m, 4 * MIN, 2), at('recent', m, 5 * MIN + 5_000, 4),
        at('hires', m, 9_000, 100, 1), at('hires', m, 11_000, 1, 1), at('hires', m, 25_000, 2, 1),
        at('old', h, 7 * MIN, 1), at('old', h, 12 * MIN + 30_000, 2), at('old', h, 16 * MIN, 4),
      ],
    }));
    cw.destroy();
  });
  after(() => sim.stop());

  test('under 15 days: StartTime rounds down to its minute and periods follow from there, not from multiples of Period since the epoch', async () => {
    // 20 s into the minute: the datum 10 s in counts, the one 30 s before the minute does not.
    assert.deepEqual(await sums('recent', m, 20_000, 300, 10 * MIN), [[0, 3], [5 * MIN, 4]]);
    assert.deepEqual(await sums('recent', m, 20_000, 120, 10 * MIN), [[0, 1], [4 * MIN, 6]]);
    assert.deepEqual(await sums('recent', m, 20_000, 3600, 10 * MIN), [[0, 7]]);
  });

  test('high-resolution periods round StartTime to their division of the minute', async () => {
    // 13 s in: Period 10 starts at 10 s, Period 5 at 10 s, Period 60 at the minute.
    assert.deepEqual(await sums('hires', m, 13_000, 10, MIN), [[10_000, 1], [20_000, 2]]);
    assert.deepEqual(await sums('hires', m, 13_000, 5, MIN), [[10_000, 1], [25_000, 2]]);
    assert.deepEqual(await sums('hires', m, 13_000, 60, MIN), [[0, 103]]);
  });

  test('over 3 hours ago a period under a minute returns no datapoints', async () => {
    shift = 4 * HOUR;
    assert.deepEqual(await sums('hires', m, 13_000, 10, MIN), []);
    assert.deepEqual(await sums('hires', m, 13_000, 60, MIN), [[0, 103]]);
  });

  test('15 to 63 days ago: StartTime rounds down to 5 minutes, and Period must be a multiple of 300 s', async () => {
    shift = 20 * DAY;
    // 18:20 past the hour starts at 15:00: only the datum at 16:00 is in the first 10 minutes.
    assert.deepEqual(await sums('old', h, 18 * MIN + 20_000, 600, 30 * MIN), [[15 * MIN, 4]]);
    assert.deepEqual(await sums('old', h, 13 * MIN, 300, 30 * MIN), [[10 * MIN, 2], [15 * MIN, 4]]);
    assert.deepEqual(await sums('old', h, 13 * MIN, 60, 30 * MIN), []);
  });

  test('over 63 days ago: StartTime rounds down to the hour, and Period must be a multiple of 3600 s', async () => {
    shift = 70 * DAY;
    assert.deepEqual(await sums('old', h, 40 * MIN, 7200, 2 * HOUR), [[0, 7]]);
    assert.deepEqual(await sums('old', h, 40 * MIN, 600, 2 * HOUR), []);
  });
});
