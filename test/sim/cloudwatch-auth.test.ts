import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GetMetricDataCommand, ListMetricsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type Emulator, startEmulator } from '../../sim/emulator.ts';
import { cloudwatchAuthorizationRequest } from '../../sim/iam/cloudwatch-authz.ts';
import { evaluate, type PolicyDocument } from '../../sim/iam/evaluate.ts';
import { cloudwatchClient, failureOf } from '../helpers/cloudwatch.ts';

const put = (Namespace: string) => new PutMetricDataCommand({ Namespace, MetricData: [{ MetricName: 'addReqCount', Value: 1, Unit: 'Count' }] });

describe('CloudWatch SigV4: only credentials the emulator issued, signed for monitoring', () => {
  let sim: Emulator;
  before(async () => {
    sim = await startEmulator({ profile: 'instant' });
  });
  after(() => sim.stop());

  test('an unknown access key is InvalidClientTokenId (403) and stores nothing', async () => {
    const cw = cloudwatchClient(sim, { credentials: { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x'.repeat(40) } });
    const f = await failureOf(cw.send(put('Kubernetes')));
    cw.destroy();
    assert.deepEqual({ name: f.name, status: f.status }, { name: 'InvalidClientTokenId', status: 403 });
    assert.match(f.message, /security token included in the request is invalid/);
    assert.equal(sim.cloudwatch.datapointCount, 0);
  });

  test('a known key with the wrong secret is SignatureDoesNotMatch (403)', async () => {
    const cw = cloudwatchClient(sim, { credentials: { accessKeyId: sim.credentials.accessKeyId, secretAccessKey: 'wrong' } });
    const f = await failureOf(cw.send(new ListMetricsCommand({})));
    cw.destroy();
    assert.deepEqual({ name: f.name, status: f.status }, { name: 'SignatureDoesNotMatch', status: 403 });
  });

  test("a request signed for another service's scope is refused", async () => {
    const cw = cloudwatchClient(sim);
    // Sign for ec2 instead: the SDK takes the signing name from the client configuration.
    (cw.config as unknown as { signingName?: string }).signingName = 'ec2';
    const f = await failureOf(cw.send(new ListMetricsCommand({})));
    cw.destroy();
    assert.equal(f.status, 403);
    assert.match(f.message, /scoped to correct service: 'monitoring'/);
  });

  test("a request signed for another region's scope is SignatureDoesNotMatch (403), naming that region, and stores nothing", async () => {
    const cw = cloudwatchClient(sim, { config: { region: 'eu-west-1' } });
    const f = await failureOf(cw.send(put('Kubernetes')));
    cw.destroy();
    assert.deepEqual(
      { name: f.name, code: f.code, status: f.status, type: f.type },
      { name: 'SignatureDoesNotMatch', code: 'SignatureDoesNotMatch', status: 403, type: 'com.amazon.coral.service#InvalidSignatureException' },
    );
    assert.match(f.message, /^Credential should be scoped to a valid region, not 'eu-west-1'\./);
    assert.equal(sim.cloudwatch.datapointCount, 0);
  });

  test('session credentials from STS (IRSA) are accepted', async () => {
    const sts = new STSClient({ endpoint: sim.endpoints.sts, region: sim.region });
    const token = sim.oidc.issueServiceAccountToken({ namespace: 'kube-system', serviceAccount: 'vpcwire' });
    const c = (await sts.send(new AssumeRoleWithWebIdentityCommand({
      RoleArn: `arn:aws:iam::${sim.accountId}:role/vpcwire-node`, RoleSessionName: 'helper', WebIdentityToken: token,
    }))).Credentials!;
    sts.destroy();
    const cw = cloudwatchClient(sim, { credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! } });
    await cw.send(put('Kubernetes'));
    cw.destroy();
    assert.equal(sim.cloudwatch.datapointCount, 1);
  });
});

describe('CloudWatch IAM: cloudwatch:<Action> on *, with cloudwatch:namespace on PutMetricData', () => {
  let sim: Emulator;
  before(async () => {
    sim = await startEmulator({ profile: 'instant' });
  });
  after(() => sim.stop());

  test('Allow PutMetricData if StringEquals cloudwatch:namespace=Kubernetes: Kubernetes in, any other namespace AccessDenied', async () => {
    sim.iam.setPolicies(sim.adminArn, [{
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'Kubernetes' } } }],
    }]);
    const cw = cloudwatchClient(sim);
    await cw.send(put('Kubernetes'));
    assert.equal(sim.cloudwatch.datapointCount, 1);
    const f = await failureOf(cw.send(put('Elsewhere')));
    assert.deepEqual({ name: f.name, code: f.code, status: f.status }, { name: 'AccessDenied', code: 'AccessDenied', status: 403 });
    assert.equal(
      f.message,
      `User: ${sim.adminArn} is not authorized to perform: cloudwatch:PutMetricData because no identity-based policy allows the cloudwatch:PutMetricData action`,
    );
    // Reading was not granted either.
    const list = await failureOf(cw.send(new ListMetricsCommand({})));
    assert.match(list.message, /not authorized to perform: cloudwatch:ListMetrics/);
    const get = await failureOf(cw.send(new GetMetricDataCommand({
      StartTime: new Date(Date.now() - 600_000), EndTime: new Date(),
      MetricDataQueries: [{ Id: 'm', MetricStat: { Metric: { Namespace: 'Kubernetes', MetricName: 'addReqCount' }, Period: 60, Stat: 'Sum' } }],
    })));
    assert.match(get.message, /not authorized to perform: cloudwatch:GetMetricData/);
    cw.destroy();
    assert.equal(sim.cloudwatch.datapointCount, 1);
  });

  test('an explicit Deny wins and says so', async () => {
    sim.iam.setPolicies(sim.adminArn, [{
      Statement: [
        { Effect: 'Allow', Action: 'cloudwatch:*', Resource: '*' },
        { Effect: 'Deny', Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringLike: { 'cloudwatch:namespace': 'AWSome*' } } },
      ],
    }]);
    const cw = cloudwatchClient(sim);
    await cw.send(put('Kubernetes'));
    await cw.send(new ListMetricsCommand({}));
    const f = await failureOf(cw.send(put('AWSomeApp')));
    cw.destroy();
    assert.equal(f.name, 'AccessDenied');
    assert.match(f.message, /cloudwatch:PutMetricData with an explicit deny in an identity-based policy/);
  });
});

