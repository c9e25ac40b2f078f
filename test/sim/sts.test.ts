import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { DescribeInstancesCommand, DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
  GetSessionTokenCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import { isAwsError } from '../../sim/errors.ts';
import { listen, type RunningServer } from '../../sim/http/server.ts';
import type { SimHandler } from '../../sim/http/types.ts';
import { CredentialStore, type Principal, type TemporaryCredential } from '../../sim/sts/credential-store.ts';
import { OidcIssuer } from '../../sim/sts/oidc-issuer.ts';
import { SigV4Error, verifySigV4 } from '../../sim/sts/sigv4-verify.ts';
import { createStsService } from '../../sim/sts/sts-service.ts';

// One injected clock for store, issuer and services; reset to real time before each test so the
// SDK (which signs with real time) starts in step, and moved forward where expiry is under test.
const clock = { t: Date.now(), now: () => clock.t };
const MIN = 60_000;

const ACCOUNT = '111122223333';
const USER_ARN = `arn:aws:iam::${ACCOUNT}:user/vpcwire-test`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/vpcwire-cni`;
const AWS_NODE = 'system:serviceaccount:kube-system:aws-node';
const STATIC = {
  accessKeyId: 'AKIAVPCWIRETESTKEY01',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYVPCWIREKEY',
};
const REGION = 'us-west-2';

const store = new CredentialStore({ static: [{ ...STATIC, arn: USER_ARN }], now: clock.now });
const oidc = new OidcIssuer({ now: clock.now });
const sts = createStsService({ store, oidc, roles: [{ arn: ROLE_ARN, trustedSubjects: [AWS_NODE] }] });

let stsServer: RunningServer;
const stsClient = (extra: Partial<ConstructorParameters<typeof STSClient>[0]> = {}) =>
  new STSClient({ region: REGION, endpoint: stsServer.url, credentials: STATIC, ...extra });

/** What the emulator sent, as the SDK surfaces it: class name, wire code, HTTP status. */
async function rejection(
  p: Promise<unknown>,
): Promise<{ name: string; code: string; status: number; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { Error?: { Code?: string }; $metadata?: { httpStatusCode?: number } };
    return {
      name: err.name,
      code: err.Error?.Code ?? err.name,
      status: err.$metadata?.httpStatusCode ?? 0,
      message: err.message,
    };
  }
  assert.fail('expected the call to be rejected');
}

const assumeRole = (input: Partial<ConstructorParameters<typeof AssumeRoleWithWebIdentityCommand>[0]>) =>
  stsClient({ credentials: undefined }).send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: ROLE_ARN,
      RoleSessionName: 'aws-node-pod',
      WebIdentityToken: oidc.issueServiceAccountToken({
        namespace: 'kube-system',
        serviceAccount: 'aws-node',
      }),
      ...input,
    }),
  );

before(async () => {
  stsServer = await listen(sts);
});
after(() => stsServer.close());
beforeEach(() => {
  clock.t = Date.now();
});

describe('STS GetCallerIdentity', () => {
  test('static credentials: the configured user, account and an AIDA user id', async () => {
    const out = await stsClient().send(new GetCallerIdentityCommand({}));
    assert.equal(out.Arn, USER_ARN);
    assert.equal(out.Account, ACCOUNT);
    assert.match(out.UserId ?? '', /^AIDA[A-Z2-7]{17}$/);
    assert.match(out.$metadata.requestId ?? '', /^[0-9a-f-]{36}$/);
  });

  test('wrong secret → SignatureDoesNotMatch 403', async () => {
    const r = await rejection(
      stsClient({ credentials: { ...STATIC, secretAccessKey: 'x'.repeat(40) } }).send(
        new GetCallerIdentityCommand({}),
      ),
    );
    assert.deepEqual([r.code, r.status], ['SignatureDoesNotMatch', 403]);
  });

  test('unknown access key → InvalidClientTokenId 403', async () => {
    const creds = { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: STATIC.secretAccessKey };
    const r = await rejection(stsClient({ credentials: creds }).send(new GetCallerIdentityCommand({})));
    assert.deepEqual([r.code, r.status], ['InvalidClientTokenId', 403]);
  });

  test('expired temporary credentials → ExpiredToken; a wrong session token → InvalidClientTokenId', async () => {
    const cred = store.issueTemporary({ roleArn: ROLE_ARN, sessionName: 'short', durationSeconds: 60 });
    const creds = {
      accessKeyId: cred.accessKeyId,
      secretAccessKey: cred.secretAccessKey,
      sessionToken: cred.sessionToken,
    };
    const ok = await stsClient({ credentials: creds }).send(new GetCallerIdentityCommand({}));
    assert.equal(ok.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/vpcwire-cni/short`);
    assert.equal(ok.UserId, `${cred.roleId}:short`);

    const forged = { ...creds, sessionToken: `${cred.sessionToken.slice(0, -4)}AAAA` };
    const bad = await rejection(stsClient({ credentials: forged }).send(new GetCallerIdentityCommand({})));
    assert.deepEqual([bad.code, bad.status], ['InvalidClientTokenId', 403]);

    clock.t += 61_000;
    const r = await rejection(stsClient({ credentials: creds }).send(new GetCallerIdentityCommand({})));
    assert.deepEqual([r.code, r.status], ['ExpiredToken', 403]);
    assert.match(r.message, /security token included in the request is expired/);
  });

  test('skewed client clock: SignatureDoesNotMatch, and the SDK corrects itself from the Date header', async () => {
    clock.t = Date.now() + 10 * MIN;
    const once = await rejection(stsClient({ maxAttempts: 1 }).send(new GetCallerIdentityCommand({})));
    assert.equal(once.code, 'SignatureDoesNotMatch');
    assert.match(once.message, /^Signature expired: \d{8}T\d{6}Z is now earlier than/);
    // With its default retries the SDK takes the emulator's Date header as server time and re-signs.
    const client = stsClient();
    assert.equal((await client.send(new GetCallerIdentityCommand({}))).Arn, USER_ARN);
    assert.ok(Math.abs(client.config.systemClockOffset - 10 * MIN) < 5_000);
  });

  test('unknown action → InvalidAction; missing Action → MissingAction; no signature → MissingAuthenticationToken', async () => {
    const r = await rejection(stsClient().send(new GetSessionTokenCommand({})));
    assert.deepEqual([r.code, r.status], ['InvalidAction', 400]);
    assert.match(r.message, /GetSessionToken/);

    const post = (body: string) =>
      fetch(stsServer.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    const missing = await post('Version=2011-06-15');
    assert.equal(missing.status, 400);
    assert.match(await missing.text(), /<Code>MissingAction<\/Code>/);
    const unsigned = await post('Action=GetCallerIdentity&Version=2011-06-15');
    assert.equal(unsigned.status, 403);
    assert.match(await unsigned.text(), /<Type>Sender<\/Type><Code>MissingAuthenticationToken<\/Code>/);
  });
});

