/**
 * Host networking of secondary ENIs as the pool sees it (DESIGN.md §2): an ENI's addresses enter
 * the pool only once its link, table and rule are set up. An attached ENI whose setup failed is
 * kept out and remembered here (eniId -> why), retried at each resync; while any is pending the
 * reconciler creates no further ENI, or a node whose setup fails would attach ENIs until the
 * instance limit.
 */
import type { Logger } from './logger.ts';
import type { HostEni, HostNetworkPort } from './ports.ts';

export class EniHostSetup {
  readonly #host: HostNetworkPort;
  readonly #logger: Logger;
  readonly #pending = new Map<string, string>();

  constructor(host: HostNetworkPort, logger: Logger) {
    this.#host = host;
    this.#logger = logger;
  }

  /** ENIs attached in EC2 but kept out of the pool because their host setup failed. */
  get pending(): ReadonlyMap<string, string> {
    return this.#pending;
  }

  /**
   * Sets up an ENI's host side. On failure the ENI stays out of the pool and is retried at the
   * next resync; `rethrow` passes the error on (the step fails, which schedules that resync).
   */
  async setup(eni: HostEni, rethrow: boolean): Promise<boolean> {
    try {
      await this.#host.setupEni(eni);
      this.#pending.delete(eni.eniId);
      return true;
    } catch (e) {
      this.#pending.set(eni.eniId, String(e));
      this.#logger.error('host network setup of an ENI failed; its addresses stay out of the pool until a resync sets it up', {
        eniId: eni.eniId,
        deviceIndex: eni.deviceIndex,
        error: String(e),
      });
      if (rethrow) throw e;
      return false;
    }
  }

  /** Removes an ENI's host side; a failure is left to the periodic host network check. */
  async teardown(eniId: string): Promise<void> {
    this.#pending.delete(eniId);
    await this.#host.teardownEni(eniId).catch((e) =>
      this.#logger.warn('removing an ENI host network failed; the host network check removes what is left', { eniId, error: String(e) }),
    );
  }
}
