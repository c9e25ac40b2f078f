/**
 * The kernel data plane needs root: creating a netns mounts it under /run/netns (CAP_SYS_ADMIN)
 * and links, routes and sysctls inside it need CAP_NET_ADMIN. It also needs iproute2's `ip`.
 */
import { readFile } from 'node:fs/promises';
import { DataPlaneError } from './errors.ts';
import { run } from './ip.ts';

const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;

/** Why this process may not create network namespaces (platform, capabilities), or undefined. */
export async function privilegeProblem(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `needs Linux network namespaces (platform is ${process.platform})`;
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const capHex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  const caps = capHex ? BigInt(`0x${capHex}`) : 0n;
  const missing = [
    (caps >> CAP_NET_ADMIN) & 1n ? undefined : 'CAP_NET_ADMIN',
    (caps >> CAP_SYS_ADMIN) & 1n ? undefined : 'CAP_SYS_ADMIN',
  ].filter((c) => c !== undefined);
  if (missing.length > 0) return `needs root (missing ${missing.join(' and ')})`;
  return undefined;
}

/** Why the kernel data plane cannot run here, or undefined when it can. */
export async function kernelDataPlaneUnsupportedReason(): Promise<string | undefined> {
  const privilege = await privilegeProblem();
  if (privilege) return privilege;
  const ipVersion = await run('ip', ['-V']).catch(() => undefined);
  if (ipVersion?.code !== 0) return 'needs iproute2 (`ip` not found on PATH)';
  return undefined;
}

export async function assertKernelDataPlaneSupported(): Promise<void> {
  const reason = await kernelDataPlaneUnsupportedReason();
  if (reason) {
    throw new DataPlaneError(
      'SIM_DATAPLANE_UNSUPPORTED',
      `the emulator's kernel data plane ${reason}: it needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) ` +
        "and iproute2's `ip`; run the emulator without it otherwise",
    );
  }
}