describe('STS AssumeRoleWithWebIdentity (IRSA)', () => {
  const saved: Record<string, string | undefined> = {};
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vpcwire-irsa-'));
  });
  after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const setEnv = (k: string, v: string | undefined) => {
    if (!(k in saved)) saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  };

  test('a pod with only the IRSA env vars gets the assumed role through the default credential chain', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(
      tokenFile,
      oidc.issueServiceAccountToken({ namespace: 'kube-system', serviceAccount: 'aws-node' }),
    );
    // What the EKS pod identity webhook injects, plus the one variable that points STS at the emulator.
    setEnv('AWS_ROLE_ARN', ROLE_ARN);
    setEnv('AWS_WEB_IDENTITY_TOKEN_FILE', tokenFile);
    setEnv('AWS_ROLE_SESSION_NAME', 'aws-node-pod');
    setEnv('AWS_ENDPOINT_URL_STS', stsServer.url);
    // Keep the chain from finding anything else on this machine first (or probing IMDS).
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
      setEnv(k, undefined);
    setEnv('AWS_CONFIG_FILE', join(dir, 'no-config'));
    setEnv('AWS_SHARED_CREDENTIALS_FILE', join(dir, 'no-credentials'));
    setEnv('AWS_EC2_METADATA_DISABLED', 'true');

    // No credentials and no endpoint: both come from the environment, exactly as in the pod.
    const client = new STSClient({ region: REGION });
    const out = await client.send(new GetCallerIdentityCommand({}));
    assert.equal(out.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/vpcwire-cni/aws-node-pod`);
    assert.equal(out.Account, ACCOUNT);
    assert.match(out.UserId ?? '', /^AROA[A-Z2-7]{17}:aws-node-pod$/);
    const creds = await client.config.credentials();
    assert.match(creds.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
    assert.equal(creds.secretAccessKey.length, 40);
    assert.ok(creds.sessionToken);
    assert.equal(creds.expiration?.getTime(), Math.floor(clock.t / 1000) * 1000 + 3600_000);
  });

  test('answers every member the SDK models, with the requested duration', async () => {
    const out = await assumeRole({ DurationSeconds: 900 });
    assert.equal(out.SubjectFromWebIdentityToken, AWS_NODE);
    assert.equal(out.Audience, 'sts.amazonaws.com');
    assert.equal(
      out.Provider,
      `arn:aws:iam::${ACCOUNT}:oidc-provider/${oidc.issuer.replace('https://', '')}`,
    );
    assert.equal(out.AssumedRoleUser?.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/vpcwire-cni/aws-node-pod`);
    assert.match(out.AssumedRoleUser?.AssumedRoleId ?? '', /^AROA[A-Z2-7]{17}:aws-node-pod$/);
    assert.ok(out.Credentials?.Expiration instanceof Date);
    assert.equal(out.Credentials.Expiration.getTime(), Math.floor(clock.t / 1000) * 1000 + 900_000);
    const stored = store.get(out.Credentials.AccessKeyId ?? '') as TemporaryCredential;
    assert.equal(stored.sessionToken, out.Credentials.SessionToken);
    assert.equal(stored.secretAccessKey, out.Credentials.SecretAccessKey);
  });

  test('a service account the role does not trust → AccessDenied 403 (so does an unknown role)', async () => {
    const token = oidc.issueServiceAccountToken({ namespace: 'default', serviceAccount: 'nosy' });
    const r = await rejection(assumeRole({ WebIdentityToken: token }));
    assert.deepEqual([r.code, r.status], ['AccessDenied', 403]);
    assert.equal(r.message, 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
    const unknown = await rejection(assumeRole({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/nope` }));
    assert.deepEqual([unknown.code, unknown.status], ['AccessDenied', 403]);
  });

  test('an expired token → ExpiredTokenException', async () => {
    const token = oidc.issueServiceAccountToken({
      namespace: 'kube-system',
      serviceAccount: 'aws-node',
      ttlSeconds: 600,
    });
    clock.t += 601_000;
    const r = await rejection(assumeRole({ WebIdentityToken: token }));
    assert.deepEqual([r.name, r.code, r.status], ['ExpiredTokenException', 'ExpiredTokenException', 400]);
  });

  test('a tampered, foreign or mis-addressed token → InvalidIdentityToken', async () => {
    const mine = oidc.issueServiceAccountToken({ namespace: 'default', serviceAccount: 'nosy' });
    const [h, p, s] = mine.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: AWS_NODE })).toString('base64url')}.${s}`;
    const foreign = new OidcIssuer({ now: clock.now }).issueServiceAccountToken({
      namespace: 'kube-system',
      serviceAccount: 'aws-node',
    });
    const wrongAud = oidc.issueServiceAccountToken({
      namespace: 'kube-system',
      serviceAccount: 'aws-node',
      audience: 'x',
    });
    for (const token of [forged, foreign, wrongAud, 'not-a-jwt']) {
      const r = await rejection(assumeRole({ WebIdentityToken: token }));
      assert.deepEqual(
        [r.name, r.code, r.status],
        ['InvalidIdentityTokenException', 'InvalidIdentityToken', 400],
      );
    }
  });

  test('DurationSeconds outside 900..43200 → ValidationError', async () => {
    for (const d of [899, 43201]) {
      const r = await rejection(assumeRole({ DurationSeconds: d }));
      assert.deepEqual([r.code, r.status], ['ValidationError', 400]);
      assert.match(r.message, /durationSeconds/);
    }
  });
});

describe('verifySigV4 for EC2, driven by the real EC2Client', () => {
  const seen: Principal[] = [];
  let ec2Server: RunningServer;
  // A minimal EC2 endpoint: verify, then answer DescribeRegions or an EC2-style error.
  const ec2: SimHandler = async (req) => {
    const now = clock.now();
    const headers = { 'content-type': 'text/xml;charset=UTF-8', date: new Date(now).toUTCString() };
    try {
      seen.push(await verifySigV4(req, store, { service: 'ec2', region: REGION, now: () => now }));
    } catch (err) {
      if (!isAwsError(err)) throw err;
      const body = `<Response><Errors><Error><Code>${err.code}</Code><Message>${err.message}</Message></Error></Errors><RequestID>${crypto.randomUUID()}</RequestID></Response>`;
      return { status: err.status, headers, body };
    }
    const body = `<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${crypto.randomUUID()}</requestId><regionInfo><item><regionName>${REGION}</regionName><regionEndpoint>ec2.${REGION}.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item></regionInfo></DescribeRegionsResponse>`;
    return { status: 200, headers, body };
  };
  const ec2Client = (extra: Partial<ConstructorParameters<typeof EC2Client>[0]> = {}) =>
    new EC2Client({ region: REGION, endpoint: ec2Server.url, credentials: STATIC, ...extra });

  before(async () => {
    ec2Server = await listen(ec2);
  });
  after(() => ec2Server.close());

  test('accepts static and temporary credentials and returns the principal', async () => {
    const out = await ec2Client().send(new DescribeRegionsCommand({}));
    assert.equal(out.Regions?.[0]?.RegionName, REGION);
    assert.equal(seen.at(-1)?.arn, USER_ARN);

    const cred = store.issueTemporary({ roleArn: ROLE_ARN, sessionName: 'ipamd', durationSeconds: 900 });
    const creds = {
      accessKeyId: cred.accessKeyId,
      secretAccessKey: cred.secretAccessKey,
      sessionToken: cred.sessionToken,
    };
    await ec2Client({ credentials: creds }).send(new DescribeRegionsCommand({}));
    assert.deepEqual(seen.at(-1), {
      accessKeyId: cred.accessKeyId,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/vpcwire-cni/ipamd`,
      accountId: ACCOUNT,
      userId: `${cred.roleId}:ipamd`,
    });
  });

  test('wrong secret, unknown key, wrong token → AuthFailure 401', async () => {
    const cred = store.issueTemporary({ roleArn: ROLE_ARN, sessionName: 'ipamd', durationSeconds: 900 });
    for (const credentials of [
      { ...STATIC, secretAccessKey: 'x'.repeat(40) },
      { ...STATIC, accessKeyId: 'AKIAUNKNOWNUNKNOWN00' },
      { accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey, sessionToken: 'forged' },
      { ...STATIC, sessionToken: 'not-for-a-long-term-key' },
    ]) {
      const r = await rejection(ec2Client({ credentials }).send(new DescribeRegionsCommand({})));
      assert.deepEqual(
        [r.name, r.status, r.message],
        ['AuthFailure', 401, 'AWS was not able to validate the provided access credentials'],
      );
    }
  });

  test('expired temporary credentials → AuthFailure saying the token is expired', async () => {
    const cred = store.issueTemporary({ roleArn: ROLE_ARN, sessionName: 'ipamd', durationSeconds: 60 });
    clock.t += 61_000;
    const creds = {
      accessKeyId: cred.accessKeyId,
      secretAccessKey: cred.secretAccessKey,
      sessionToken: cred.sessionToken,
    };
    const r = await rejection(ec2Client({ credentials: creds }).send(new DescribeRegionsCommand({})));
    assert.deepEqual([r.name, r.status], ['AuthFailure', 401]);
    assert.match(r.message, /security token included in the request is expired/);
  });

  test('a body changed after signing is rejected, with or without a matching x-amz-content-sha256', async () => {
    for (const fixHash of [false, true]) {
      const client = ec2Client();
      // The deserialize step runs after signing, right before the request goes out.
      client.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request as { body: string; headers: Record<string, string> };
          request.body = request.body.replace('i-0000000000000001', 'i-0000000000000002');
          if (fixHash) {
            const { createHash } = await import('node:crypto');
            request.headers['x-amz-content-sha256'] = createHash('sha256').update(request.body).digest('hex');
          }
          return next(args);
        },
        { step: 'deserialize', name: 'tamperBody' },
      );
      const r = await rejection(
        client.send(new DescribeInstancesCommand({ InstanceIds: ['i-0000000000000001'] })),
      );
      assert.deepEqual([r.name, r.status], ['AuthFailure', 401]);
    }
  });

  test('clock skew → RequestExpired 400, which the SDK fixes from the Date header when it may retry', async () => {
    clock.t = Date.now() - 10 * MIN;
    const r = await rejection(ec2Client({ maxAttempts: 1 }).send(new DescribeRegionsCommand({})));
    assert.deepEqual([r.name, r.status], ['RequestExpired', 400]);
    const out = await ec2Client().send(new DescribeRegionsCommand({}));
    assert.equal(out.Regions?.[0]?.RegionName, REGION);
  });

  test('a request signed for another service, or not signed at all, is refused', async () => {
    // An STS client aimed at the EC2 endpoint signs with scope .../sts/aws4_request.
    const r = await rejection(stsClient({ endpoint: ec2Server.url }).send(new GetCallerIdentityCommand({})));
    assert.equal(r.status, 401);
    const res = await fetch(ec2Server.url, {
      method: 'POST',
      body: 'Action=DescribeRegions&Version=2016-11-15',
    });
    assert.equal(res.status, 401);
    assert.match(await res.text(), /<Code>AuthFailure<\/Code>/);
  });

  test('failures carry a reason services can map to their own codes', async () => {
    const req = {
      method: 'POST',
      path: '/',
      query: new URLSearchParams(),
      headers: {},
      body: Buffer.alloc(0),
      form: new URLSearchParams(),
      rawUrl: '/',
    };
    await assert.rejects(verifySigV4(req, store, { service: 'ec2' }), (e: unknown) => {
      assert.ok(e instanceof SigV4Error);
      assert.deepEqual([e.reason, e.code, e.status], ['missing', 'AuthFailure', 401]);
      return true;
    });
  });
});
