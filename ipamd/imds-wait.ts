/**
 * ipamd's first contact with IMDS (issue 9 item 5): nothing works before ipamd knows its instance,
 * so it waits for IMDS, but boundedly and saying so. Every failed attempt is one log line naming
 * the endpoint, the attempt, the error, when the next attempt comes and when it gives up; after
 * `waitMs` it stops with one IPAMD_IMDS_UNAVAILABLE error that says what to check. Each attempt is a
 * single try per path (the SDK's own retries would hide several seconds behind one attempt) and
 * the last one is cut at the deadline, so the whole wait ends within `waitMs` plus about a second.
 */
import { IpamdError } from './errors.ts';
import type { ImdsPort, InstanceIdentity } from './ports.ts';

export interface WaitLogger {
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

export interface ImdsWaitOptions {
  /** Named in every message: which IMDS ipamd is waiting for. */
  readonly endpoint: string;
  /** How long to keep trying (VPCWIRE_IMDS_WAIT_MS). */
  readonly waitMs: number;
  readonly logger: WaitLogger;
  /** Pause after the first failure; it doubles up to maxPauseMs. */
  readonly firstPauseMs?: number;
  readonly maxPauseMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The least an attempt gets, even when it starts at the deadline. */
const MIN_ATTEMPT_MS = 1000;

const seconds = (ms: number): string => `${Number((Math.max(ms, 0) / 1000).toFixed(1))} s`;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One line, whatever the SDK put in its message. */
const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ').trim();

function withDeadline<T>(attempt: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${seconds(ms)}`)), ms);
  });
  return Promise.race([attempt, late]).finally(() => clearTimeout(timer));
}

/** The instance's identity from IMDS, retried with backoff for at most `waitMs`. */
export async function waitForIdentity(imds: ImdsPort, o: ImdsWaitOptions): Promise<InstanceIdentity> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? defaultSleep;
  const maxPause = o.maxPauseMs ?? 5000;
  const started = now();
  const deadline = started + o.waitMs;
  let pause = o.firstPauseMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    let error: string;
    try {
      const identity = await withDeadline(imds.identity({ singleTry: true }), Math.max(deadline - now(), MIN_ATTEMPT_MS));
      if (attempt > 1) {
        o.logger.info(`IMDS at ${o.endpoint} answered at attempt ${attempt}`, { endpoint: o.endpoint, attempt, waitedMs: now() - started });
      }
      return identity;
    } catch (e) {
      error = describe(e);
    }
    const left = deadline - now();
    if (left <= 0) {
      throw new IpamdError(
        'IPAMD_IMDS_UNAVAILABLE',
        `IMDS at ${o.endpoint} did not answer within ${seconds(o.waitMs)} (${attempt} attempt${attempt === 1 ? '' : 's'}; last error: ${error}). ` +
          'ipamd needs the instance metadata service (IMDSv2) to discover its instance: check that it is enabled and reachable ' +
          'from the node, or set VPCWIRE_IMDS_ENDPOINT; VPCWIRE_IMDS_WAIT_MS sets how long to wait',
      );
    }
    const next = Math.min(pause, left);
    o.logger.warn(
      `waiting for IMDS at ${o.endpoint}: attempt ${attempt} failed (${error}); next attempt in ${seconds(next)}, giving up in ${seconds(left)}`,
      { endpoint: o.endpoint, attempt, error, waitedMs: now() - started, giveUpInMs: left },
    );
    await sleep(next);
    pause = Math.min(pause * 2, maxPause);
  }
}
