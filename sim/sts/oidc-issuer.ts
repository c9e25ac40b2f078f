import { createSign, createVerify, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { SimError } from '../errors.ts';

/**
 * The emulated cluster's service-account token issuer (the OIDC provider behind IRSA). It signs
 * projected service-account tokens like the API server does (RS256, kid, iss/sub/aud/iat/nbf/exp plus
 * the kubernetes.io claim) and verifies them for the emulated STS. Deliberately only what the emulator
 * needs, not a JWT library: one algorithm, one key, compact serialisation.
 */

export interface ServiceAccountClaims {
  readonly iss: string;
  /** `system:serviceaccount:<namespace>:<name>`. */
  readonly sub: string;
  readonly aud: string | string[];
  /** Seconds since the epoch, like every JWT time claim. */
  readonly iat: number;
  readonly nbf?: number;
  readonly exp: number;
  readonly 'kubernetes.io'?: {
    readonly namespace: string;
    readonly serviceaccount: { readonly name: string; readonly uid: string };
  };
}

export type TokenRejection = 'malformed' | 'signature' | 'issuer' | 'audience' | 'expired' | 'not-yet-valid';

export class TokenVerificationError extends SimError {
  declare readonly code: 'SIM_TOKEN_REJECTED';
  readonly reason: TokenRejection;
  constructor(reason: TokenRejection, message: string) {
    super('SIM_TOKEN_REJECTED', message);
    this.name = 'TokenVerificationError';
    this.reason = reason;
  }
}

export interface OidcIssuerOptions {
  /** Defaults to `https://oidc.vpcwire.local/id/<random>`, the shape of an EKS issuer URL. */
  readonly issuer?: string;
  /** Epoch milliseconds; injected so tests can expire tokens without sleeping. */
  readonly now?: () => number;
}

export interface IssueTokenOptions {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly audience?: string;
  /** Defaults to 86400, the kubelet's default for projected tokens (expirationSeconds). */
  readonly ttlSeconds?: number;
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

export class OidcIssuer {
  readonly issuer: string;
  readonly keyId: string;
  readonly #now: () => number;
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;

  constructor(opts: OidcIssuerOptions = {}) {
    this.issuer =
      opts.issuer ?? `https://oidc.vpcwire.local/id/${randomBytes(16).toString('hex').toUpperCase()}`;
    this.#now = opts.now ?? Date.now;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.#privateKey = privateKey;
    this.#publicKey = publicKey;
    this.keyId = randomBytes(20).toString('hex');
  }

  issueServiceAccountToken(opts: IssueTokenOptions): string {
    const iat = Math.floor(this.#now() / 1000);
    const claims: ServiceAccountClaims = {
      iss: this.issuer,
      sub: `system:serviceaccount:${opts.namespace}:${opts.serviceAccount}`,
      aud: [opts.audience ?? 'sts.amazonaws.com'],
      iat,
      nbf: iat,
      exp: iat + (opts.ttlSeconds ?? 86400),
      'kubernetes.io': {
        namespace: opts.namespace,
        serviceaccount: { name: opts.serviceAccount, uid: crypto.randomUUID() },
      },
    };
    const signingInput = `${b64url(JSON.stringify({ alg: 'RS256', kid: this.keyId }))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(signingInput).sign(this.#privateKey);
    return `${signingInput}.${b64url(signature)}`;
  }

  /**
   * Checks signature, issuer, audience and time window, in that order, and returns the claims.
   * Throws TokenVerificationError whose `reason` says which check failed.
   */
  verify(token: string, opts: { audience?: string } = {}): ServiceAccountClaims {
    const parts = token.trim().split('.');
    if (parts.length !== 3) throw new TokenVerificationError('malformed', 'token is not a compact JWS');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    let header: { alg?: unknown; kid?: unknown };
    let claims: ServiceAccountClaims;
    try {
      header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
    } catch {
      throw new TokenVerificationError('malformed', 'token header or payload is not base64url JSON');
    }
    if (header.alg !== 'RS256')
      throw new TokenVerificationError('malformed', `unsupported alg ${String(header.alg)}`);
    const valid = createVerify('RSA-SHA256')
      .update(`${headerPart}.${payloadPart}`)
      .verify(this.#publicKey, Buffer.from(signaturePart, 'base64url'));
    if (!valid || header.kid !== this.keyId) {
      throw new TokenVerificationError('signature', 'token signature does not verify with the issuer key');
    }
    if (claims.iss !== this.issuer) {
      throw new TokenVerificationError('issuer', `unknown issuer ${String(claims.iss)}`);
    }
    const audience = opts.audience ?? 'sts.amazonaws.com';
    const auds = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!auds.includes(audience)) throw new TokenVerificationError('audience', 'Incorrect token audience');
    if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number' || typeof claims.sub !== 'string') {
      throw new TokenVerificationError('malformed', 'token lacks sub, iat or exp');
    }
    const now = Math.floor(this.#now() / 1000);
    if (now >= claims.exp) {
      throw new TokenVerificationError(
        'expired',
        `Token expired: current date/time ${now} must be before the expiration date/time ${claims.exp}`,
      );
    }
    if (claims.nbf !== undefined && now < claims.nbf) {
      throw new TokenVerificationError('not-yet-valid', `Token not valid before ${claims.nbf}`);
    }
    return claims;
  }

  /** The issuer's JSON Web Key Set, as served at `<issuer>/keys` for anyone who wants to check tokens. */
  jwks(): { keys: Record<string, unknown>[] } {
    const jwk = this.#publicKey.export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: this.keyId, alg: 'RS256', use: 'sig' }] };
  }
}
