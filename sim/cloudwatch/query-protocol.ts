import type { AwsError } from '../errors.ts';
import type { SimResponse } from '../http/types.ts';
import { buildXml } from '../http/xml.ts';
import type { Json } from './input.ts';

/**
 * CloudWatch's Query protocol (version 2010-08-01), which the AWS CLI v1, boto3 before its JSON
 * switch and other older SDKs speak: form parameters in, `<{Action}Response><{Action}Result>` XML
 * out, `<ErrorResponse><Error><Type/><Code/><Message/></Error>` on failure. The form is turned into
 * the same input the JSON protocol carries, so both go through one validation.
 */

export const CLOUDWATCH_XMLNS = 'http://monitoring.amazonaws.com/doc/2010-08-01/';

/** Members the Query form carries as text but the model types as numbers or booleans. */
const NUMBERS = new Set(['Value', 'Values', 'Counts', 'SampleCount', 'Sum', 'Minimum', 'Maximum', 'StorageResolution', 'Period', 'MaxDatapoints']);
const BOOLEANS = new Set(['ReturnData', 'IncludeLinkedAccounts', 'StrictEntityValidation']);
const NUMERIC = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function typed(name: string, text: string): unknown {
  // Text that is not a number stays text, so validation names it (`must be a number`).
  if (NUMBERS.has(name) && NUMERIC.test(text)) return Number(text);
  if (BOOLEANS.has(name) && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

/**
 * `MetricData.member.2.Dimensions.member.1.Name=x` -> `{ MetricData: [, { Dimensions: [{ Name: 'x' }] }] }`:
 * `member.N` is the Nth element of the list named before it.
 */
export function formToInput(form: URLSearchParams): Json {
  const root: Json = {};
  for (const [key, text] of form) {
    if (key === 'Action' || key === 'Version') continue;
    const parts = key.split('.');
    let node: Json | unknown[] = root;
    let listName = '';
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const last = i === parts.length - 1;
      if (part === 'member' && Array.isArray(node)) continue;
      const index = Array.isArray(node) ? Number(part) - 1 : undefined;
      const slot: string | number = index ?? part;
      if (!Array.isArray(node)) listName = part;
      if (last) {
        (node as Record<string | number, unknown>)[slot] = typed(listName, text);
        break;
      }
      const container = node as Record<string | number, unknown>;
      const isList = parts[i + 1] === 'member';
      container[slot] ??= isList ? [] : {};
      node = container[slot] as Json | unknown[];
    }
  }
  return root;
}

type Xml = string | number | boolean | readonly Xml[] | { readonly [k: string]: Xml | { member: Xml[] } } | { member: Xml[] };

/** JSON output -> Query XML: lists become `<member>` elements, Dates ISO 8601. */
function toXml(v: unknown): Xml {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return { member: v.map(toXml) };
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, toXml(x)]));
  }
  return v as string | number | boolean;
}

const headers = (requestId: string, date: string) => ({ 'content-type': 'text/xml', 'x-amzn-requestid': requestId, date });

export function queryResultResponse(action: string, output: Json, requestId: string, date: string): SimResponse {
  const result = Object.keys(output).length > 0 ? { [`${action}Result`]: toXml(output) } : {};
  const body = buildXml({
    [`${action}Response`]: { '@_xmlns': CLOUDWATCH_XMLNS, ...result, ResponseMetadata: { RequestId: requestId } },
  });
  return { status: 200, headers: headers(requestId, date), body };
}

export function queryErrorResponse(err: AwsError, requestId: string, date: string): SimResponse {
  const body = buildXml({
    ErrorResponse: {
      '@_xmlns': CLOUDWATCH_XMLNS,
      Error: { Type: err.status >= 500 ? 'Receiver' : 'Sender', Code: err.code, Message: err.message },
      RequestId: requestId,
    },
  });
  return { status: err.status, headers: headers(requestId, date), body };
}
