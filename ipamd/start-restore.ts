/**
 * ipamd's start: the ledger rebuilt before anything is served (DESIGN.md §3). The checkpoint is
 * replayed against the kernel's evidence (a veth that is gone drops its allocation; an address the
 * kernel routes to another pod's veth is proven wrong), the release notes the plugin left while
 * ipamd was down are applied, addresses running pods use that the checkpoint lost are recovered from
 * the kernel, and the address history is reconciled with the result.
 */
import type { Config } from './config.ts';
import type { Checkpoint } from './datastore/checkpoint.ts';
import type { Datastore } from './datastore/datastore.ts';
import type { VethExists } from './datastore/types.ts';
import type { DriftLog } from './drift.ts';
import type { KernelCommands } from './host-network/commands.ts';
import type { HistoryJournal } from './history/journal.ts';
import type { KernelAudit } from './kernel-audit.ts';
import type { Logger } from './logger.ts';
import type { MetricsPort } from './metrics/port.ts';
import { readReleaseNotes, removeReleaseNote } from './release-notes.ts';
import { vethExistsAmong, vethExistsIn } from './veth.ts';

export interface RestoreSources {
  readonly config: Config;
  readonly checkpoint: Checkpoint;
  readonly store: Datastore;
  /** The kernel audit; undefined with host networking off (no kernel to read). */
  readonly audit: KernelAudit | undefined;
  readonly kernel: KernelCommands;
  readonly drift: DriftLog;
  readonly logger: Logger;
  readonly metrics: MetricsPort;
  readonly history: HistoryJournal | undefined;
  /** A test's answer to "does this allocation's veth exist" (IpamdDeps.vethExists). */
  readonly vethExists?: VethExists;
  /** A test's directory of veth names (IpamdDeps.netDir, VPCWIRE_NET_DIR). */
  readonly netDir?: string;
}

export async function restoreLedger(o: RestoreSources): Promise<void> {
  const { config, checkpoint, store, audit, kernel, drift, logger, metrics, history } = o;
  const loaded = await checkpoint.load();
  // Read before the replay: an allocation whose address the kernel routes to another pod's veth
  // is proven wrong, and a veth's existence is read from the same listing. A kernel that cannot
  // be read stops the start: without it a lost checkpoint would hand out running pods' addresses.
  const evidence = await audit?.read();
  const vethExists: VethExists =
    o.vethExists ??
    (evidence && o.netDir === undefined
      ? (a) => Promise.resolve(evidence.links.has(audit!.vethOf(a)))
      : await defaultVethExists(config, o.netDir, kernel));
  const report = await store.restore(loaded.state, {
    vethExists,
    ...(evidence ? { kernel: { routed: evidence.routed, vethOf: audit!.vethOf } } : {}),
  });
  logger.info('checkpoint replayed', { report });

  const notes = await readReleaseNotes(config.releaseNotesDir, logger);
  for (const bad of notes.bad) logger.error('unreadable release note left in place', { file: bad });
  for (const n of notes.notes) {
    await store.release({ networkName: n.network, containerId: n.containerId, ifName: n.ifName });
    await removeReleaseNote(n);
    metrics.releaseNoteReplayed();
    logger.info('replayed release note', { network: n.network, containerId: n.containerId, ifName: n.ifName });
  }

  if (audit && evidence) {
    const found = await audit.run(evidence, { dropped: report.dropped.map((d) => d.allocation.ip) });
    const lost = loaded.missing ? 'MISSING' : loaded.corrupt ? 'CORRUPT' : undefined;
    if (found.recovered.length > 0) {
      const what = `${found.recovered.length} address(es) routed to running pods' veths had no allocation in the checkpoint`;
      if (lost) drift.note('checkpoint-lost', config.checkpointPath, `CHECKPOINT ${lost} at ${config.checkpointPath} with pods running: ${what}; recovered from the kernel`, { repaired: true });
      logger.error(`${lost ? `CHECKPOINT ${lost}: ` : ''}recovered ${found.recovered.length} allocation(s) from the kernel`, {
        checkpoint: config.checkpointPath,
        recovered: found.recovered.map((a) => ({ ip: a.ip, hostVeth: a.hostVeth, eniId: a.eniId })),
      });
    } else if (lost === 'MISSING') {
      logger.info('no checkpoint and no running pods in the kernel: a new node', { checkpoint: config.checkpointPath });
    }
  }

  if (history) {
    const h = await history.reconcile(store.allocations());
    logger.info('address history reconciled with the ledger', { dir: config.history!.dir, ...h, ...history.stats() });
  }
}

/**
 * Whether a pod's host veth still exists, for the checkpoint replay (DESIGN.md §3). A test's
 * directory of names (VPCWIRE_NET_DIR) wins; with VPCWIRE_HOST_NETNS the node's links are listed
 * once (`ip -n <ns> -j link show`), not once per allocation; otherwise our own /sys/class/net.
 */
async function defaultVethExists(config: Config, netDir: string | undefined, kernel: KernelCommands): Promise<VethExists> {
  if (netDir !== undefined || config.hostNetns === undefined) {
    const exists = vethExistsIn(netDir ?? '/sys/class/net', config.vethPrefix);
    return (alloc) => exists(alloc);
  }
  // A failed listing fails each check, which keeps the allocation (restore.ts): leaking an
  // address until GC is recoverable, handing a live pod's address to another pod is not.
  const names = await kernel.linkNames().catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  if (names instanceof Error) return () => Promise.reject(names);
  const exists = vethExistsAmong(names, config.vethPrefix);
  return (alloc) => Promise.resolve(exists(alloc));
}
