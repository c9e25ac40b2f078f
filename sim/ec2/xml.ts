import type { AwsError } from '../errors.ts';
import { buildXml } from '../http/xml.ts';

export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** A value as EC2 serialises it: arrays become `<item>` lists, dates ISO 8601, booleans lower case. */
export type XmlValue =
  | string
  | number
  | boolean
  | Date
  | undefined
  | null
  | XmlValue[]
  | { [k: string]: XmlValue };

function shape(v: XmlValue): unknown {
  if (v === undefined || v === null) return undefined;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.length === 0 ? '' : { item: v.map(shape) };
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const s = shape(x);
      if (s !== undefined) out[k] = s;
    }
    return out;
  }
  return String(v);
}

export function renderResult(action: string, requestId: string, body: Record<string, XmlValue>): string {
  const doc = {
    [`${action}Response`]: { '@_xmlns': EC2_XMLNS, requestId, ...(shape(body) as object) },
  };
  return buildXml(doc);
}

/** EC2's error envelope (note `RequestID`, unlike the result's `requestId`). */
export function renderError(err: AwsError, requestId: string): string {
  return buildXml({ Response: { Errors: { Error: { Code: err.code, Message: err.message } }, RequestID: requestId } });
}
