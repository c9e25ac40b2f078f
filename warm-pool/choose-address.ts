/**
 * The address for a new pod: a free, never a cooling, address on a non-retired ENI with the most assigned
 * addresses (ties: lowest device index). Packing pods onto the fullest ENI lets the emptiest ones
 * drain and be freed; upstream's effectively random pick scatters pods (DESIGN.md §3). On that ENI:
 * a leftover secondary IP first (lowest address), else the /28 with the most assigned addresses
 * (then the most cooling, then the lowest), so that whole free prefixes stay whole and releasable.
 */
import { compareAddresses, prefixAddresses } from './addresses.ts';
import { countEni } from './counts.ts';
import type { AddressView, EniView, PoolSnapshot } from './types.ts';

export function chooseAddress(snapshot: PoolSnapshot): { eniId: string; ip: string } | undefined {
  let best: { eni: EniView; assigned: number } | undefined;
  for (const eni of snapshot.enis) {
    if (eni.retired) continue;
    const c = countEni(eni);
    if (c.available === 0) continue;
    if (best === undefined || c.assigned > best.assigned || (c.assigned === best.assigned && eni.deviceIndex < best.eni.deviceIndex)) {
      best = { eni, assigned: c.assigned };
    }
  }
  if (best === undefined) return undefined;
  const ip = addressOn(best.eni);
  return ip === undefined ? undefined : { eniId: best.eni.id, ip };
}

function addressOn(eni: EniView): string | undefined {
  const ip = lowestFree(eni.addresses);
  if (ip !== undefined) return ip;
  let best: { prefix: string; assigned: number; cooling: number; ip: string } | undefined;
  for (const p of eni.prefixes) {
    const addresses = prefixAddresses(p);
    const free = lowestFree(addresses);
    if (free === undefined) continue;
    const assigned = addresses.filter((a) => a.state === 'assigned').length;
    const cooling = addresses.filter((a) => a.state === 'cooling').length;
    const better =
      best === undefined ||
      assigned > best.assigned ||
      (assigned === best.assigned && (cooling > best.cooling || (cooling === best.cooling && compareAddresses(p.prefix, best.prefix) < 0)));
    if (better) best = { prefix: p.prefix, assigned, cooling, ip: free };
  }
  return best?.ip;
}

function lowestFree(addresses: readonly AddressView[]): string | undefined {
  let lowest: string | undefined;
  for (const a of addresses) {
    if (a.state === 'free' && (lowest === undefined || compareAddresses(a.ip, lowest) < 0)) lowest = a.ip;
  }
  return lowest;
}
