/**
 * Execs the CNI plugin as a container runtime does (CNI spec §Section 2): inside the node's
 * network namespace, with only the CNI_* variables and a sparse PATH in its environment, the
 * network configuration on stdin, the result or error as JSON on stdout. Used by the demo and by
 * the tests that drive the real plugin binary.
 */
import { spawn } from 'node:child_process';

export interface PluginCall {
  /** The plugin executable (build/cni/vpcwire). */
  readonly plugin: string;
  /** The node netns name (under /run/netns) the runtime runs in; undefined: this process's netns. */
  readonly nodeNetns?: string;
  readonly command: 'ADD' | 'DEL' | 'CHECK' | 'GC' | 'STATUS' | 'VERSION' | '';
  readonly containerId?: string;
  readonly netns?: string;
  readonly ifName?: string;
  /** CNI_ARGS, e.g. from podArgs(). */
  readonly args?: string;
  readonly config: Record<string, unknown> | string;
  /** Extra or overriding environment (tests use it to drop a required variable). */
  readonly env?: Record<string, string | undefined>;
  /** Kill the plugin after this long (the answer then has `timedOut`); default: wait. */
  readonly timeoutMs?: number;
}

export interface PluginRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed, when it is JSON. */
  readonly json: Record<string, unknown> | undefined;
  /** Wall time from spawn to exit. */
  readonly ms: number;
  /** It did not exit within `timeoutMs` and was killed. */
  readonly timedOut?: boolean;
}

/** CNI_ARGS as kubelet's runtimes pass them. */
export const podArgs = (pod: { namespace: string; name: string; uid?: string }, containerId: string): string =>
  `IgnoreUnknown=1;K8S_POD_NAMESPACE=${pod.namespace};K8S_POD_NAME=${pod.name};K8S_POD_INFRA_CONTAINER_ID=${containerId}` +
  (pod.uid ? `;K8S_POD_UID=${pod.uid}` : '');

export function execPlugin(c: PluginCall): Promise<PluginRun> {
  const env: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', CNI_PATH: '/opt/cni/bin' };
  if (c.command) env.CNI_COMMAND = c.command;
  if (c.containerId !== undefined) env.CNI_CONTAINERID = c.containerId;
  if (c.netns !== undefined) env.CNI_NETNS = c.netns;
  if (c.ifName !== undefined) env.CNI_IFNAME = c.ifName;
  if (c.args !== undefined) env.CNI_ARGS = c.args;
  for (const [k, v] of Object.entries(c.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const [file, argv] = c.nodeNetns ? ['nsenter', [`--net=/run/netns/${c.nodeNetns}`, c.plugin]] : [c.plugin, []];
  const input = typeof c.config === 'string' ? c.config : JSON.stringify(c.config);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, argv, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let timedOut = false;
    const timer = c.timeoutMs === undefined ? undefined : setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), c.timeoutMs);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      const stdout = Buffer.concat(out).toString();
      let json: Record<string, unknown> | undefined;
      try {
        json = stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ exitCode: code ?? -1, stdout, stderr: Buffer.concat(err).toString(), json, ms, ...(timedOut ? { timedOut } : {}) });
    });
    child.stdin.on('error', () => {}); // VERSION may exit before reading stdin
    child.stdin.end(input);
  });
}
