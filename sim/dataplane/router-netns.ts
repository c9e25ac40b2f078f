/**
 * The single "VPC router" namespace every ENI links to, configured once at creation:
 * - ip_forward=1; rp_filter=1 (strict) on all/default: a packet whose source is not routed back
 *   through the link it came in on, i.e. not assigned to that ENI, is dropped: EC2's
 *   source/destination check.
 * - `blackhole default`: unassigned destinations are discarded silently (no ICMP), as in a VPC.
 * - default.proxy_arp=1, so every router link created later has proxy_arp=1: a node ARPing for
 *   another address of its subnet that lives behind another link gets the router's MAC.
 * - send_redirects=0: the VPC router never sends ICMP redirects (a packet can leave through the
 *   link it came from when a node sends to one of its own ENI's unconfigured addresses).
 * Per ENI (kernel-dataplane.ts): the subnet gateway as a /32 on the router link (answers the
 * node's ARP for its gateway without adding a subnet route; the kernel also refuses `onlink` next
 * hops on a link without any IPv4 address), plus the routes and neighbours of address-plan.ts.
 * Verified on Linux 6.18 with iproute2 6.1.
 */
import { DataPlaneError } from './errors.ts';
import { deleteNetns, ip, ipBatch, writeSysctls } from './ip.ts';

const noop = (): void => {};

export async function createRouterNetns(netns: string, id: string): Promise<void> {
  try {
    await ip(['netns', 'add', netns]);
  } catch (err) {
    if (err instanceof Error && /File exists/.test(err.message)) {
      throw new DataPlaneError(
        'SIM_DATAPLANE_CONFLICT',
        `netns ${netns} already exists: an earlier emulator with id ${id} was not cleaned up (run \`npm run sim -- cleanup\` as root)`,
      );
    }
    throw new DataPlaneError('SIM_DATAPLANE_KERNEL', `creating the VPC router netns: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    await writeSysctls(netns, {
      'net.ipv4.ip_forward': 1,
      'net.ipv4.conf.all.rp_filter': 1,
      'net.ipv4.conf.default.rp_filter': 1,
      'net.ipv4.conf.default.proxy_arp': 1,
      'net.ipv4.conf.all.send_redirects': 0,
      'net.ipv4.conf.default.send_redirects': 0,
    });
    await ipBatch(netns, ['link set lo up', 'route replace blackhole default']);
  } catch (err) {
    await deleteNetns(netns).catch(noop);
    throw new DataPlaneError('SIM_DATAPLANE_KERNEL', `configuring the VPC router netns: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
