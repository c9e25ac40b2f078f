import { TAG_CLUSTER_NAME, TAG_CREATED_AT, TAG_INSTANCE_ID } from './eni-manager.ts';
import { isIpamdError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { Ec2Eni, Ec2Port } from './ports.ts';

/** ENIs left `available` by a crash between create and attach, or by a failed delete. */
export const LEAK_MIN_AGE_MS = 5 * 60_000;

/**
 * Deletes available ENIs tagged as this node's (or this cluster's) that are older than five
 * minutes (DESIGN.md §3). Younger ones may be mid-creation by a node that is about to attach them.
 */
export async function sweepLeakedEnis(deps: {
  ec2: Ec2Port;
  instanceId: string;
  clusterName: string | undefined;
  logger: Logger;
  now: () => number;
  minAgeMs?: number;
}): Promise<string[]> {
  const { ec2, logger } = deps;
  const found = new Map<string, Ec2Eni>();
  for (const e of await ec2.availableEnisTagged(TAG_INSTANCE_ID, deps.instanceId)) found.set(e.id, e);
  if (deps.clusterName) {
    for (const e of await ec2.availableEnisTagged(TAG_CLUSTER_NAME, deps.clusterName)) found.set(e.id, e);
  }
  const deleted: string[] = [];
  for (const eni of found.values()) {
    const created = Date.parse(eni.tags[TAG_CREATED_AT] ?? '');
    if (!Number.isFinite(created) || deps.now() - created < (deps.minAgeMs ?? LEAK_MIN_AGE_MS)) continue;
    try {
      await ec2.deleteEni(eni.id);
      deleted.push(eni.id);
      logger.info('deleted leaked ENI', { eniId: eni.id, createdAt: eni.tags[TAG_CREATED_AT] });
    } catch (e) {
      if (!isIpamdError(e, 'IPAMD_EC2_NOT_FOUND')) logger.warn('could not delete leaked ENI', { eniId: eni.id, error: String(e) });
    }
  }
  return deleted;
}
