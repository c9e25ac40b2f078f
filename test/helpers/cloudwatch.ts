import { CloudWatchClient, type CloudWatchClientConfig } from '@aws-sdk/client-cloudwatch';
import type { Emulator } from '../../sim/emulator.ts';

/**
 * A real CloudWatch client pointed at the emulator, signed with its static credentials unless others
 * are given; `config` overrides the rest (region, systemClockOffset, disableRequestCompression...).
 */
export function cloudwatchClient(
  sim: Emulator,
  opts: {
    maxAttempts?: number;
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    config?: Omit<CloudWatchClientConfig, 'endpoint' | 'credentials' | 'maxAttempts'>;
  } = {},
): CloudWatchClient {
  return new CloudWatchClient({
    endpoint: sim.endpoints.cloudwatch,
    region: sim.region,
    ...opts.config,
    credentials: opts.credentials ?? sim.credentials,
    maxAttempts: opts.maxAttempts ?? 1,
  });
}

/** The SDK's error for a call expected to fail: its class name, Query code, HTTP status, message and JSON `__type`. */
export async function failureOf(
  p: Promise<unknown>,
): Promise<{ name: string; code: string | undefined; status: number | undefined; message: string; type: string | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { Error?: { Code?: string }; $metadata?: { httpStatusCode?: number }; __type?: string };
    return { name: err.name, code: err.Error?.Code, status: err.$metadata?.httpStatusCode, message: err.message, type: err.__type };
  }
  throw new Error('the call succeeded, a failure was expected');
}
