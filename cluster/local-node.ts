/**
 * A node of the local cluster: an emulated instance with ipamd running for it as a real process.
 * ipamd runs in the host netns, where the emulator's EC2 and IMDS endpoints listen on loopback, and
 * with the kernel data plane does its host-side work in the node's netns (VPCWIRE_HOST_NETNS);
 * the CNI plugin is exec'd inside the node's netns (plugin-exec.ts), as a runtime on that node
 * would. Without a data plane (no root) ipamd keeps its host networking off and only allocates.
 * Used by the demo and by the end-to-end tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectIpam, type IpamClient } from '../ipamd/api/client.ts';
import type { Emulator } from '../sim/emulator.ts';
import { ipamdEnv } from './ipamd-env.ts';
import { formatIpv4 } from '../sim/ipv4.ts';

const IPAMD_MAIN = new URL('../ipamd/main.ts', import.meta.url).pathname;

export interface LocalNode {
  readonly name: string;
  readonly instanceId: string;
  /** The node's netns name (under /run/netns); undefined without a data plane. */
  readonly netns: string | undefined;
  readonly primaryIp: string;
  readonly dir: string;
  readonly socket: string;
  readonly releaseNotesDir: string;
  readonly logFile: string;
  /** The plugin's log (one JSON line per invocation, with phase timings). */
  readonly pluginLogFile: string;
  /** ipamd's address history (beside its checkpoint), what `vpcwire history --dir` reads. */
  readonly historyDir: string;
  /** Where the running ipamd serves metrics and introspection (loopback, ports it chose), from its log. */
  endpoints(): Promise<{ metrics: string; introspection: string }>;
  readonly client: IpamClient;
  /** The plugin's entry in a conflist for this node: what ipamd's installer writes. */
  pluginConfig(cniVersion?: string, name?: string): Record<string, unknown>;
  /** ipamd's stderr so far (for error messages). */
  stderr(): string;
  /** SIGTERM (then SIGKILL after 5 s); the node's files are kept until `stop`. */
  stopIpamd(): Promise<void>;
  /** SIGKILL, as a crash would. */
  killIpamd(): Promise<void>;
  /** Starts ipamd again on the same files. */
  startIpamd(extraEnv?: Record<string, string>): Promise<void>;
  /** Stops ipamd and removes the node's files. */
  stop(): Promise<void>;
}

export async function startLocalNode(sim: Emulator, name: string, env: Record<string, string> = {}): Promise<LocalNode> {
  const instance = sim.instance(name);
  const netns = sim.dataPlane?.nodeNetns(instance.id);
  if (sim.dataPlane && !netns) throw new Error(`instance ${name} has no netns in the data plane`);
  await sim.dataPlane?.settled();
  const dir = mkdtempSync(join(tmpdir(), `vpcwire-${name}-`));
  const socket = join(dir, 'run', 'ipamd.sock');
  const releaseNotesDir = join(dir, 'release-notes');
  const logFile = join(dir, 'ipamd.log');
  const pluginLogFile = join(dir, 'plugin.log');
  mkdirSync(releaseNotesDir, { recursive: true, mode: 0o700 });
  const baseEnv: Record<string, string> = {
    ...ipamdEnv(sim, instance.id, { socket, checkpoint: join(dir, 'state', 'ipam.json'), releaseNotesDir, logFile }, netns ? { netns } : {}),
    VPCWIRE_INSTALL_CNI: 'false',
  };
  let child: ChildProcess | undefined;
  let stderr = '';
  /** Where the running ipamd's lines begin in its log (earlier starts wrote what is before). */
  let logFrom = 0;
  let client: IpamClient | undefined;

  const node: LocalNode = {
    name,
    instanceId: instance.id,
    netns,
    primaryIp: formatIpv4(sim.state.enis.get(instance.primaryEniId)!.primaryIp),
    dir,
    socket,
    releaseNotesDir,
    logFile,
    pluginLogFile,
    historyDir: join(dir, 'state', 'history'),
    async endpoints() {
      // Each start logs "<endpoint> listening" with the address; read only this start's lines.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const found = listening(logFile, logFrom);
        if (found.metrics && found.introspection) return { metrics: found.metrics, introspection: found.introspection };
        if (Date.now() > deadline) throw new Error(`ipamd of ${name} logged no metrics and introspection addresses in ${logFile}`);
        await sleep(50);
      }
    },
    get client(): IpamClient {
      if (!client) throw new Error(`ipamd of ${name} is not running`);
      return client;
    },
    pluginConfig: (cniVersion = '1.0.0', network = 'vpcwire') => ({
      cniVersion,
      name: network,
      type: 'vpcwire',
      socket: join(dir, 'run', 'plugin.sock'), // the plugin protocol's socket, next to ipamd.sock
      releaseNotesDir,
      vethPrefix: env.AWS_VPC_K8S_CNI_VETHPREFIX ?? 'eni',
      logFile: pluginLogFile,
    }),
    stderr: () => stderr,
    async startIpamd(extraEnv = {}) {
      stderr = '';
      logFrom = existsSync(logFile) ? statSync(logFile).size : 0;
      // Its own process group: a Ctrl-C at the terminal reaches the demo, which stops ipamd in order.
      const c = spawn(process.execPath, [IPAMD_MAIN], { env: { ...baseEnv, ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
      child = c;
      c.stderr!.on('data', (d) => (stderr += d));
      client?.close();
      client = undefined;
      const deadline = Date.now() + 30_000;
      // Dial only once the socket accepts: a gRPC channel that meets a refused socket backs off for seconds.
      while (!(await socketAccepts(socket))) {
        if (c.exitCode !== null) throw new Error(`ipamd of ${name} exited ${c.exitCode}: ${stderr}`);
        if (Date.now() > deadline) throw new Error(`ipamd of ${name} did not listen on ${socket}: ${stderr}`);
        await sleep(20);
      }
      const cl = connectIpam(socket, { deadlineMs: 5000 });
      client = cl;
      for (;;) {
        if (c.exitCode !== null) throw new Error(`ipamd of ${name} exited ${c.exitCode}: ${stderr}`);
        if ((await cl.checkHealth().catch(() => 'DOWN')) === 'SERVING') return;
        if (Date.now() > deadline) throw new Error(`ipamd of ${name} did not become SERVING: ${stderr}`);
        await sleep(50);
      }
    },
    async stopIpamd() {
      await signal('SIGTERM');
    },
    async killIpamd() {
      await signal('SIGKILL');
    },
    async stop() {
      await node.stopIpamd();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  async function signal(sig: NodeJS.Signals): Promise<void> {
    client?.close();
    client = undefined;
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = once(c, 'exit');
    c.kill(sig);
    const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  try {
    await node.startIpamd();
  } catch (err) {
    await node.stop();
    throw err;
  }
  return node;
}

/** The addresses ipamd last logged its metrics and introspection endpoints listening on. */
function listening(logFile: string, from: number): { metrics?: string; introspection?: string } {
  const found: { metrics?: string; introspection?: string } = {};
  let text: string;
  try {
    text = readFileSync(logFile).subarray(from).toString('utf8');
  } catch {
    return found;
  }
  for (const line of text.split('\n')) {
    if (!line.includes('endpoint listening')) continue;
    let l: { message?: string; address?: string };
    try {
      l = JSON.parse(line) as typeof l;
    } catch {
      continue; // a line still being written
    }
    if (l.message === 'metrics endpoint listening') found.metrics = l.address;
    if (l.message === 'introspection endpoint listening') found.introspection = l.address;
  }
  return found;
}

/** Whether something accepts connections on the unix socket now (false: absent, stale or refused). */
export function socketAccepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
