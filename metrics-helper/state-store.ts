/**
 * The last published baselines, kept in a ConfigMap in the publisher's namespace (the chart's Role
 * grants get/update on that one name, create in the namespace), so a new publisher process, on
 * any node, continues the counters' deltas where the previous one stopped (ledger.ts).
 *
 * Writes carry the resourceVersion read: if another publisher wrote in between (two replicas
 * during a rollout, although the chart's Deployment uses Recreate), the write fails with a
 * conflict instead of silently replacing the other's baselines, and this one reloads.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import { MetricsHelperError } from './errors.ts';
import { describeKubeError, statusOf } from './kube.ts';
import { type Baseline, emptyLedgerState, type LedgerState } from './ledger.ts';

export const STATE_KEY = 'baselines.json';
const STATE_VERSION = 1;

/** Someone else wrote the ConfigMap since it was read. */
export class StateConflictError extends MetricsHelperError {
  constructor(message: string, opts?: ErrorOptions) {
    super('METRICS_HELPER_STATE_CONFLICT', message, opts);
  }
}

export interface StateStore {
  /** The stored state, creating it (epoch = now) when absent. */
  load(): Promise<LedgerState>;
  save(state: LedgerState): Promise<void>;
}

export function configMapStateStore(core: CoreV1Api, namespace: string, name: string, now: () => number = Date.now): StateStore {
  let resourceVersion: string | undefined;
  const where = `configmaps/${name} in ${namespace}`;
  return {
    async load() {
      try {
        const cm = await core.readNamespacedConfigMap({ name, namespace });
        resourceVersion = cm.metadata?.resourceVersion;
        return decode(cm.data?.[STATE_KEY], where);
      } catch (e) {
        if (statusOf(e) !== 404) throw new MetricsHelperError('METRICS_HELPER_KUBE', describeKubeError(`get ${where}`, e), { cause: e });
      }
      const state = emptyLedgerState(now());
      try {
        const cm = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name, labels: { 'app.kubernetes.io/name': 'vpcwire-metrics-helper' } }, data: { [STATE_KEY]: JSON.stringify({ version: STATE_VERSION, ...state }) } } });
        resourceVersion = cm.metadata?.resourceVersion;
        return state;
      } catch (e) {
        // Created by another publisher since our read: use theirs.
        if (statusOf(e) === 409) return this.load();
        throw new MetricsHelperError('METRICS_HELPER_KUBE', describeKubeError(`create ${where}`, e), { cause: e });
      }
    },
    async save(state) {
      try {
        const cm = await core.replaceNamespacedConfigMap({
          name,
          namespace,
          body: { metadata: { name, namespace, resourceVersion, labels: { 'app.kubernetes.io/name': 'vpcwire-metrics-helper' } }, data: { [STATE_KEY]: JSON.stringify({ version: STATE_VERSION, ...state }) } },
        });
        resourceVersion = cm.metadata?.resourceVersion;
      } catch (e) {
        if (statusOf(e) === 409) throw new StateConflictError(`${where} was changed by someone else since it was read`, { cause: e });
        throw new MetricsHelperError('METRICS_HELPER_KUBE', describeKubeError(`update ${where}`, e), { cause: e });
      }
    },
  };
}

/** Parses stored state; anything unreadable is an error (starting over would double-count). */
export function decode(raw: string | undefined, where: string): LedgerState {
  if (raw === undefined) throw new MetricsHelperError('METRICS_HELPER_STATE_INVALID', `${where} has no ${STATE_KEY}`);
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new MetricsHelperError('METRICS_HELPER_STATE_INVALID', `${where}: ${STATE_KEY} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  const s = v as { version?: unknown; epoch?: unknown; baselines?: Record<string, Baseline> | null } | null;
  if (!s || s.version !== STATE_VERSION || typeof s.epoch !== 'number' || typeof s.baselines !== 'object' || s.baselines === null) {
    throw new MetricsHelperError('METRICS_HELPER_STATE_INVALID', `${where}: ${STATE_KEY} is not version ${STATE_VERSION} baselines (delete the ConfigMap to start counting afresh)`);
  }
  // Written with each process's node too, which a reading brings now.
  return { epoch: s.epoch, baselines: Object.fromEntries(Object.entries(s.baselines).map(([id, b]) => [id, { pod: b.pod, values: b.values }])) };
}
