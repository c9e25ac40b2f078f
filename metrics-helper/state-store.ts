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
import { emptyLedgerState, type LedgerState } from './ledger.ts';
import type { Log } from './log.ts';
import { decodeState, encodeState } from './state-codec.ts';

export const STATE_KEY = 'baselines.json';
/** What the API server stores of one object (etcd's request limit): the ConfigMap, data and metadata, must stay under it. */
export const CONFIGMAP_LIMIT_BYTES = 1_048_576;
/** A warning from 75 % of it on: about 5,000 ipamd processes in version 2 (state-codec.ts). */
export const STATE_WARN_BYTES = Math.floor(0.75 * CONFIGMAP_LIMIT_BYTES);

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

export function configMapStateStore(core: CoreV1Api, namespace: string, name: string, o: { now?: () => number; log?: Log } = {}): StateStore {
  const now = o.now ?? Date.now;
  let resourceVersion: string | undefined;
  const where = `configmaps/${name} in ${namespace}`;
  return {
    async load() {
      try {
        const cm = await core.readNamespacedConfigMap({ name, namespace });
        resourceVersion = cm.metadata?.resourceVersion;
        return decodeState(cm.data?.[STATE_KEY], where, STATE_KEY);
      } catch (e) {
        if (statusOf(e) !== 404) throw new MetricsHelperError('METRICS_HELPER_KUBE', describeKubeError(`get ${where}`, e), { cause: e });
      }
      const state = emptyLedgerState(now());
      try {
        const cm = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name, labels: { 'app.kubernetes.io/name': 'vpcwire-metrics-helper' } }, data: { [STATE_KEY]: encodeState(state) } } });
        resourceVersion = cm.metadata?.resourceVersion;
        return state;
      } catch (e) {
        // Created by another publisher since our read: use theirs.
        if (statusOf(e) === 409) return this.load();
        throw new MetricsHelperError('METRICS_HELPER_KUBE', describeKubeError(`create ${where}`, e), { cause: e });
      }
    },
    async save(state) {
      const text = encodeState(state);
      const bytes = Buffer.byteLength(text);
      if (bytes > STATE_WARN_BYTES) {
        o.log?.('warn', 'the stored baselines near the ConfigMap size limit: past it the API server refuses them, and a restarted publisher would send again every period since the last one stored', {
          bytes, limit: CONFIGMAP_LIMIT_BYTES, processes: Object.keys(state.baselines).length, configMap: where,
        });
      }
      try {
        const cm = await core.replaceNamespacedConfigMap({
          name,
          namespace,
          body: { metadata: { name, namespace, resourceVersion, labels: { 'app.kubernetes.io/name': 'vpcwire-metrics-helper' } }, data: { [STATE_KEY]: text } },
        });
        resourceVersion = cm.metadata?.resourceVersion;
      } catch (e) {
        if (statusOf(e) === 409) throw new StateConflictError(`${where} was changed by someone else since it was read`, { cause: e });
        throw new MetricsHelperError('METRICS_HELPER_KUBE', describeKubeError(`update ${where}`, e), { cause: e });
      }
    },
  };
}
