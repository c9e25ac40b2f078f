/**
 * The CDK side of vpcwire's IAM documents, whose one home is iam/policies.ts: the app attaches
 * exactly what `node iam/render.ts` renders for an operator and what the emulator enforces in the
 * tests. This file only adapts: the stack's scope (partition, Region, account and VPC are
 * CloudFormation tokens, resolved at deploy) becomes iam's ClusterScope, and a document becomes an
 * iam.PolicyDocument or a role's principal. Tokens may sit in a document's values (CloudFormation
 * joins them into the string); a token in a key needs a CfnJson (CloudFormation cannot compute a
 * key). iam's ipamd and metrics documents have none, so toCdkDocument refuses one rather than emit a
 * broken policy; the IRSA trust has the cluster's issuer in its condition keys, so irsaPrincipal
 * puts those conditions through a CfnJson.
 */
import { CfnJson, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { irsaTrustPolicy, METRICS_NAMESPACE, metricsPolicy, scopedCniPolicy, type ClusterScope, type PolicyDocument } from '../iam/policies.ts';

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

export interface IrsaPrincipalOptions {
  readonly partition: string;
  readonly accountId: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/**
 * iam's irsaTrustPolicy for one service account, as the principal of the role that carries it: the
 * cluster's OIDC provider (`provider`, whose issuer is a token) may assume the role with that
 * service account's tokens only. The role must depend on the provider (the ARN here is built, not
 * referenced): the caller adds that.
 */
export function irsaPrincipal(scope: Construct, id: string, provider: iam.IOpenIdConnectProvider, o: IrsaPrincipalOptions): iam.IPrincipal {
  const doc = irsaTrustPolicy({ partition: o.partition, accountId: o.accountId, oidcIssuer: provider.openIdConnectProviderIssuer, namespace: o.namespace, serviceAccount: o.serviceAccount });
  const [s, ...more] = doc.Statement;
  const federated = s?.Principal?.Federated;
  if (!s || more.length > 0 || s.Effect !== 'Allow' || typeof federated !== 'string' || typeof s.Action !== 'string') {
    throw new Error('irsaTrustPolicy: expected one Allow statement with one Federated principal and one action');
  }
  const conditions = Object.fromEntries(
    Object.entries(s.Condition ?? {}).map(([op, byKey]) => [op, Object.keys(byKey).some((k) => Token.isUnresolved(k)) ? new CfnJson(scope, `${id}${op}`, { value: byKey }) : byKey]),
  );
  return new iam.FederatedPrincipal(federated, conditions, s.Action);
}
