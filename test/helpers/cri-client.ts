/**
 * A CRI RuntimeService client (runtime.v1 subset in ./cri/api.proto) that drives containerd's CRI
 * plugin the way kubelet does for a pod sandbox (DESIGN.md §7): RunPodSandbox with the pod's
 * metadata, hostname, log directory and a POD network namespace, so containerd runs the CNI plugins
 * of its conf dir with K8S_POD_* in CNI_ARGS, exactly as on a node.
 */
import { randomUUID } from 'node:crypto';
import { credentials, loadPackageDefinition, type Client, type ServiceClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const PROTO = new URL('./cri/api.proto', import.meta.url).pathname;

export interface PodRef {
  readonly name: string;
  readonly namespace: string;
  /** Default: a fresh UUID, as the API server assigns. */
  readonly uid?: string;
  readonly attempt?: number;
}

export interface SandboxStatus {
  readonly id: string;
  readonly state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  /** The pod IP the CNI result gave containerd ('' when none). */
  readonly ip: string;
  readonly additionalIps: string[];
  /** The sandbox's network namespace path (from the verbose info's runtimeSpec), '' if not found. */
  readonly netnsPath: string;
  /** The verbose info, parsed ("info" key of containerd's answer). */
  readonly info: Record<string, unknown>;
}

export interface SandboxSummary {
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  /** The pod UID of the sandbox's metadata. */
  readonly uid: string;
  readonly state: string;
}

export interface CriClient {
  version(): Promise<{ runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }>;
  /** containerd's runtime conditions: RuntimeReady, NetworkReady. */
  conditions(): Promise<Record<string, { status: boolean; reason: string; message: string }>>;
  runPodSandbox(pod: PodRef, opts?: { timeoutMs?: number; logDirectory?: string }): Promise<string>;
  podSandboxStatus(id: string): Promise<SandboxStatus>;
  stopPodSandbox(id: string): Promise<void>;
  removePodSandbox(id: string): Promise<void>;
  listPodSandbox(): Promise<SandboxSummary[]>;
  close(): void;
}

export class CriCallError extends Error {
  readonly method: string;
  readonly grpcCode: number;
  readonly details: string;
  constructor(method: string, err: ServiceError) {
    super(`CRI ${method} failed: ${err.details || err.message} (gRPC code ${err.code})`);
    this.name = 'CriCallError';
    this.method = method;
    this.grpcCode = err.code;
    this.details = err.details;
  }
}

let ctor: ServiceClientConstructor | undefined;
function runtimeServiceCtor(): ServiceClientConstructor {
  if (!ctor) {
    const root = loadPackageDefinition(loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true }));
    ctor = (root.runtime as Record<string, Record<string, unknown>>).v1!.RuntimeService as ServiceClientConstructor;
  }
  return ctor;
}

type Unary = (req: unknown, opts: { deadline: Date }, cb: (err: ServiceError | null, reply: unknown) => void) => void;

/** Finds the network namespace path in containerd's verbose sandbox info (runtimeSpec.linux.namespaces). */
function netnsFromInfo(info: Record<string, unknown>): string {
  const spec = info.runtimeSpec as { linux?: { namespaces?: { type: string; path?: string }[] } } | undefined;
  return spec?.linux?.namespaces?.find((n) => n.type === 'network')?.path ?? '';
}

export function connectCri(socketPath: string, defaultTimeoutMs = 30_000): CriClient {
  const Ctor = runtimeServiceCtor();
  const client = new Ctor(`unix:${socketPath}`, credentials.createInsecure()) as Client & Record<string, Unary>;
  const call = <T>(method: string, req: unknown, timeoutMs = defaultTimeoutMs): Promise<T> =>
    new Promise((resolve, reject) => {
      client[method]!.call(client, req, { deadline: new Date(Date.now() + timeoutMs) }, (err, reply) =>
        err ? reject(new CriCallError(method, err)) : resolve(reply as T),
      );
    });

  return {
    async version() {
      const r = await call<{ runtime_name: string; runtime_version: string; runtime_api_version: string }>('Version', {
        version: 'v1',
      });
      return { runtimeName: r.runtime_name, runtimeVersion: r.runtime_version, runtimeApiVersion: r.runtime_api_version };
    },

    async conditions() {
      const r = await call<{ status: { conditions: { type: string; status: boolean; reason: string; message: string }[] } }>(
        'Status',
        { verbose: false },
      );
      return Object.fromEntries(r.status.conditions.map((c) => [c.type, { status: c.status, reason: c.reason, message: c.message }]));
    },

    async runPodSandbox(pod, opts = {}) {
      const uid = pod.uid ?? randomUUID();
      // What kubelet's kuberuntime sends for an ordinary pod (generatePodSandboxConfig).
      const config = {
        metadata: { name: pod.name, uid, namespace: pod.namespace, attempt: pod.attempt ?? 0 },
        hostname: pod.name,
        log_directory: opts.logDirectory ?? `/var/log/pods/${pod.namespace}_${pod.name}_${uid}`,
        labels: { 'io.kubernetes.pod.name': pod.name, 'io.kubernetes.pod.namespace': pod.namespace, 'io.kubernetes.pod.uid': uid },
        linux: { security_context: { namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
      };
      const r = await call<{ pod_sandbox_id: string }>('RunPodSandbox', { config, runtime_handler: '' }, opts.timeoutMs);
      return r.pod_sandbox_id;
    },

    async podSandboxStatus(id) {
      const r = await call<{
        status: { id: string; state: SandboxStatus['state']; network: { ip: string; additional_ips: { ip: string }[] } | null };
        info: Record<string, string>;
      }>('PodSandboxStatus', { pod_sandbox_id: id, verbose: true });
      const info = r.info.info ? (JSON.parse(r.info.info) as Record<string, unknown>) : {};
      return {
        id: r.status.id,
        state: r.status.state,
        ip: r.status.network?.ip ?? '',
        additionalIps: (r.status.network?.additional_ips ?? []).map((p) => p.ip),
        netnsPath: netnsFromInfo(info),
        info,
      };
    },

    async stopPodSandbox(id) {
      await call('StopPodSandbox', { pod_sandbox_id: id });
    },

    async removePodSandbox(id) {
      await call('RemovePodSandbox', { pod_sandbox_id: id });
    },

    async listPodSandbox() {
      const r = await call<{ items: { id: string; metadata: { name: string; namespace: string; uid: string }; state: string }[] }>(
        'ListPodSandbox',
        {},
      );
      return r.items.map((s) => ({ id: s.id, name: s.metadata.name, namespace: s.metadata.namespace, uid: s.metadata.uid, state: s.state }));
    },

    close() {
      client.close();
    },
  };
}
