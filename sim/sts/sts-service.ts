import { AwsError, isAwsError } from '../errors.ts';
import type { SimHandler, SimRequest, SimResponse } from '../http/types.ts';
import { evaluate, type PolicyDocument } from '../iam/evaluate.ts';
import { accountOfArn, type CredentialStore } from './credential-store.ts';
import type { OidcIssuer } from './oidc-issuer.ts';
import { TokenVerificationError } from './oidc-issuer.ts';
import { SigV4Error, verifySigV4 } from './sigv4-verify.ts';
import { errorResponse, isoSeconds, resultResponse } from './sts-xml.ts';

/**
 * The emulated STS endpoint (awsQuery protocol, version 2011-06-15): GetCallerIdentity for signed
 * callers and AssumeRoleWithWebIdentity for IRSA. Error codes and statuses are the ones real STS
 * sends, so SDK error classes, retries and credential refresh behave as they would against AWS.
 */

export const STS_VERSION = '2011-06-15';

export interface StsRoleConfig {
  /** e.g. `arn:aws:iam::111122223333:role/vpcwire-cni`. */
  readonly arn: string;
  /**
   * Token subjects the role's trust policy accepts, e.g. `system:serviceaccount:kube-system:aws-node`.
   * `*` and `?` match as in an IAM StringLike condition. Used when `trustPolicy` is not given.
   */
  readonly trustedSubjects?: readonly string[];
  /**
   * The role's trust policy document (e.g. iam/'s IRSA trust policy rendered for the emulator's
   * issuer), evaluated with Principal `{Federated: <OIDC provider ARN>}` and the keys
   * `<issuer>:sub` and `<issuer>:aud`. When given, it alone decides.
   */
  readonly trustPolicy?: PolicyDocument;
  /** The role's MaxSessionDuration; defaults to STS's ceiling, 43200. */
  readonly maxSessionDurationSeconds?: number;
}

export interface StsServiceOptions {
  readonly store: CredentialStore;
  readonly oidc: OidcIssuer;
  readonly roles: readonly StsRoleConfig[];
  /** Epoch milliseconds; defaults to the store's clock. Share one clock with the store and issuer. */
  readonly now?: () => number;
  /** When set, signatures must be scoped to this region (as a regional STS endpoint requires). */
  readonly region?: string;
  /** The client id registered for the OIDC provider; EKS uses sts.amazonaws.com. */
  readonly audience?: string;
}

const DEFAULT_DURATION = 3600;
const MIN_DURATION = 900;
const MAX_DURATION = 43200;

const validationError = (member: string, value: string | undefined, constraint: string) =>
  new AwsError(
    'ValidationError',
    `1 validation error detected: Value ${value === undefined ? 'null' : `'${value}'`} at '${member}' failed to satisfy constraint: ${constraint}`,
  );

const amzDateOf = (ms: number) => isoSeconds(ms).replace(/[-:]/g, '');
const isoFromAmz = (d: string) =>
  d.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z');

/**
 * The codes real STS answers for each way a signature check fails (EC2 says AuthFailure for most).
 * CloudWatch, on the same AWS front end, answers the same codes; its service reuses this.
 */
export function toStsAuthError(err: SigV4Error, req: SimRequest, now: number): AwsError {
  switch (err.reason) {
    case 'missing':
      return new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
    case 'malformed':
      return new AwsError('IncompleteSignature', err.message, 400);
    case 'unknown-key':
    case 'bad-token':
      return new AwsError(
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
        403,
      );
    case 'expired-token':
      return new AwsError('ExpiredToken', 'The security token included in the request is expired', 403);
    case 'skew': {
      const sent = String(req.headers['x-amz-date']);
      const message =
        Date.parse(isoFromAmz(sent)) < now
          ? `Signature expired: ${sent} is now earlier than ${amzDateOf(now - 300_000)} (${amzDateOf(now)} - 5 min.)`
          : `Signature not yet current: ${sent} is still later than ${amzDateOf(now + 300_000)} (${amzDateOf(now)} + 5 min.)`;
      return new AwsError('SignatureDoesNotMatch', message, 403);
    }
    case 'scope':
      return new AwsError('SignatureDoesNotMatch', err.message, 403);
    case 'signature':
      return new AwsError(
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
        403,
      );
  }
}

/** IAM StringLike: `*` any run of characters, `?` exactly one. */
function stringLike(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(value);
}

/** `https://oidc.example/id/ABC` → the IAM OIDC provider ARN STS reports as `Provider`. */
const providerArn = (account: string, issuer: string) =>
  `arn:aws:iam::${account}:oidc-provider/${issuer.replace(/^https:\/\//, '')}`;

