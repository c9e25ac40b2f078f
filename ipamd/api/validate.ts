/**
 * Input validation for the allocation API: every problem becomes INVALID_ARGUMENT with a message
 * naming the field as the .proto spells it. Rules follow the CNI spec 1.1 (SPEC.md "Parameters":
 * container ID, interface name; "Configuration format": network name) so ipamd never keys its
 * ledger on something a runtime could not have sent.
 */
import { status } from '@grpc/grpc-js';
import { RpcFailure } from './status-map.ts';

type Rule = (value: string) => string | undefined;

const shown = (value: string): string => JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);

const maxLength =
  (n: number): Rule =>
  (v) =>
    v.length > n ? `is ${v.length} characters long, at most ${n} allowed` : undefined;

const pattern =
  (re: RegExp, what: string): Rule =>
  (v) =>
    re.test(v) ? undefined : `${shown(v)} is invalid: ${what}`;

// No control characters anywhere: these strings end up in logs, the checkpoint and rule comments.
// eslint-disable-next-line no-control-regex
const printable: Rule = (v) => (/[\u0000-\u001f\u007f]/.test(v) ? `${shown(v)} contains control characters` : undefined);

const ifName: Rule = (v) => {
  if (Buffer.byteLength(v) > 15) return `${shown(v)} is invalid: at most 15 bytes (IFNAMSIZ)`;
  if (v === '.' || v === '..' || /[/:\s]/.test(v)) return `${shown(v)} is invalid: not "." or "..", no "/", ":" or whitespace`;
  return undefined;
};

const RULES: Record<string, readonly Rule[]> = {
  network_name: [maxLength(253), pattern(/^[A-Za-z0-9_.-]+$/, 'only letters, digits, "_", "." and "-" (CNI network name)')],
  container_id: [
    maxLength(256),
    pattern(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a letter or digit, then letters, digits, "_", "." and "-" (CNI container ID)'),
  ],
  if_name: [ifName],
  netns: [maxLength(4096), printable, pattern(/^\//, 'must be an absolute path')],
  k8s_pod_namespace: [maxLength(253), printable],
  k8s_pod_name: [maxLength(253), printable],
  k8s_pod_uid: [maxLength(253), printable],
  k8s_pod_infra_container_id: [maxLength(256), printable],
  reason: [maxLength(256), printable],
};

/**
 * Throws INVALID_ARGUMENT for the first field that is required and empty, or present and
 * malformed. `required` lists the fields that must be non-empty; other listed fields may be empty.
 */
export function checkFields(msg: object, required: readonly string[], optional: readonly string[] = []): void {
  const fields = msg as Record<string, unknown>;
  for (const name of [...required, ...optional]) {
    const raw = fields[name];
    const value = typeof raw === 'string' ? raw : '';
    if (value === '') {
      if (required.includes(name)) throw new RpcFailure(status.INVALID_ARGUMENT, `${name} is required`);
      continue;
    }
    for (const rule of RULES[name] ?? []) {
      const problem = rule(value);
      if (problem !== undefined) throw new RpcFailure(status.INVALID_ARGUMENT, `${name} ${problem}`);
    }
  }
}

export const ADD_REQUIRED = ['network_name', 'container_id', 'if_name', 'netns'] as const;
export const ADD_OPTIONAL = ['k8s_pod_namespace', 'k8s_pod_name', 'k8s_pod_uid', 'k8s_pod_infra_container_id'] as const;
export const DEL_REQUIRED = ['network_name', 'container_id', 'if_name'] as const;
export const DEL_OPTIONAL = ['reason', 'k8s_pod_namespace', 'k8s_pod_name'] as const;
