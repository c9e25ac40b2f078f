import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectIpam, type IpamClient } from '../../ipamd/api/client.ts';
import { socketAccepts } from '../../cluster/local-node.ts';
import { ipamdEnv, type WebIdentity } from '../../cluster/ipamd-env.ts';
import type { Emulator } from '../../sim/emulator.ts';

const MAIN = new URL('../../ipamd/main.ts', import.meta.url).pathname;

export interface IpamdProcess {
  readonly dir: string;
  readonly socket: string;
  readonly checkpoint: string;
  /** Where the test creates files named after live pods' host veths (ipamd's sysfs stand-in). */
  readonly netDir: string;
  readonly releaseNotesDir: string;
  client: IpamClient;
  child: ChildProcess;
  stderr: string;
  /** Starts ipamd again on the same files (after kill or stop). */
  restart(extraEnv?: Record<string, string>): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

/**
 * ipamd as a real process on a real unix socket, pointed at an emulated instance: its IMDS, the
 * emulator's EC2 endpoint and credentials, files in a temp dir. Resolves once health says SERVING.
 */
export async function startIpamdProcess(
  sim: Emulator,
  instanceId: string,
  env: Record<string, string> = {},
  opts: {
    /** Run ipamd as this role (IRSA through the emulator's STS) with a token for kube-system/<serviceAccount>. */
    webIdentity?: { roleArn: string; serviceAccount?: string };
  } = {},
): Promise<IpamdProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'vpcwire-ipamd-'));
  const netDir = join(dir, 'net');
  const releaseNotesDir = join(dir, 'release-notes');
  mkdirSync(netDir);
  const socket = join(dir, 'run', 'ipamd.sock');
  const checkpoint = join(dir, 'state', 'ipam.json');
  // No node netns here: host networking stays off, so ipamd never configures this machine's own
  // netns. Tests of the host side pass VPCWIRE_HOST_NETWORK=true with VPCWIRE_HOST_NETNS.
  let webIdentity: WebIdentity | undefined;
  if (opts.webIdentity) {
    const tokenFile = join(dir, 'token');
    const serviceAccount = opts.webIdentity.serviceAccount ?? 'vpcwire';
    writeFileSync(tokenFile, sim.oidc.issueServiceAccountToken({ namespace: 'kube-system', serviceAccount }));
    webIdentity = { roleArn: opts.webIdentity.roleArn, tokenFile };
  }
  const baseEnv = ipamdEnv(
    sim,
    instanceId,
    { socket, checkpoint, netDir, releaseNotesDir, logFile: join(dir, 'ipamd.log') },
    webIdentity ? { webIdentity } : {},
  );
  const p: IpamdProcess = {
    dir,
    socket,
    checkpoint,
    netDir,
    releaseNotesDir,
    client: undefined as unknown as IpamClient,
    child: undefined as unknown as ChildProcess,
    stderr: '',
    async restart(extraEnv = {}) {
      p.stderr = '';
      p.child = spawn(process.execPath, [MAIN], { env: { ...baseEnv, ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
      p.child.stderr!.on('data', (d) => (p.stderr += d));
      p.client?.close();
      const deadline = Date.now() + 20_000;
      // Dial only once the socket accepts: a gRPC channel that meets a refused (or stale) socket
      // backs off 1 s, then 1.6 s, ... before it tries again, which would dominate restart times.
      while (!(await socketAccepts(socket))) {
        if (p.child.exitCode !== null) throw new Error(`ipamd exited ${p.child.exitCode}: ${p.stderr}`);
        if (Date.now() > deadline) throw new Error(`ipamd did not listen on ${socket}: ${p.stderr}`);
        await sleep(20);
      }
      p.client = connectIpam(socket, { deadlineMs: 5000 });
      for (;;) {
        if (p.child.exitCode !== null) throw new Error(`ipamd exited ${p.child.exitCode}: ${p.stderr}`);
        const ok = await p.client.checkHealth().then(
          (s) => s === 'SERVING',
          () => false,
        );
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`ipamd did not become SERVING: ${p.stderr}`);
        await sleep(50);
      }
    },
    async kill(signal = 'SIGKILL') {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return;
      const exited = once(p.child, 'exit');
      p.child.kill(signal);
      await exited;
    },
    async stop() {
      p.client?.close();
      await p.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await p.restart();
  } catch (e) {
    p.client?.close();
    await p.kill();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return p;
}

