/**
 * ADD (CNI spec §ADD, DESIGN.md §2): ask ipamd for the pod's address, wire the netns to it,
 * return the interfaces and the /32. If the wiring fails it is undone and the address given back
 * (unless ipamd says an earlier ADD of the same triple holds it), so nothing leaks either way.
 */
import { existsSync } from 'node:fs';
import type { NetConf } from '../config.ts';
import type { CniEnv } from '../env.ts';
import { CniError, CODE } from '../errors.ts';
import type { IpamPort, TripleKey } from '../ports.ts';
import { buildResult } from '../result.ts';
import { POD_GATEWAY } from '../wire/constants.ts';
import { fromIpam } from './ipam-errors.ts';
import type { Phases } from './phases.ts';

export async function cmdAdd(env: CniEnv, conf: NetConf, ipam: IpamPort, phases: Phases): Promise<Record<string, unknown>> {
  // Cheap, and it spares ipamd an allocation for a sandbox that is already gone (code 3).
  if (!existsSync(env.netns)) throw new CniError(CODE.UNKNOWN_CONTAINER, `network namespace ${env.netns} does not exist`);
  const key: TripleKey = { networkName: conf.name, containerId: env.containerId, ifName: env.ifName };
  const asked = ipam.add(key, env.netns, env.pod).then(
    (reply) => ({ reply }),
    (error: unknown) => ({ error }),
  );
  // While ipamd works, load the kernel half (child processes): one loop turn first, so the request
  // is on the socket before this synchronous work starts.
  await new Promise((resolve) => setImmediate(resolve));
  const { WireError, wirePod } = await import('../wire/pod.ts');
  const answer = await asked;
  if ('error' in answer) throw fromIpam(answer.error, `no address for ${env.containerId}`, conf.socket);
  const reply = answer.reply;
  phases.mark('ipam');
  const hostVeth = reply.hostVethName;
  try {
    const w = await wirePod({
      netnsPath: env.netns,
      ifName: env.ifName,
      hostVeth,
      podIp: reply.ipv4Address,
      mtu: reply.mtu,
      routeTable: reply.routeTable,
    });
    phases.mark('wire');
    return buildResult({ ...w, netns: env.netns, gateway: POD_GATEWAY }, conf.cniVersion);
  } catch (e) {
    phases.mark('wire');
    if (!reply.existing) {
      await ipam.del(key, 'cni-add-failed').catch(() => undefined); // ipamd down: the runtime's DEL will release it
    }
    if (e instanceof WireError) {
      const code = e.code === 'CNI_WIRE_IFNAME_EXISTS' ? CODE.INTERFACE_EXISTS : e.code === 'CNI_WIRE_NETNS_NOT_FOUND' ? CODE.UNKNOWN_CONTAINER : CODE.WIRING_FAILED;
      throw new CniError(code, e.message, `address ${reply.ipv4Address} ${reply.existing ? 'kept (held by an earlier ADD)' : 'released'}`);
    }
    throw e;
  }
}
