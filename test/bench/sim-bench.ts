import { AssignPrivateIpAddressesCommand, CreateNetworkInterfaceCommand, UnassignPrivateIpAddressesCommand } from '@aws-sdk/client-ec2';
import { startEmulator } from '../../sim/emulator.ts';
import { ec2Client } from '../helpers/emulator.ts';
import { type Summary, summarize } from './stats.ts';

export interface SimBenchResult {
  assignRoundTrip: Summary;
  /** Time inside the emulator for the same calls (from its request log). */
  assignServerSide: Summary;
  /** A plain keep-alive HTTP round trip to the emulator's admin endpoint: the floor on loopback. */
  httpFloor: Summary;
  /** assignRoundTrip.median / httpFloor.median. */
  ratioToHttpFloor: number;
}

/** One AssignPrivateIpAddresses round trip through the real SDK, median of `iterations`. */
export async function benchAssignRoundTrip(iterations = 1000, warmup = 100): Promise<SimBenchResult> {
  const sim = await startEmulator({ profile: 'instant', throttling: false });
  const ec2 = ec2Client(sim);
  try {
    const eni = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: sim.subnet('nodes-a').id })))
      .NetworkInterface!.NetworkInterfaceId!;
    const samples: number[] = [];
    const since = sim.log.lastSeq;
    for (let i = 0; i < warmup + iterations; i++) {
      const t0 = performance.now();
      const r = await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eni, SecondaryPrivateIpAddressCount: 1 }));
      const dt = performance.now() - t0;
      if (i >= warmup) samples.push(dt);
      // Give the address back so the ENI never reaches its limit; not timed.
      await ec2.send(
        new UnassignPrivateIpAddressesCommand({
          NetworkInterfaceId: eni,
          PrivateIpAddresses: [r.AssignedPrivateIpAddresses![0]!.PrivateIpAddress!],
        }),
      );
    }
    const server = sim.log
      .entries({ action: 'AssignPrivateIpAddresses', sinceSeq: since })
      .slice(warmup)
      .map((e) => e.durationMs);
    const floor: number[] = [];
    const health = `${sim.endpoints.admin}/health`;
    for (let i = 0; i < warmup + iterations; i++) {
      const t0 = performance.now();
      await (await fetch(health)).arrayBuffer();
      if (i >= warmup) floor.push(performance.now() - t0);
    }
    const assignRoundTrip = summarize(samples);
    const httpFloor = summarize(floor);
    return {
      assignRoundTrip,
      assignServerSide: summarize(server),
      httpFloor,
      ratioToHttpFloor: assignRoundTrip.median / httpFloor.median,
    };
  } finally {
    ec2.destroy();
    await sim.stop();
  }
}
