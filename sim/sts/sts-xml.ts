import type { AwsError } from '../errors.ts';
import type { SimResponse } from '../http/types.ts';
import { buildXml } from '../http/xml.ts';

/**
 * STS answers in the awsQuery XML shapes: `<{Action}Response><{Action}Result>...` on success and
 * `<ErrorResponse><Error>...</Error><RequestId>` on failure. The SDK's awsQuery deserializer unwraps
 * exactly `{Action}Result` and reads `Error.Code`, so these element names are the contract.
 */

export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** A value is either text or nested elements; undefined members are left out, as AWS omits them. */
export type XmlValue = string | number | { readonly [name: string]: XmlValue | undefined };

/** AWS timestamps in STS bodies are ISO 8601 UTC with second precision, e.g. 2024-01-02T03:04:05Z. */
export const isoSeconds = (epochMs: number) => new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Headers real STS sends. `date` comes from the emulator's clock: the SDK resets its clock offset
 * from it on every response, so clients stay in step with an injected clock.
 */
function headers(requestId: string, now: number): Record<string, string> {
  return { 'content-type': 'text/xml', 'x-amzn-requestid': requestId, date: new Date(now).toUTCString() };
}

export function resultResponse(
  action: string,
  result: { readonly [name: string]: XmlValue | undefined },
  requestId: string,
  now: number,
): SimResponse {
  const body = buildXml({
    [`${action}Response`]: {
      '@_xmlns': STS_XMLNS,
      [`${action}Result`]: result,
      ResponseMetadata: { RequestId: requestId },
    },
  });
  return { status: 200, headers: headers(requestId, now), body };
}

export function errorResponse(err: AwsError, requestId: string, now: number): SimResponse {
  const body = buildXml({
    ErrorResponse: {
      '@_xmlns': STS_XMLNS,
      Error: { Type: err.status >= 500 ? 'Receiver' : 'Sender', Code: err.code, Message: err.message },
      RequestId: requestId,
    },
  });
  return { status: err.status, headers: headers(requestId, now), body };
}
