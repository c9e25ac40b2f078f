import { gunzipSync } from 'node:zlib';
import { AwsError } from '../errors.ts';
import type { SimRequest, SimResponse } from '../http/types.ts';
import type { Json } from './input.ts';
import { formToInput, queryErrorResponse, queryResultResponse } from './query-protocol.ts';

/**
 * CloudWatch's wire protocol as @aws-sdk/client-cloudwatch 3.1164 speaks it: AWS JSON 1.0
 * (`POST /`, `Content-Type: application/x-amz-json-1.0`, `X-Amz-Target:
 * GraniteServiceVersion20100801.<Operation>`) in awsQuery-compatible mode (`x-amzn-query-mode:
 * true`), with PutMetricData bodies gzip'ed from 10 KiB (`Content-Encoding: gzip`, the SDK's
 * compression plugin). Errors are answered the way the SDK's AwsJson1_0Protocol with
 * awsQueryCompatible reads them (@aws-sdk/core protocols, ProtocolLib.setQueryCompatError /
 * findQueryCompatibleError): the Query error code and fault in `x-amzn-query-error: <Code>;<Sender|Receiver>`,
 * which picks the modeled exception class (InvalidParameterValue -> InvalidParameterValueException)
 * and `Error.Code`; the JSON body carries `__type` and `message`. A request without X-Amz-Target
 * but with an `Action` parameter is the Query protocol (query-protocol.ts).
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

export type Protocol = 'json' | 'query';

/** One decoded CloudWatch request. */
export interface CloudWatchRequest {
  readonly protocol: Protocol;
  readonly action: string;
  readonly input: Record<string, unknown>;
  /** `gzip` when the body arrived compressed (the SDK compresses PutMetricData from 10 KiB). */
  readonly contentEncoding?: string;
}

/** Which protocol a request speaks, before anything else is read: errors are answered in it. */
export function protocolOf(req: SimRequest): Protocol {
  if (req.headers['x-amz-target'] !== undefined) return 'json';
  return (req.method === 'GET' ? req.query : req.form).has('Action') ? 'query' : 'json';
}

export function decodeRequest(req: SimRequest): CloudWatchRequest {
  if (protocolOf(req) === 'query') {
    const form = req.method === 'GET' ? req.query : req.form;
    return { protocol: 'query', action: form.get('Action') ?? '', input: formToInput(form) };
  }
  const target = String(req.headers['x-amz-target'] ?? '');
  if (req.method !== 'POST' || !target) {
    throw new AwsError(
      'InvalidAction',
      'No action: CloudWatch takes AWS JSON 1.0 (POST with X-Amz-Target: GraniteServiceVersion20100801.<Action>, as @aws-sdk/client-cloudwatch sends) or the Query protocol (an Action parameter).',
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
  return { protocol: 'json', action, input: input as Record<string, unknown>, ...(encoding ? { contentEncoding: encoding } : {}) };
}

const JSON_HEADERS = { 'content-type': 'application/x-amz-json-1.0' };

/** Timestamps (Date in the handlers' output) go out as epoch seconds, the JSON protocol's default format. */
function epochSeconds(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Date ? raw.getTime() / 1000 : value;
}

export function resultResponse(protocol: Protocol, action: string, output: Json, requestId: string, date: string): SimResponse {
  if (protocol === 'query') return queryResultResponse(action, output, requestId, date);
  return {
    status: 200,
    headers: { ...JSON_HEADERS, 'x-amzn-requestid': requestId, date },
    body: JSON.stringify(output, epochSeconds),
  };
}

export function errorResponse(err: AwsError, requestId: string, date: string, protocol: Protocol = 'json'): SimResponse {
  if (protocol === 'query') return queryErrorResponse(err, requestId, date);
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
