/**
 * DEL (CNI spec §DEL, DESIGN.md §5): idempotent, and it never fails for something already gone.
 * The pod's end is deleted inside its own netns (its host peer and route go with it) while ipamd
 * releases the address; the rules go once the address is known to be this container's. If ipamd
 * cannot be reached, the host side is torn down from prevResult and a durable release note is left
 * for ipamd to replay at start.
 */
import type { NetConf } from '../config.ts';
import type { CniEnv } from '../env.ts';
import { CniError, CODE } from '../errors.ts';
import { type IpamPort, type TripleKey, unreachable } from '../ports.ts';
import { readPrevious } from '../prev-result.ts';
import { removePodInterface, removePodRules } from '../wire/pod.ts';
import { fromIpam } from './ipam-errors.ts';
import type { Phases } from './phases.ts';

export async function cmdDel(env: CniEnv, conf: NetConf, ipam: IpamPort, phases: Phases): Promise<void> {
  const key: TripleKey = { networkName: conf.name, containerId: env.containerId, ifName: env.ifName };
  const prev = readPrevious(conf.prevResult, env.ifName);
  const netns = env.netns || prev.sandbox;
  // ipamd first: once the request is on the socket (one loop turn), the kernel's part runs while
  // ipamd answers (the `ip` run is synchronous, see wire/ip-batch.ts).
  const asked = ipam.del(key, 'cni-del', env.pod);
  asked.catch(() => undefined); // settled below; never an unhandled rejection meanwhile
  await new Promise((resolve) => setImmediate(resolve));
  let kernelError: Error | undefined;
  if (netns) await removePodInterface(netns, env.ifName).catch((e: Error) => (kernelError = e));
  phases.mark('link');
  const [released] = await Promise.allSettled([asked]);
  phases.mark('ipam');
  let ruleIp: string | undefined;
  if (released.status === 'fulfilled') {
    // Only an address ipamd just took back from this container: after a repeated DEL the one in
    // prevResult may already belong to another pod.
    ruleIp = released.value.released ? released.value.ipv4Address : undefined;
  } else if (unreachable(released.reason)) {
    try {
      // Loaded only here: it hashes with node:crypto, which costs every DEL 6-8 ms to load.
      (await import('../release-note.ts')).writeReleaseNote(conf.releaseNotesDir, key);
    } catch (e) {
      throw new CniError(CODE.IO_FAILURE, `ipamd is unreachable and the release note could not be written to ${conf.releaseNotesDir}: ${(e as Error).message}`);
    }
    ruleIp = prev.podIp; // ipamd still holds it for this container until it replays the note
  } else {
    throw fromIpam(released.reason, `releasing the address of ${env.containerId}`, conf.socket);
  }
  if (ruleIp) {
    await removePodRules(ruleIp).catch((e: Error) => {
      throw new CniError(CODE.WIRING_FAILED, `removing the rules of ${ruleIp}: ${e.message}`);
    });
  }
  phases.mark('rules');
  if (kernelError) {
    throw new CniError(CODE.WIRING_FAILED, `removing ${env.ifName} from ${netns}: ${kernelError.message}`);
  }
}