/** Whether the role's trust (its policy document, or its subject list) admits this token. */
function trusts(role: StsRoleConfig, claims: ReturnType<OidcIssuer['verify']>): boolean {
  if (!role.trustPolicy) return (role.trustedSubjects ?? []).some((s) => stringLike(s, claims.sub));
  const issuer = claims.iss.replace(/^https:\/\//, '');
  const decision = evaluate([role.trustPolicy], {
    principal: { type: 'Federated', id: providerArn(accountOfArn(role.arn), claims.iss) },
    action: 'sts:AssumeRoleWithWebIdentity',
    resource: role.arn,
    context: { [`${issuer}:sub`]: claims.sub, [`${issuer}:aud`]: Array.isArray(claims.aud) ? claims.aud : [claims.aud] },
  });
  return decision.decision === 'allow';
}

export function createStsService(opts: StsServiceOptions): SimHandler {
  const { store, oidc } = opts;
  const clock = opts.now ?? store.now;
  const roles = new Map(opts.roles.map((r) => [r.arn, r]));

  async function getCallerIdentity(req: SimRequest, now: number) {
    let principal: Awaited<ReturnType<typeof verifySigV4>>;
    try {
      principal = await verifySigV4(req, store, { service: 'sts', region: opts.region, now: () => now });
    } catch (err) {
      throw err instanceof SigV4Error ? toStsAuthError(err, req, now) : err;
    }
    return { Arn: principal.arn, UserId: principal.userId, Account: principal.accountId };
  }

  function assumeRoleWithWebIdentity(params: URLSearchParams) {
    const roleArn = params.get('RoleArn') ?? undefined;
    const sessionName = params.get('RoleSessionName') ?? undefined;
    const token = params.get('WebIdentityToken') ?? undefined;
    const durationParam = params.get('DurationSeconds') ?? undefined;
    if (roleArn === undefined) throw validationError('roleArn', roleArn, 'Member must not be null');
    if (roleArn.length < 20) {
      throw validationError('roleArn', roleArn, 'Member must have length greater than or equal to 20');
    }
    if (sessionName === undefined)
      throw validationError('roleSessionName', sessionName, 'Member must not be null');
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
      throw validationError(
        'roleSessionName',
        sessionName,
        'Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64',
      );
    }
    if (token === undefined) throw validationError('webIdentityToken', token, 'Member must not be null');
    const duration = durationParam === undefined ? DEFAULT_DURATION : Number(durationParam);
    if (!Number.isInteger(duration) || duration < MIN_DURATION) {
      throw validationError(
        'durationSeconds',
        durationParam,
        `Member must have value greater than or equal to ${MIN_DURATION}`,
      );
    }
    if (duration > MAX_DURATION) {
      throw validationError(
        'durationSeconds',
        durationParam,
        `Member must have value less than or equal to ${MAX_DURATION}`,
      );
    }

    let claims: ReturnType<OidcIssuer['verify']>;
    try {
      claims = oidc.verify(token, { audience: opts.audience ?? 'sts.amazonaws.com' });
    } catch (err) {
      if (!(err instanceof TokenVerificationError)) throw err;
      if (err.reason === 'expired') throw new AwsError('ExpiredTokenException', err.message, 400);
      const message =
        err.reason === 'issuer'
          ? `No OpenIDConnect provider found in your account for ${oidc.issuer}`
          : err.message;
      throw new AwsError('InvalidIdentityToken', message, 400);
    }

    // A role that does not exist and one that does not trust the caller look the same, as on AWS.
    const role = roles.get(roleArn);
    if (!role || !trusts(role, claims)) {
      throw new AwsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403);
    }
    if (duration > (role.maxSessionDurationSeconds ?? MAX_DURATION)) {
      throw new AwsError(
        'ValidationError',
        'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
        400,
      );
    }

    const cred = store.issueTemporary({ roleArn, sessionName, durationSeconds: duration });
    return {
      Credentials: {
        AccessKeyId: cred.accessKeyId,
        SecretAccessKey: cred.secretAccessKey,
        SessionToken: cred.sessionToken,
        Expiration: isoSeconds(cred.expiration),
      },
      SubjectFromWebIdentityToken: claims.sub,
      AssumedRoleUser: { AssumedRoleId: cred.userId, Arn: cred.arn },
      Provider: providerArn(cred.accountId, claims.iss),
      Audience: opts.audience ?? 'sts.amazonaws.com',
    };
  }

  return async (req: SimRequest): Promise<SimResponse> => {
    const requestId = crypto.randomUUID();
    const now = clock();
    // awsQuery accepts parameters in a POSTed form or in the query string of a GET.
    const params = req.method === 'POST' ? req.form : req.query;
    const action = params.get('Action');
    try {
      if (!action) throw new AwsError('MissingAction', 'Missing Action', 400);
      const version = params.get('Version');
      if (version !== null && version !== STS_VERSION) {
        throw new AwsError('InvalidAction', `Could not find operation ${action} for version ${version}`, 400);
      }
      switch (action) {
        case 'GetCallerIdentity':
          return resultResponse(action, await getCallerIdentity(req, now), requestId, now);
        case 'AssumeRoleWithWebIdentity':
          return resultResponse(action, assumeRoleWithWebIdentity(params), requestId, now);
        default:
          throw new AwsError(
            'InvalidAction',
            `Could not find operation ${action} for version ${STS_VERSION}`,
            400,
          );
      }
    } catch (err) {
      if (isAwsError(err)) return errorResponse(err, requestId, now);
      throw err;
    }
  };
}
