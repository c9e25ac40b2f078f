import { gunzipSync } from 'node:zlib';
import { AwsError } from '../errors.ts';
import type { SimRequest, SimResponse } from '../http/types.ts';

/**
 * CloudWatch's wire protocol as @aws-sdk/client-cloudwatch 3.1164 speaks it: AWS JSON 1.0
 * (`POST /`, `Content-Type: application/x-amz-json-1.0`, `X-Amz-Target:
 * GraniteServiceVersion20100801.<Operation>`) in awsQuery-compatible mode (`x-amzn-query-mode:
 * true`), with PutMetricData bodies gzip'ed from 10 KiB (`Content-Encoding: gzip`, the SDK's
 * compression plugin). Errors are answered the way the SDK's AwsJson1_0Protocol with
 * awsQueryCompatible reads them (@aws-sdk/core protocols, ProtocolLib.setQueryCompatError /
 * findQueryCompatibleError): the Query error code and fault in `x-amzn-query-error: <Code>;<Sender|Receiver>`,
 * which picks the modeled exception class (InvalidParameterValue -> InvalidParameterValueException)
 * and `Error.Code`; the JSON body carries `__type` and `message`.
 */

export const SERVICE_TARGET = 'GraniteServiceVersion20100801';

/**
 * A guard against gzip bombs, not a CloudWatch rule: the 1 MB limit counts the body as sent, and
 * 1000 datums of 150 values each stay well under this once inflated.
 */
const MAX_INFLATED = 16 << 20;

/** JSON `__type` of the Query error codes CloudWatch answers (its Smithy model's awsQueryError traits). */
const JSON_TYPES: Record<string, string> = {
  InvalidParameterValue: 'com.amazonaws.cloudwatch#InvalidParameterValueException',
  MissingParameter: 'com.amazonaws.cloudwatch#MissingRequiredParameterException',
  InvalidParameterCombination: 'com.amazonaws.cloudwatch#InvalidParameterCombinationException',
  InvalidNextToken: 'com.amazonaws.cloudwatch#InvalidNextToken',
  LimitExceeded: 'com.amazonaws.cloudwatch#LimitExceededFault',
  InternalServiceError: 'com.amazonaws.cloudwatch#InternalServiceFault',
  // Errors of the AWS front end, not of CloudWatch's model: the SDK names them by the Query code.
  Throttling: 'com.amazon.coral.availability#ThrottlingException',
  AccessDenied: 'com.amazon.coral.service#AccessDeniedException',
  InvalidClientTokenId: 'com.amazon.coral.service#UnrecognizedClientException',
  SignatureDoesNotMatch: 'com.amazon.coral.service#InvalidSignatureException',
  MissingAuthenticationToken: 'com.amazon.coral.service#MissingAuthenticationTokenException',
  IncompleteSignature: 'com.amazon.coral.service#IncompleteSignatureException',
  ExpiredToken: 'com.amazon.coral.service#ExpiredTokenException',
  InvalidAction: 'com.amazon.coral.service#UnknownOperationException',
  SerializationException: 'com.amazon.coral.service#SerializationException',
};

/** One decoded CloudWatch request. */
export interface CloudWatchRequest {
  readonly action: string;
  readonly input: Record<string, unknown>;
  /** `gzip` when the body arrived compressed (the SDK compresses PutMetricData from 10 KiB). */
  readonly contentEncoding?: string;
}

/** The Query protocol has no X-Amz-Target; the emulator speaks only the JSON protocol the pinned SDK uses. */
export function decodeRequest(req: SimRequest): CloudWatchRequest {
  const target = String(req.headers['x-amz-target'] ?? '');
  if (req.method !== 'POST' || !target) {
    throw new AwsError(
      'InvalidAction',
      'The emulated CloudWatch speaks AWS JSON 1.0 only (POST with X-Amz-Target: GraniteServiceVersion20100801.<Action>), as @aws-sdk/client-cloudwatch does; the Query protocol is not emulated.',
      400,
    );
  }
  const dot = target.lastIndexOf('.');
  if (target.slice(0, dot) !== SERVICE_TARGET) {
    throw new AwsError('InvalidAction', `Unknown X-Amz-Target service '${target.slice(0, dot)}' (CloudWatch is ${SERVICE_TARGET}).`, 400);
  }
  const action = target.slice(dot + 1);
  const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase() || undefined;
  let raw = req.body;
  if (encoding === 'gzip') {
    try {
      raw = gunzipSync(raw, { maxOutputLength: MAX_INFLATED });
    } catch (e) {
      throw new AwsError('SerializationException', `Content-Encoding gzip, but the body is not gzip data: ${(e as Error).message}`, 400);
    }
  } else if (encoding !== undefined && encoding !== 'identity') {
    throw new AwsError('SerializationException', `Unsupported Content-Encoding '${encoding}' (CloudWatch accepts gzip).`, 400);
  }
  let input: unknown;
  try {
    input = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new AwsError('SerializationException', `The request body is not JSON: ${(e as Error).message}`, 400);
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AwsError('SerializationException', 'The request body must be a JSON object.', 400);
  }
  return { action, input: input as Record<string, unknown>, ...(encoding ? { contentEncoding: encoding } : {}) };
}

const JSON_HEADERS = { 'content-type': 'application/x-amz-json-1.0' };

export function resultResponse(requestId: string, date: string, output: unknown): SimResponse {
  return {
    status: 200,
    headers: { ...JSON_HEADERS, 'x-amzn-requestid': requestId, date },
    body: JSON.stringify(output ?? {}),
  };
}

export function errorResponse(err: AwsError, requestId: string, date: string): SimResponse {
  const fault = err.status >= 500 ? 'Receiver' : 'Sender';
  return {
    status: err.status,
    headers: {
      ...JSON_HEADERS,
      'x-amzn-requestid': requestId,
      'x-amzn-query-error': `${err.code};${fault}`,
      date,
    },
    body: JSON.stringify({ __type: JSON_TYPES[err.code] ?? err.code, message: err.message }),
  };
}
