import type { IncomingHttpHeaders } from 'node:http';

/** A request as every emulated service sees it: the body already read, the form already parsed. */
export interface SimRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** Query string parameters. */
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body parsed as application/x-www-form-urlencoded (empty when it is not a form). */
  readonly form: URLSearchParams;
  /** Raw URL as received (path + query), needed to verify SigV4 signatures. */
  readonly rawUrl: string;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

export type SimHandler = (req: SimRequest) => Promise<SimResponse> | SimResponse;
