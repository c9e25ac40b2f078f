import { EC2Client } from '@aws-sdk/client-ec2';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../sim/emulator.ts';

export interface TestVpc {
  sim: Emulator;
  ec2: EC2Client;
  stop(): Promise<void>;
}

/** An emulator on ephemeral ports plus a real SDK client pointed at it, signed with its credentials. */
export async function startTestVpc(opts: EmulatorOptions & { maxAttempts?: number } = {}): Promise<TestVpc> {
  const { maxAttempts, ...simOpts } = opts;
  const sim = await startEmulator({ profile: 'instant', ...simOpts });
  const ec2 = ec2Client(sim, maxAttempts);
  return {
    sim,
    ec2,
    async stop() {
      ec2.destroy();
      await sim.stop();
    },
  };
}

export function ec2Client(sim: Emulator, maxAttempts = 1): EC2Client {
  return new EC2Client({
    endpoint: sim.endpoints.ec2,
    region: sim.region,
    credentials: sim.credentials,
    maxAttempts,
  });
}

/** The error code the SDK surfaced, for assertions: `await rejectsWith(p, 'AttachmentLimitExceeded')`. */
export async function errorCodeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { name?: string; Code?: string }).Code ?? (e as Error).name;
  }
  return 'no error';
}
