import type { LatencySpec } from './faults/fault-injector.ts';
import type { Timings } from './model/vpc-state.ts';

export interface Profile {
  timings: Timings;
  imdsLagMs: number;
  /** Latency per action ('*' for all), applied through the fault injector. */
  latency: Record<string, LatencySpec>;
}

/**
 * `fast` keeps tests quick but still asynchronous (an attachment is `attaching` for a moment, IMDS
 * trails EC2), so consumers cannot depend on instant consistency. `realistic` uses the delays seen
 * on AWS (data/ec2-api-throttling.json, observedLatencies): ENI attach ~1-2 s, detach 2-3 s, IMDS
 * seconds behind.
 */
export const PROFILES: Readonly<Record<string, Profile>> = {
  fast: { timings: { attachDelayMs: 5, detachDelayMs: 5 }, imdsLagMs: 20, latency: {} },
  instant: { timings: { attachDelayMs: 0, detachDelayMs: 0 }, imdsLagMs: 0, latency: {} },
  realistic: {
    timings: { attachDelayMs: 1500, detachDelayMs: 2500 },
    imdsLagMs: 4000,
    latency: {
      '*': { lognormalMs: { median: 60, sigma: 0.4 } },
      CreateNetworkInterface: { lognormalMs: { median: 350, sigma: 0.4 } },
      AttachNetworkInterface: { lognormalMs: { median: 250, sigma: 0.4 } },
    },
  },
};
