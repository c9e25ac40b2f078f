/**
 * Where ipamd schedules work (issue 10 item 7): the reconciler's loop, the daemon's leaked-ENI
 * sweep and host-network check. Bounded waits (an ENI attaching, a link appearing, IMDS catching
 * up) go through p-retry instead. Injected beside the clock so tests drive them
 * by hand; Node's timers by default. Interval timers never keep the process alive (unref).
 */
export type TimerHandle = unknown;

export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};
