/**
 * The real plugin binary for tests (issue 4: "the real plugin binary as a runtime execs it"):
 * build/cni/vpcwire, built once per run by `npm test` and rebuilt here only if missing or stale.
 */
import { buildPlugin } from '../../cni/build.ts';
import { ip } from '../../sim/dataplane/ip.ts';

let built: Promise<string> | undefined;

export function pluginBinary(): Promise<string> {
  built ??= buildPlugin().then((r) => r.path);
  return built;
}

/** A link's transmit counter in a netns (to show which ENI a pod's traffic leaves through). */
export async function txPackets(netns: string, dev: string): Promise<number> {
  const [l] = JSON.parse(await ip(['-s', '-j', 'link', 'show', 'dev', dev], netns)) as { stats64: { tx: { packets: number } } }[];
  return l!.stats64.tx.packets;
}

/** Link kinds in a netns (`ip -d`), to show that nothing encapsulates. */
export async function linkKinds(netns: string): Promise<string[]> {
  const links = JSON.parse(await ip(['-d', '-j', 'link', 'show'], netns)) as { ifname: string; linkinfo?: { info_kind?: string } }[];
  return links.map((l) => l.linkinfo?.info_kind ?? 'none');
}
