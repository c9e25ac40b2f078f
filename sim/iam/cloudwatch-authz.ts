import type { AuthorizationRequest } from './evaluate.ts';

/**
 * What IAM evaluates for the emulated CloudWatch actions, after the Service Authorization Reference
 * for Amazon CloudWatch ("Actions, resources, and condition keys for Amazon CloudWatch"):
 * PutMetricData, GetMetricData and ListMetrics support no resource-level permissions (Resource `*`);
 * PutMetricData carries the condition key `cloudwatch:namespace`, so a policy can confine a
 * publisher to its namespace (the metrics helper's scoped policy: `Kubernetes`).
 */
export function cloudwatchAuthorizationRequest(
  region: string,
  action: string,
  input: Readonly<Record<string, unknown>>,
): AuthorizationRequest {
  const namespace = input.Namespace;
  return {
    action: `cloudwatch:${action}`,
    resource: '*',
    context: {
      'aws:RequestedRegion': region,
      ...(action === 'PutMetricData' && typeof namespace === 'string' ? { 'cloudwatch:namespace': namespace } : {}),
    },
  };
}
