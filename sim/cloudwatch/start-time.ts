/**
 * Where a query's periods start, after the StartTime and Period documentation of GetMetricData and
 * GetMetricStatistics (API_GetMetricData, API_GetMetricStatistics, API_MetricStat). CloudWatch
 * rounds StartTime down by how long ago it is, counted from when the request arrives:
 *
 * - less than 15 days ago: to the whole minute (12:32:34 -> 12:32:00); with a Period of 1, 5, 10,
 *   20 or 30 seconds, to that division of the minute instead (01:05:23 with Period 10 -> 01:05:20);
 * - between 15 and 63 days ago: to the 5-minute clock interval (12:32:34 -> 12:30:00);
 * - more than 63 days ago: to the hour (12:32:34 -> 12:00:00).
 *
 * Periods then follow one another from that rounded start. And for a start more than 3 hours ago
 * the Period must be a multiple of 60 s (15 to 63 days: 300 s; over 63 days: 3600 s) "or no data
 * points in that time range is returned".
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The granularity data of that age is kept at, in ms: what the start is rounded to and what Period must be a multiple of. */
function granularity(age: number): number {
  if (age > 63 * DAY) return HOUR;
  if (age >= 15 * DAY) return 5 * MINUTE;
  return MINUTE;
}

/** StartTime (epoch ms) rounded down as CloudWatch does for a request arriving at `now`. */
export function roundStartTime(start: number, periodSeconds: number, now: number): number {
  let step = granularity(now - start);
  // High-resolution periods divide the minute: the start snaps to that division.
  if (step === MINUTE && periodSeconds < 60) step = periodSeconds * SECOND;
  return Math.floor(start / step) * step;
}

/** Whether a query of this Period, starting at `start`, can return datapoints at all. */
export function periodFitsStart(start: number, periodSeconds: number, now: number): boolean {
  const age = now - start;
  const multiple = age > 3 * HOUR ? granularity(age) : SECOND;
  return (periodSeconds * SECOND) % multiple === 0;
}
