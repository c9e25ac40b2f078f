import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DescribeNetworkInterfacesCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { Clock } from '../../sim/model/clock.ts';
import { systemClock } from '../../sim/model/clock.ts';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { errorCodeOf, startTestVpc, type TestVpc } from '../helpers/emulator.ts';

/** A clock that moves only when told, so bucket arithmetic is exact. */
function manualClock(): Clock & { advance(ms: number): void } {
  let t = Date.now();
  return {
    now: () => t,
    setTimeout: systemClock.setTimeout,
    advance: (ms) => {
      t += ms;
    },
  };
}

describe('EC2 request throttling', () => {
  let v: TestVpc;
  const clock = manualClock();
  before(async () => {
    v = await startTestVpc({ clock });
  });
  after(() => v.stop());

  test('a burst beyond the published bucket gets RequestLimitExceeded (HTTP 503); the bucket refills', async () => {
    // DescribeNetworkInterfaces without filters or pages: bucket of 50, refilled at 10/s.
    const burst = await Promise.all(
      Array.from({ length: 60 }, () => errorCodeOf(v.ec2.send(new DescribeNetworkInterfacesCommand({})))),
    );
    assert.equal(burst.filter((c) => c === 'no error').length, 50);
    assert.equal(burst.filter((c) => c === 'RequestLimitExceeded').length, 10);
    const throttled = v.sim.log.entries({ action: 'DescribeNetworkInterfaces' }).filter((e) => e.errorCode);
    assert.ok(throttled.every((e) => e.status === 503 && e.faults.includes('throttled')));
    // Filtered requests draw from their own, larger bucket.
    const filtered = await errorCodeOf(
      v.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'status', Values: ['in-use'] }] })),
    );
    assert.equal(filtered, 'no error');
    // 300 ms at 10 tokens/s gives exactly 3 more.
    clock.advance(300);
    const next = await Promise.all(
      Array.from({ length: 5 }, () => errorCodeOf(v.ec2.send(new DescribeNetworkInterfacesCommand({})))),
    );
    assert.equal(next.filter((c) => c === 'no error').length, 3);
  });

  test('the bucket is shared by every caller of the account', async () => {
    v.sim.throttle.configure({ buckets: { DescribeSubnets: { capacity: 4, refillPerSecond: 0.001 } } });
    // Another principal of the same account (a role session through IRSA): same buckets.
    const token = v.sim.oidc.issueServiceAccountToken({ namespace: 'kube-system', serviceAccount: 'aws-node' });
    const sts = new STSClient({ endpoint: v.sim.endpoints.sts, region: v.sim.region });
    const c = (
      await sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: `arn:aws:iam::${v.sim.accountId}:role/vpcwire-node`,
          RoleSessionName: 'second-node',
          WebIdentityToken: token,
        }),
      )
    ).Credentials!;
    sts.destroy();
    const other = new EC2Client({
      endpoint: v.sim.endpoints.ec2,
      region: v.sim.region,
      maxAttempts: 1,
      credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! },
    });
    const mine = await Promise.all(
      [1, 2, 3].map(() => errorCodeOf(v.ec2.send(new DescribeSubnetsCommand({})))),
    );
    const theirs = await Promise.all(
      [1, 2].map(() => errorCodeOf(other.send(new DescribeSubnetsCommand({})))),
    );
    assert.deepEqual([...mine, ...theirs].filter((c) => c === 'no error').length, 4);
    other.destroy();
  });
});

describe('the SDK recognises throttling and its retries succeed', () => {
  let v: TestVpc;
  before(async () => {
    v = await startTestVpc({ throttling: { DescribeSubnets: { capacity: 5, refillPerSecond: 20 } } });
  });
  after(() => v.stop());

  test('20 concurrent calls through a 5-token bucket all succeed with standard retries', async () => {
    const client = new EC2Client({
      endpoint: v.sim.endpoints.ec2,
      region: v.sim.region,
      credentials: v.sim.credentials,
      maxAttempts: 10,
      retryMode: 'standard',
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => client.send(new DescribeSubnetsCommand({}))),
    );
    client.destroy();
    assert.equal(results.length, 20);
    const retried = results.filter((r) => (r.$metadata.attempts ?? 1) > 1);
    assert.ok(retried.length >= 10, `expected most calls to need a retry, got ${retried.length}`);
    const throttled = v.sim.log
      .entries({ action: 'DescribeSubnets' })
      .filter((e) => e.errorCode === 'RequestLimitExceeded');
    assert.equal(
      throttled.length,
      results.reduce((n, r) => n + (r.$metadata.attempts ?? 1) - 1, 0),
      'every retry the SDK made answers one throttled request',
    );
  });

  test('throttling can be disabled per test', async () => {
    v.sim.throttle.configure({ enabled: false });
    const codes = await Promise.all(
      Array.from({ length: 30 }, () => errorCodeOf(v.ec2.send(new DescribeSubnetsCommand({})))),
    );
    assert.ok(codes.every((c) => c === 'no error'));
  });
});
