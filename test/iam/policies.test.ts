import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  EXAMPLE,
  EKS_CNI_POLICY_ACTIONS,
  fullCniPolicy,
  irsaTrustPolicy,
  METRICS_NAMESPACE,
  metricsPolicy,
  podIdentityTrustPolicy,
  renderAll,
  scopedCniPolicy,
  toJson,
} from '../../iam/policies.ts';
import { DEFAULT_CLOUDWATCH_NAMESPACE } from '../../metrics-helper/catalog.ts';
import { ACTIONS } from '../../sim/ec2/actions/index.ts';
import { evaluate, type PolicyDocument as SimPolicy } from '../../sim/iam/evaluate.ts';

const IAM_DIR = new URL('../../iam/', import.meta.url);
const actionsOf = (doc: { Statement: readonly { Action: string | readonly string[] }[] }) =>
  new Set(doc.Statement.flatMap((s) => (typeof s.Action === 'string' ? [s.Action] : s.Action)));

describe('iam/ policies', () => {
  test('the checked-in iam/*.json are what iam/policies.ts renders for the example (node iam/render.ts --example)', () => {
    for (const [name, doc] of Object.entries(renderAll(EXAMPLE))) {
      assert.equal(readFileSync(new URL(name, IAM_DIR), 'utf8'), toJson(doc), `iam/${name} is stale`);
    }
  });

  test('every EC2 action ipamd calls is in the full policy and in the scoped one', () => {
    const adapter = readFileSync(new URL('../../ipamd/aws/ec2-adapter.ts', import.meta.url), 'utf8');
    const called = new Set([...adapter.matchAll(/new (\w+)Command\(/g)].map((m) => `ec2:${m[1]}`));
    assert.ok(called.size >= 8, `found ${[...called].join(', ')}`);
    const full = actionsOf(fullCniPolicy(EXAMPLE));
    const scoped = actionsOf(scopedCniPolicy(EXAMPLE));
    for (const a of called) {
      assert.ok(full.has(a), `${a} missing from the full policy`);
      assert.ok(scoped.has(a), `${a} missing from the scoped policy`);
    }
    // ...and the scoped policy grants nothing the managed one does not.
    for (const a of scoped) assert.ok(full.has(a), `${a} is not in AmazonEKS_CNI_Policy`);
  });

  test('the full policy is AmazonEKS_CNI_Policy v6: its actions, and only actions the emulator implements', () => {
    assert.equal(EKS_CNI_POLICY_ACTIONS.length, 13);
    assert.ok(EKS_CNI_POLICY_ACTIONS.includes('ec2:DescribeSecurityGroups'));
    for (const a of actionsOf(fullCniPolicy(EXAMPLE))) assert.ok(ACTIONS.has(a.slice(4)), `${a} is not emulated`);
  });

  test('the metrics policy allows PutMetricData into its namespace only (checked with the emulator\'s evaluator)', () => {
    // The default is upstream's namespace, the publisher's default (metrics-helper/catalog.ts).
    assert.equal(METRICS_NAMESPACE, DEFAULT_CLOUDWATCH_NAMESPACE);
    assert.equal(METRICS_NAMESPACE, 'Kubernetes');
    for (const namespace of [METRICS_NAMESPACE, 'Custom/Net']) {
      const policy = metricsPolicy({ namespace });
      const doc = policy as unknown as SimPolicy;
      const put = (ns: string | undefined) =>
        evaluate([doc], { action: 'cloudwatch:PutMetricData', resource: '*', context: ns === undefined ? {} : { 'cloudwatch:namespace': ns } }).decision;
      assert.equal(put(namespace), 'allow');
      assert.equal(put(namespace === 'Kubernetes' ? 'Custom/Net' : 'Kubernetes'), 'implicit-deny');
      assert.equal(put('AWS/EC2'), 'implicit-deny');
      assert.equal(put(undefined), 'implicit-deny');
      for (const action of ['cloudwatch:GetMetricData', 'cloudwatch:ListMetrics', 'cloudwatch:PutMetricAlarm']) {
        assert.equal(evaluate([doc], { action, resource: '*', context: { 'cloudwatch:namespace': namespace } }).decision, 'implicit-deny', action);
      }
      assert.deepEqual([...actionsOf(policy)], ['cloudwatch:PutMetricData']);
    }
    // render.ts scopes the rendered document to --metrics-namespace.
    assert.deepEqual(renderAll({ ...EXAMPLE, metricsNamespace: 'Custom/Net' })['metrics-policy.json']!.Statement[0]!.Condition, { StringEquals: { 'cloudwatch:namespace': 'Custom/Net' } });
  });

  test('trust policies: IRSA for one service account with the STS audience; Pod Identity for pods.eks.amazonaws.com', () => {
    const irsa = irsaTrustPolicy({ partition: 'aws', accountId: EXAMPLE.accountId, oidcIssuer: EXAMPLE.oidcIssuer, serviceAccount: 'vpcwire' });
    assert.equal(irsa.Statement[0]!.Action, 'sts:AssumeRoleWithWebIdentity');
    const pod = podIdentityTrustPolicy();
    assert.deepEqual(pod.Statement[0]!.Principal, { Service: 'pods.eks.amazonaws.com' });
    assert.deepEqual(pod.Statement[0]!.Action, ['sts:AssumeRole', 'sts:TagSession']);
  });

  test('renders for another partition, account, Region, cluster and VPC', () => {
    const s = { partition: 'aws-cn', accountId: '444455556666', region: 'cn-north-1', clusterName: 'prod', vpcId: 'vpc-0aaa' };
    const text = JSON.stringify(scopedCniPolicy(s));
    assert.match(text, /arn:aws-cn:ec2:cn-north-1:444455556666:vpc\/vpc-0aaa/);
    assert.match(text, /"aws:ResourceTag\/cluster.k8s.amazonaws.com\/name":"prod"/);
    assert.doesNotMatch(text, /111122223333|us-west-2|my-cluster/);
    const trust = irsaTrustPolicy({ partition: 'aws-cn', accountId: '444455556666', oidcIssuer: 'https://oidc.example/id/X/', serviceAccount: 'vpcwire' });
    assert.deepEqual(trust.Statement[0]!.Principal, { Federated: 'arn:aws-cn:iam::444455556666:oidc-provider/oidc.example/id/X' });
    assert.deepEqual(trust.Statement[0]!.Condition, {
      StringEquals: { 'oidc.example/id/X:sub': 'system:serviceaccount:kube-system:vpcwire', 'oidc.example/id/X:aud': 'sts.amazonaws.com' },
    });
  });
});
