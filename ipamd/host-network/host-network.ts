/**
 * ipamd's host networking on the node (DESIGN.md §2, issue 4 item 2): per secondary ENI, its
 * link, address, route table and rule; node egress (SNAT, connmark, fwmark rule). Plan from a
 * kernel snapshot (ip-plan.ts, egress-plan.ts), then act, then verify; one operation at a time.
 *
 * Idempotent across restarts: everything is compared with the kernel before anything is added,
 * iptables is rewritten per table only when it differs. `check()` repairs drift and reports what
 * it found; the daemon runs it before serving and then periodically.
 */
import pRetry from 'p-retry';
import type { SnatRandomization } from '../config.ts';
import { IpamdError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { HostCheckReport, HostEni, HostNetworkPort } from '../ports.ts';
import type { KernelCommands } from './commands.ts';
import { parseIptablesSave, planEgress } from './egress-plan.ts';
import { eniTable, linkByMac, planEni, planNodeRules, teardownLines } from './ip-plan.ts';

export interface LinkWait {
  /** Snapshots taken while an attached ENI's link has not appeared yet (IMDS lag, udev). */
  readonly attempts: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

/** About 9 s in all: 50, 100, 200, 400, 800, 1600, 2000, 2000, 2000 ms. */
export const DEFAULT_LINK_WAIT: LinkWait = { attempts: 10, minDelayMs: 50, maxDelayMs: 2000 };

export interface HostNetworkOptions {
  readonly commands: KernelCommands;
  readonly logger: Logger;
  /** AWS_VPC_ENI_MTU. */
  readonly mtu: number;
  readonly primaryMac: string;
  readonly primaryIp: string;
  readonly vpcCidrs: readonly string[];
  readonly excludeSnatCidrs: readonly string[];
  readonly externalSnat: boolean;
  readonly randomizeSnat: SnatRandomization;
  readonly vethPrefix: string;
  /** ENI route tables are 2..maxTable; stale ones in that range are flushed, nothing else. */
  readonly maxTable: number;
  readonly linkWait?: Partial<LinkWait>;
}

export class HostNetwork implements HostNetworkPort {
  readonly #o: HostNetworkOptions;
  readonly #wait: LinkWait;
  /** The secondary ENIs that should be configured (set up, not torn down). */
  readonly #enis = new Map<string, HostEni>();
  #queue: Promise<unknown> = Promise.resolve();
  #checks = 0;

  constructor(o: HostNetworkOptions) {
    this.#o = o;
    this.#wait = { ...DEFAULT_LINK_WAIT, ...o.linkWait };
  }

  /** The ENIs this node should have configured (for tests and status). */
  get enis(): HostEni[] {
    return [...this.#enis.values()];
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  setupEni(eni: HostEni): Promise<void> {
    return this.#exclusive(async () => {
      const { commands, logger, mtu } = this.#o;
      // Registered first: a periodic check meanwhile must not take its table for stale.
      this.#enis.set(eni.eniId, eni);
      const started = performance.now();
      // Bounded exponential backoff while the link appears (IMDS lag, udev), through p-retry.
      const plan = await pRetry(
        async () => {
          const p = planEni(await commands.snapshot(), eni, mtu);
          if (!p.link) throw new IpamdError('IPAMD_TIMEOUT', `no link with MAC ${eni.mac} (ENI ${eni.eniId}) in ${commands.where} yet`);
          return p;
        },
        { retries: this.#wait.attempts - 1, minTimeout: this.#wait.minDelayMs, maxTimeout: this.#wait.maxDelayMs, factor: 2, randomize: false },
      ).catch((e: unknown) => {
        if (!(e instanceof IpamdError) || e.code !== 'IPAMD_TIMEOUT') throw e;
        throw new IpamdError(
          'IPAMD_TIMEOUT',
          `no link with MAC ${eni.mac} (ENI ${eni.eniId}) appeared in ${commands.where} within ${Math.round(performance.now() - started)} ms`,
        );
      });
      await commands.ipBatch(plan.lines);
      const after = planEni(await commands.snapshot(), eni, mtu);
      if (after.lines.length) {
        throw new IpamdError('IPAMD_INTERNAL', `ENI ${eni.eniId} on ${plan.link}: still missing after setup: ${after.missing.join('; ')}`);
      }
      const fields = { eniId: eni.eniId, link: plan.link, table: eniTable(eni), ms: Math.round(performance.now() - started) };
      if (plan.missing.length || plan.removed.length) {
        logger.info('ENI host network configured', { ...fields, added: plan.missing, removed: plan.removed });
      } else {
        logger.info('ENI host network already in place', fields);
      }
    });
  }

  teardownEni(eniId: string): Promise<void> {
    return this.#exclusive(async () => {
      const eni = this.#enis.get(eniId);
      if (!eni) return;
      this.#enis.delete(eniId);
      const failures = await this.#o.commands.ipBatch(teardownLines(eni), { force: true });
      const real = failures.filter((f) => !/No such file|No such process|Cannot find/.test(f.message));
      if (real.length) {
        throw new IpamdError('IPAMD_INTERNAL', `ENI ${eniId}: ${real.map((f) => `\`${f.line}\`: ${f.message}`).join('; ')}`);
      }
      this.#o.logger.info('ENI host network removed', { eniId, table: eniTable(eni) });
    });
  }

  check(): Promise<HostCheckReport> {
    return this.#exclusive(() => this.#check());
  }

  /**
   * Loose reverse-path filtering on the primary interface, as upstream sets it: replies to SNATed
   * pod connections and NodePort requests arrive on the primary ENI for a pod whose address
   * routes out of a secondary ENI (rule 1536), which strict filtering (1) would drop.
   */
  async #looseRpFilter(link: string, now: string | Error, missing: string[], unrepaired: string[]): Promise<void> {
    const key = `net/ipv4/conf/${link}/rp_filter`;
    try {
      if (now instanceof Error) throw now;
      if (now === '2') return;
      missing.push(`${key} = 2 (is ${now})`);
      await this.#o.commands.writeSysctl(key, '2');
    } catch (e) {
      unrepaired.push(`${key}: ${(e as Error).message}`);
    }
  }

  async #check(): Promise<HostCheckReport> {
    const o = this.#o;
    const started = performance.now();
    const first = this.#checks++ === 0;
    // The rp_filter read overlaps iptables-save: each is a process start in another netns.
    const [[snap, rpFilter], saved] = await Promise.all([
      o.commands.snapshot().then(async (s) => {
        const link = linkByMac(s, o.primaryMac)?.name;
        const value = link ? await o.commands.readSysctl(`net/ipv4/conf/${link}/rp_filter`).catch((e: Error) => e) : undefined;
        return [s, value] as const;
      }),
      o.commands.iptablesSave(),
    ]);
    const missing: string[] = [];
    const removed: string[] = [];
    const unrepaired: string[] = [];
    const lines: string[] = [];
    for (const eni of this.#enis.values()) {
      const p = planEni(snap, eni, o.mtu);
      if (!p.link) {
        unrepaired.push(...p.missing.map((m) => `${eni.eniId}: ${m}`));
        continue;
      }
      missing.push(...p.missing);
      removed.push(...p.removed);
      lines.push(...p.lines);
    }
    const node = planNodeRules(snap, { enis: [...this.#enis.values()], maxTable: o.maxTable, externalSnat: o.externalSnat });
    missing.push(...node.missing);
    removed.push(...node.removed);
    lines.push(...node.lines);
    const primaryLink = linkByMac(snap, o.primaryMac)?.name;
    if (!primaryLink) unrepaired.push(`primary link with MAC ${o.primaryMac} (NodePort mark and rp_filter left out)`);
    else await this.#looseRpFilter(primaryLink, rpFilter ?? new Error('not read'), missing, unrepaired);
    const egress = planEgress(parseIptablesSave(saved), { ...o, primaryLink });
    missing.push(...egress.missing);
    removed.push(...egress.removed);

    if (lines.length) {
      const failures = await o.commands.ipBatch(lines, { force: true });
      for (const f of failures) {
        // Deleting what vanished meanwhile is fine; anything else is retried next check.
        if (!(/^(rule|route) del/.test(f.line) && /No such file|No such process/.test(f.message))) unrepaired.push(`\`${f.line}\`: ${f.message}`);
      }
    }
    if (egress.restore) {
      try {
        await o.commands.iptablesRestore(egress.restore);
      } catch (e) {
        unrepaired.push(`iptables: ${(e as Error).message}`);
      }
    }
    const report: HostCheckReport = { missing, removed, unrepaired, durationMs: Math.round((performance.now() - started) * 10) / 10 };
    const fields = { where: o.commands.where, ...report };
    if (first && egress.fresh && removed.length === 0) {
      o.logger.info('node host network set up', fields);
    } else if (missing.length || removed.length) {
      o.logger.warn('host network drift repaired', fields);
    } else {
      o.logger.debug('host network as it should be', { durationMs: report.durationMs });
    }
    if (unrepaired.length) o.logger.warn('host network not fully repaired; retrying next check', { unrepaired });
    return report;
  }
}

/** VPCWIRE_HOST_NETWORK=false: no kernel work at all (tests and the demo without root). */
export const disabledHostNetwork: HostNetworkPort = {
  setupEni: () => Promise.resolve(),
  teardownEni: () => Promise.resolve(),
  check: () => Promise.resolve({ missing: [], removed: [], unrepaired: [], durationMs: 0 }),
};
