import { createHash, createHmac, type Hash, type Hmac, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsError } from '../errors.ts';
import type { SimRequest } from '../http/types.ts';
import { type CredentialStore, type Principal, principalOf } from './credential-store.ts';

/**
 * Server-side SigV4 check for header-signed requests, as an AWS endpoint does it. The canonical request
 * is not rebuilt by hand: the request is re-signed with @smithy/signature-v4 (the signer the SDK itself
 * uses) from exactly the headers the client said it signed, so the emulator and the SDK cannot disagree
 * on canonicalisation details.
 *
 * Errors use EC2's codes (AuthFailure 401, RequestExpired 400). Every failure also carries a `reason`,
 * so a service whose real endpoint answers with other codes (STS: SignatureDoesNotMatch,
 * InvalidClientTokenId, ExpiredToken, ...) can translate without re-deriving why the check failed.
 */

export type SigV4FailureReason =
  | 'missing' // no Authorization header
  | 'malformed' // Authorization header or x-amz-date not in SigV4 form
  | 'scope' // credential scope names another service/region/date
  | 'skew' // x-amz-date too far from the emulator's clock
  | 'unknown-key' // access key id not in the store
  | 'bad-token' // session token missing, wrong, or sent with a long-term key
  | 'expired-token' // temporary credentials past their expiration
  | 'signature'; // signature (or payload hash) does not match

export class SigV4Error extends AwsError {
  readonly reason: SigV4FailureReason;
  constructor(reason: SigV4FailureReason, code: string, message: string, status: number) {
    super(code, message, status);
    this.reason = reason;
  }
}

export interface VerifySigV4Options {
  /** Signing name the scope must carry, e.g. `ec2` or `sts`. */
  readonly service: string;
  /** When set, the scope's region must equal it; otherwise any region is accepted. */
  readonly region?: string;
  /** Epoch milliseconds; defaults to the store's clock. */
  readonly now?: () => number;
}

/** AWS rejects requests whose timestamp is more than 5 minutes from its own clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

const AUTH_FAILURE_MESSAGE = 'AWS was not able to validate the provided access credentials';

const authFailure = (reason: SigV4FailureReason, message = AUTH_FAILURE_MESSAGE) =>
  new SigV4Error(reason, 'AuthFailure', message, 401);

type SourceData = string | ArrayBuffer | ArrayBufferView;

const toBytes = (d: SourceData): string | Buffer =>
  typeof d === 'string'
    ? d
    : ArrayBuffer.isView(d)
      ? Buffer.from(d.buffer, d.byteOffset, d.byteLength)
      : Buffer.from(d);

/** node:crypto behind the hash interface SignatureV4 expects: a secret makes it an HMAC (tests that sign by hand use it too). */
export class NodeSha256 {
  readonly #hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: SourceData): void {
    this.#hash.update(toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }
  reset(): void {
    throw new Error('NodeSha256 is single-use');
  }
}