describe('the IAM evaluator on cloudwatch: actions (pure)', () => {
  const scoped: PolicyDocument = {
    Statement: [{ Effect: 'Allow', Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'Kubernetes' } } }],
  };
  const decide = (policies: PolicyDocument[], action: string, input: Record<string, unknown>) =>
    evaluate(policies, cloudwatchAuthorizationRequest('us-west-2', action, input)).decision;

  test('PutMetricData carries cloudwatch:namespace and aws:RequestedRegion on resource *', () => {
    assert.deepEqual(cloudwatchAuthorizationRequest('us-west-2', 'PutMetricData', { Namespace: 'Kubernetes' }), {
      action: 'cloudwatch:PutMetricData',
      resource: '*',
      context: { 'aws:RequestedRegion': 'us-west-2', 'cloudwatch:namespace': 'Kubernetes' },
    });
    assert.deepEqual(cloudwatchAuthorizationRequest('us-west-2', 'ListMetrics', { Namespace: 'Kubernetes' }).context, { 'aws:RequestedRegion': 'us-west-2' });
  });

  test('the namespace condition, case-insensitive action names and wildcards', () => {
    assert.equal(decide([scoped], 'PutMetricData', { Namespace: 'Kubernetes' }), 'allow');
    assert.equal(decide([scoped], 'PutMetricData', { Namespace: 'kubernetes' }), 'implicit-deny');
    // A request without a namespace lacks the key: a positive condition fails.
    assert.equal(decide([scoped], 'PutMetricData', {}), 'implicit-deny');
    assert.equal(decide([{ Statement: [{ Effect: 'Allow', Action: 'CloudWatch:put*', Resource: '*' }] }], 'PutMetricData', { Namespace: 'X' }), 'allow');
    assert.equal(decide([{ Statement: [{ Effect: 'Allow', Action: 'cloudwatch:Get*', Resource: '*' }] }], 'ListMetrics', {}), 'implicit-deny');
    assert.equal(decide([{ Statement: [{ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }] }], 'PutMetricData', { Namespace: 'K' }), 'implicit-deny');
  });
});
