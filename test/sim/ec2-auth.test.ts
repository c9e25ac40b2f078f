import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { errorCodeOf, startTestVpc, type TestVpc } from '../helpers/emulator.ts';

describe('the EC2 endpoint requires valid SigV4 signatures', () => {
  let v: TestVpc;
  before(async () => {
    v = await startTestVpc({ throttling: false });
  });
  after(() => v.stop());

  const clientWith = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
    new EC2Client({ endpoint: v.sim.endpoints.ec2, region: v.sim.region, credentials, maxAttempts: 1 });

  test('a forged signature (right key, wrong secret) and an unknown key get AuthFailure 401', async () => {
    const forged = clientWith({
      accessKeyId: v.sim.credentials.accessKeyId,
      secretAccessKey: 'not-the-secret',
    });
    const err = await forged.send(new DescribeInstancesCommand({})).catch((e) => e);
    assert.equal(err.name, 'AuthFailure');
    assert.equal(err.$metadata.httpStatusCode, 401);
    const unknown = clientWith({ accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x' });
    assert.equal(await errorCodeOf(unknown.send(new DescribeInstancesCommand({}))), 'AuthFailure');
    forged.destroy();
    unknown.destroy();
    const refused = v.sim.log
      .entries({ action: 'DescribeInstances' })
      .filter((e) => e.errorCode === 'AuthFailure');
    assert.equal(refused.length, 2);
    assert.ok(
      refused.every((e) => e.caller === undefined),
      'an unauthenticated call is attributed to nobody',
    );
  });

  test('a signature scoped to another region is refused: EC2 AuthFailure 401, STS SignatureDoesNotMatch 403', async () => {
    const region = 'eu-west-1';
    const ec2 = new EC2Client({ endpoint: v.sim.endpoints.ec2, region, credentials: v.sim.credentials, maxAttempts: 1 });
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => assert.fail('expected a refusal'),
        (e: unknown) => e as Error & { $metadata: { httpStatusCode?: number } },
      );
    const err = await refusal(ec2.send(new DescribeInstancesCommand({})));
    ec2.destroy();
    assert.deepEqual([err.name, err.$metadata.httpStatusCode], ['AuthFailure', 401]);
    assert.match(err.message, /scoped to a valid region, not 'eu-west-1'/);
    const sts = new STSClient({ endpoint: v.sim.endpoints.sts, region, credentials: v.sim.credentials, maxAttempts: 1 });
    const stsErr = await refusal(sts.send(new GetCallerIdentityCommand({})));
    sts.destroy();
    assert.deepEqual([stsErr.name, stsErr.$metadata.httpStatusCode], ['SignatureDoesNotMatch', 403]);
    assert.match(stsErr.message, /scoped to a valid region, not 'eu-west-1'/);
  });

  test('a request with no signature at all gets AuthFailure', async () => {
    const r = await fetch(v.sim.endpoints.ec2, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DescribeInstances&Version=2016-11-15',
    });
    assert.equal(r.status, 401);
    assert.match(await r.text(), /<Code>AuthFailure<\/Code>/);
  });

  test('IRSA: a pod token exchanged at the emulated STS signs EC2 calls as the assumed role', async () => {
    const token = v.sim.oidc.issueServiceAccountToken({
      namespace: 'kube-system',
      serviceAccount: 'aws-node',
    });
    const sts = new STSClient({ endpoint: v.sim.endpoints.sts, region: v.sim.region });
    const assumed = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: `arn:aws:iam::${v.sim.accountId}:role/vpcwire-node`,
        RoleSessionName: 'ipamd-node-1',
        WebIdentityToken: token,
      }),
    );
    const c = assumed.Credentials!;
    const credentials = {
      accessKeyId: c.AccessKeyId!,
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken!,
    };
    const ec2 = clientWith(credentials);
    const r = await ec2.send(new DescribeInstancesCommand({}));
    assert.equal(r.Reservations!.length, 2);
    assert.equal(v.sim.log.entries({ action: 'DescribeInstances' }).at(-1)!.caller, c.AccessKeyId);
    const who = await new STSClient({
      endpoint: v.sim.endpoints.sts,
      region: v.sim.region,
      credentials,
    }).send(new GetCallerIdentityCommand({}));
    assert.equal(who.Arn, `arn:aws:sts::${v.sim.accountId}:assumed-role/vpcwire-node/ipamd-node-1`);
    // The session token is part of the credential: without it the key is not valid.
    const noToken = clientWith({
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
    });
    assert.equal(await errorCodeOf(noToken.send(new DescribeInstancesCommand({}))), 'AuthFailure');
    ec2.destroy();
    noToken.destroy();
    sts.destroy();
  });

  test('a service account the role does not trust is refused', async () => {
    const token = v.sim.oidc.issueServiceAccountToken({ namespace: 'default', serviceAccount: 'intruder' });
    const sts = new STSClient({ endpoint: v.sim.endpoints.sts, region: v.sim.region });
    const code = await errorCodeOf(
      sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: `arn:aws:iam::${v.sim.accountId}:role/vpcwire-node`,
          RoleSessionName: 'intruder-session',
          WebIdentityToken: token,
        }),
      ),
    );
    assert.equal(code, 'AccessDenied');
    sts.destroy();
  });
});
