/**
 * The host network check, run at start, on a timer, and on demand (checkHostNetwork(): SIGUSR2 in
 * main.ts, issue 9 item 5). Repairs drift (a route or rule deleted by hand, a flushed iptables
 * table); what it could not repair is kept for the CNI STATUS verb (GetPoolStatus), raised as an
 * Event and counted. An on-demand call gets a pass that starts after the call: one queued behind a
 * running pass, however many calls come meanwhile.
 */
import type { Logger } from './logger.ts';
import type { MetricsPort } from './metrics/port.ts';
import type { Notices } from './notices.ts';
import type { HostNetworkPort } from './ports.ts';
import type { Timers } from './timers.ts';

export interface HostCheckLoop {
  /** What the last check could not repair ('' when nothing). */
  problem(): string;
  /** A check and repair that starts after this call. */
  checkNow(): Promise<void>;
  /** Checks every `intervalMs` from now (once ipamd serves). */
  startTimer(): void;
  /** Stops the timer and waits for a running pass. */
  stop(): Promise<void>;
}

/** Runs the first check (awaited: node egress and what a previous ipamd left half done, before the node gets pods). */
export async function startHostCheckLoop(o: {
  hostNetwork: HostNetworkPort;
  metrics: MetricsPort;
  notices: Notices;
  logger: Logger;
  timers: Timers;
  intervalMs: number;
}): Promise<HostCheckLoop> {
  const first = await o.hostNetwork.check();
  o.metrics.hostCheck(first);
  let problem = first.unrepaired.join('; ');
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  const checkNow = (): Promise<void> => {
    if (running) {
      queued ??= running.then(() => {
        queued = undefined;
        return checkNow();
      });
      return queued;
    }
    running = o.hostNetwork
      .check()
      .then(
        (r) => {
          o.metrics.hostCheck(r);
          problem = r.unrepaired.join('; ');
          if (problem) o.notices.warn('HostNetworkRepairFailed', `host networking could not be repaired: ${problem}`, 'RepairHostNetwork');
        },
        (e) => {
          o.metrics.ipamdError('host-network-check');
          problem = `host network check failed: ${String(e)}`;
          o.logger.warn('host network check failed', { error: String(e) });
        },
      )
      .finally(() => (running = undefined));
    return running;
  };
  let timer: ReturnType<Timers['setInterval']> | undefined;
  return {
    problem: () => problem,
    checkNow,
    startTimer() {
      timer ??= o.timers.setInterval(() => {
        if (!running) void checkNow(); // else the previous pass is still running
      }, o.intervalMs);
    },
    async stop() {
      if (timer !== undefined) o.timers.clearInterval(timer);
      await running;
      await queued;
    },
  };
}
