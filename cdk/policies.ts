/**
 * The CDK side of vpcwire's IAM documents, whose one home is iam/policies.ts: the app attaches
 * exactly what `node iam/render.ts` renders for an operator and what the emulator enforces in the
 * tests. This file only adapts: the stack's scope (partition, Region, account and VPC are
 * CloudFormation tokens, resolved at deploy) becomes iam's ClusterScope, and a document becomes an
 * iam.PolicyDocument. Tokens may sit in a document's values (CloudFormation joins them into the
 * string); a token in a key (a condition key, say) would need a CfnJson, and iam's ipamd and
 * metrics documents have none, so toCdkDocument refuses one rather than emit a broken policy.
 */
import { Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { METRICS_NAMESPACE, metricsPolicy, scopedCniPolicy, type ClusterScope, type PolicyDocument } from '../iam/policies.ts';

/** ipamd's EC2 policy for the cluster: iam's scoped policy (needs CLUSTER_NAME and the tagged primary ENI). */
export const ipamdPolicy = (scope: ClusterScope): PolicyDocument => scopedCniPolicy(scope);

/** The metrics publisher's policy: PutMetricData into METRICS_NAMESPACE only. */
export const metricsPublisherPolicy = (): PolicyDocument => metricsPolicy({ namespace: METRICS_NAMESPACE });

/** `doc` as a CDK policy document; throws naming the key if a key is a token. */
export function toCdkDocument(doc: PolicyDocument): iam.PolicyDocument {
  for (const s of doc.Statement) {
    for (const [op, byKey] of Object.entries(s.Condition ?? {})) {
      for (const key of Object.keys(byKey)) {
        if (Token.isUnresolved(key)) throw new Error(`policy statement ${s.Sid ?? '(no Sid)'}: condition ${op} has a token for a key (${key}): it needs a CfnJson`);
      }
    }
  }
  return iam.PolicyDocument.fromJson(doc);
}
