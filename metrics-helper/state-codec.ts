/**
 * The stored form of the ledger's baselines (state-store.ts writes it into one ConfigMap key).
 *
 * Version 2, compact: the counter keys once, then per ipamd process its pod and its values in that
 * order (null where absent, trailing nulls left out):
 *   {"version":2,"epoch":E,"keys":["awsAPILatency.sum",...],"baselines":{"<uid>@<start>":["kube-system/vpcwire-x",3,0,...]}}
 * about 150 bytes per process where version 1 (an object per process, with its node name and
 * every key spelt out) took about 380. Version 1 is still read, so an upgraded publisher continues
 * from its predecessor's baselines; it writes version 2. Keys are named rather than implied by
 * position, so a publisher with a different catalog maps them by name.
 */
import { COUNTER_KEYS } from './exposition.ts';
import { MetricsHelperError } from './errors.ts';
import type { Baseline, LedgerState } from './ledger.ts';

export const STATE_VERSION = 2;

type Row = [pod: string, ...values: (number | null)[]];

export function encodeState(state: LedgerState): string {
  const baselines: Record<string, Row> = {};
  for (const [id, b] of Object.entries(state.baselines)) {
    const values = COUNTER_KEYS.map((k) => b.values[k] ?? null);
    while (values.length && values.at(-1) === null) values.pop();
    baselines[id] = [b.pod, ...values];
  }
  return JSON.stringify({ version: STATE_VERSION, epoch: state.epoch, keys: COUNTER_KEYS, baselines });
}

/** Parses stored state (version 1 or 2); anything unreadable is an error (starting over would double-count). */
export function decodeState(raw: string | undefined, where: string, key: string): LedgerState {
  const invalid = (why: string, cause?: unknown) =>
    new MetricsHelperError('METRICS_HELPER_STATE_INVALID', `${where}: ${key} ${why} (delete the ConfigMap to start counting afresh)`, cause === undefined ? undefined : { cause });
  if (raw === undefined) throw new MetricsHelperError('METRICS_HELPER_STATE_INVALID', `${where} has no ${key}`);
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw invalid(`is not JSON: ${(e as Error).message}`, e);
  }
  const s = v as { version?: unknown; epoch?: unknown; keys?: unknown; baselines?: unknown } | null;
  if (!s || typeof s.epoch !== 'number' || typeof s.baselines !== 'object' || s.baselines === null) throw invalid('is not stored baselines');
  if (s.version === 1) {
    // { "<id>": { pod, node, values } }: the node is not kept any more (a reading brings it).
    const baselines: Record<string, Baseline> = {};
    for (const [id, b] of Object.entries(s.baselines as Record<string, { pod?: unknown; values?: unknown }>)) {
      if (typeof b?.pod !== 'string' || typeof b.values !== 'object' || b.values === null) throw invalid(`has a bad version 1 entry for ${id}`);
      baselines[id] = { pod: b.pod, values: b.values as Record<string, number> };
    }
    return { epoch: s.epoch, baselines };
  }
  if (s.version !== STATE_VERSION || !Array.isArray(s.keys) || !s.keys.every((k) => typeof k === 'string')) throw invalid(`is not version 1 or ${STATE_VERSION} baselines`);
  const keys = s.keys as string[];
  const baselines: Record<string, Baseline> = {};
  for (const [id, row] of Object.entries(s.baselines as Record<string, unknown>)) {
    if (!Array.isArray(row) || typeof row[0] !== 'string' || row.length > keys.length + 1) throw invalid(`has a bad entry for ${id}`);
    const values: Record<string, number> = {};
    for (let i = 1; i < row.length; i++) {
      const x: unknown = row[i];
      if (x === null) continue;
      if (typeof x !== 'number' || !Number.isFinite(x)) throw invalid(`has a bad value for ${id}`);
      values[keys[i - 1]!] = x;
    }
    baselines[id] = { pod: row[0], values };
  }
  return { epoch: s.epoch, baselines };
}
