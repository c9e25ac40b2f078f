/**
 * `/v1/history?ip=10.0.3.7[&at=<RFC 3339|now>]` for ipamd's introspection server (issue 13 item
 * 4; the server and its wiring are the metrics work's). It reads the files as the CLI does and
 * gives the same answers (query.ts), but, like upstream's introspection, never container IDs,
 * interface names or veths: pod identity only. 400 names the bad parameter; 503 when the history
 * is off or unreadable.
 *
 * One query at a time: a query reads up to the whole history (256 MiB by default) and any local
 * process may ask, so parallel queries could stall or exhaust ipamd, whose job is ADD and DEL.
 * Another query meanwhile is answered at once with 503 and `Retry-After: 1`. 503, not 429: the
 * limit is ipamd's capacity, shared by every caller, not a rate one caller exceeded; 503 is the
 * status RFC 9110 gives a temporary overload, and `Retry-After` (with `busy: true` in the body)
 * tells it from the history being off or unreadable, which have none.
 */
import { heldAt, HistoryQueryError, iso, newestFirst, parseAddress, parseTime, recordJson } from './query.ts';
import { readHistory } from './reader.ts';

export interface HistoryRouteOptions {
  /** The history directory (config.history.dir); undefined when VPCWIRE_HISTORY=false. */
  readonly dir: string | undefined;
  readonly now?: () => number;
}

type Answer = { status: number; body: unknown; headers?: Readonly<Record<string, string>> };

export const RETRY_AFTER_SECONDS = 1;

export function historyRoute(opts: HistoryRouteOptions): (query: URLSearchParams) => Promise<Answer> {
  let running = false;
  return async (query) => {
    if (opts.dir === undefined) return { status: 503, body: { error: 'the address history is off (VPCWIRE_HISTORY=false)' } };
    let ip: string;
    let at: number | undefined;
    try {
      ip = parseAddress(query.get('ip'));
      const atText = query.get('at');
      at = atText === null ? undefined : parseTime(atText, opts.now);
    } catch (e) {
      if (e instanceof HistoryQueryError) return { status: 400, body: { error: e.message } };
      throw e;
    }
    if (running) {
      return {
        status: 503,
        headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
        body: { error: `another address history query is running (one at a time); retry in ${RETRY_AFTER_SECONDS} s`, busy: true, retryAfterSeconds: RETRY_AFTER_SECONDS },
      };
    }
    running = true;
    let read;
    try {
      read = await readHistory(opts.dir, { ip });
    } catch (e) {
      return { status: 503, body: { error: `cannot read the address history: ${(e as Error).message}` } };
    } finally {
      running = false;
    }
    const skipped = read.problems.length;
    if (at !== undefined) {
      const holders = heldAt(read.records, at).map((a) => ({ certainty: a.certainty, ...recordJson(a.record, { withContainer: false }) }));
      return { status: 200, body: { ip, at: iso(at), holders, skippedLines: skipped } };
    }
    const holdings = newestFirst(read.records).map((r) => recordJson(r, { withContainer: false }));
    return { status: 200, body: { ip, holdings, skippedLines: skipped } };
  };
}
