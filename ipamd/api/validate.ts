/**
 * Input validation for the allocation API: every problem becomes INVALID_ARGUMENT with a message
 * naming the field as the .proto spells it. The rules are the CNI input contract the plugin checks
 * too (contract/cni-input.ts: CNI spec 1.1 "Parameters" and "Configuration format", the kernel's
 * interface names), so ipamd never keys its ledger on something a runtime could not have sent, and
 * the plugin never sends what ipamd would refuse.
 */
import {
  containerIdProblem,
  ifNameProblem,
  netnsProblem,
  networkNameProblem,
  podArgProblem,
  podInfraContainerIdProblem,
  type Problem,
  reasonProblem,
} from '../../contract/cni-input.ts';
import { ApiStatusError } from './errors.ts';

/** The rules live in contract/cni-input.ts, where the CNI plugin reads them too (issue 9 item 4). */
const RULES: Record<string, (value: string) => Problem> = {
  network_name: networkNameProblem,
  container_id: containerIdProblem,
  if_name: ifNameProblem,
  netns: netnsProblem,
  k8s_pod_namespace: podArgProblem,
  k8s_pod_name: podArgProblem,
  k8s_pod_uid: podArgProblem,
  k8s_pod_infra_container_id: podInfraContainerIdProblem,
  reason: reasonProblem,
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
      if (required.includes(name)) throw new ApiStatusError('IPAMD_API_INVALID_ARGUMENT', `${name} is required`);
      continue;
    }
    const problem = RULES[name]?.(value);
    if (problem !== undefined) throw new ApiStatusError('IPAMD_API_INVALID_ARGUMENT', `${name} ${problem}`);
  }
}

export const ADD_REQUIRED = ['network_name', 'container_id', 'if_name', 'netns'] as const;
export const ADD_OPTIONAL = ['k8s_pod_namespace', 'k8s_pod_name', 'k8s_pod_uid', 'k8s_pod_infra_container_id'] as const;
export const DEL_REQUIRED = ['network_name', 'container_id', 'if_name'] as const;
export const DEL_OPTIONAL = ['reason', 'k8s_pod_namespace', 'k8s_pod_name'] as const;