interface ParsedAuthorization {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

const AUTH_RE =
  /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request\s*,\s*SignedHeaders=([a-z0-9;._-]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/;

function parseAuthorization(header: string): ParsedAuthorization {
  const m = AUTH_RE.exec(header);
  if (!m) throw authFailure('malformed', `Authorization header is not a valid AWS4-HMAC-SHA256 header`);
  const [, accessKeyId, date, region, service, signed, signature] = m as unknown as string[];
  return {
    accessKeyId: accessKeyId!,
    date: date!,
    region: region!,
    service: service!,
    signedHeaders: signed!.split(';'),
    signature: signature!,
  };
}

/** `20240102T030405Z` → epoch ms; undefined when not in that exact form. */
function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  return Number.isNaN(ms) ? undefined : ms;
}

function header(req: SimRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Recomputes the signature the client should have produced with `secret`, from the signed headers only. */
async function expectedSignature(
  req: SimRequest,
  auth: ParsedAuthorization,
  secret: string,
  signingDate: Date,
) {
  const signed = new Set(auth.signedHeaders);
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const v = header(req, name);
    if (v !== undefined) headers[name] = v;
  }
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of req.query) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  let path: string;
  try {
    // The signer escapes the path itself; the wire form is already escaped once.
    path = decodeURIComponent(req.path);
  } catch {
    throw authFailure('malformed', 'request path is not valid percent-encoding');
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey: secret },
    region: auth.region,
    service: auth.service,
    sha256: NodeSha256,
    // Only what the client signed: no x-amz-content-sha256 or token header added on our side.
    applyChecksum: false,
  });
  const out = await signer.sign(
    {
      method: req.method,
      protocol: 'http:',
      hostname: headers.host ?? '',
      path,
      query,
      headers,
      body: req.body,
    },
    // signableHeaders lets through headers the signer would otherwise skip (user-agent, ...) if the client signed them.
    { signingDate, signingRegion: auth.region, signingService: auth.service, signableHeaders: signed },
  );
  const m = /Signature=([0-9a-f]{64})/.exec(String(out.headers.authorization));
  if (!m) throw new Error('signer produced no signature');
  return m[1]!;
}

/**
 * Verifies a header-signed SigV4 request against the store and returns who sent it.
 * Throws SigV4Error (an AwsError) with EC2's code and status when it does not verify.
 */
export async function verifySigV4(
  req: SimRequest,
  store: CredentialStore,
  opts: VerifySigV4Options,
): Promise<Principal> {
  const now = (opts.now ?? store.now)();
  const authorization = header(req, 'authorization');
  if (!authorization) throw authFailure('missing');
  const auth = parseAuthorization(authorization);
  if (!auth.signedHeaders.includes('host')) throw authFailure('malformed', "'Host' must be a 'SignedHeader'");

  const amzDate = header(req, 'x-amz-date');
  const signedAt = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (amzDate === undefined || signedAt === undefined) {
    throw authFailure('malformed', 'Request must contain a valid x-amz-date header in ISO 8601 basic format');
  }
  if (auth.date !== amzDate.slice(0, 8)) {
    throw authFailure('scope', `Credential scope date ${auth.date} does not match x-amz-date ${amzDate}`);
  }
  if (auth.service !== opts.service) {
    throw authFailure('scope', `Credential should be scoped to correct service: '${opts.service}'.`);
  }
  if (opts.region !== undefined && auth.region !== opts.region) {
    // AWS's wording names the region the client signed for (trailing space included).
    throw authFailure('scope', `Credential should be scoped to a valid region, not '${auth.region}'. `);
  }
  // Checked before the key: a skewed clock is the client's problem whoever it is, and the SDK
  // corrects its clock from the Date header of exactly this error.
  if (Math.abs(now - signedAt) > MAX_CLOCK_SKEW_MS) {
    throw new SigV4Error('skew', 'RequestExpired', 'Request has expired.', 400);
  }

  const cred = store.get(auth.accessKeyId);
  if (!cred) throw authFailure('unknown-key');
  const token = header(req, 'x-amz-security-token');
  if (cred.kind === 'temporary') {
    if (token === undefined || !safeEqual(token, cred.sessionToken)) throw authFailure('bad-token');
    if (store.isExpired(cred, now)) {
      throw authFailure('expired-token', 'The security token included in the request is expired');
    }
  } else if (token !== undefined) {
    throw authFailure('bad-token');
  }

  // The signer trusts x-amz-content-sha256 as the payload hash, so the body must be held to it here.
  const claimedHash = header(req, 'x-amz-content-sha256');
  if (claimedHash !== undefined && claimedHash !== createHash('sha256').update(req.body).digest('hex')) {
    throw authFailure('signature');
  }
  const expected = await expectedSignature(req, auth, cred.secretAccessKey, new Date(signedAt));
  if (!safeEqual(expected, auth.signature)) throw authFailure('signature');
  return principalOf(cred);
}
