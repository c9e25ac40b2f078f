/**
 * What the VPC router must change so that an ENI's routes match what EC2 has assigned to it.
 * Pure: the kernel data plane runs the lines in the router netns with `ip -batch`.
 *
 * Per address: a /32 route to the ENI's router link and a PERMANENT neighbour entry with the
 * ENI's MAC (the VPC fabric knows which MAC owns each address; nothing ARPs toward the node).
 * Per /28 prefix: a route via the ENI primary IP `onlink`, which resolves through the primary IP's
 * permanent neighbour. Removals use `flush`, which is a no-op when the entry is already gone (e.g.
 * the address moved to another ENI whose `route replace` took over the /32), whereas `ip neigh del`
 * of a missing entry aborts the whole batch.
 */

export interface RouterEni {
  mac: string;
  primaryIp: string;
  routerLink: string;
}

export interface AppliedAddresses {
  /** addresses (primary included) and prefixes that may be in the router */
  ips: ReadonlySet<string>;
  prefixes: ReadonlySet<string>;
  /** false after a failed batch: what is in `ips`/`prefixes` may or may not be there */
  inSync: boolean;
}

export interface AddressPlan {
  lines: string[];
  /** what the router holds once the lines have run */
  next: AppliedAddresses;
}

export const nothingApplied = (): AppliedAddresses => ({ ips: new Set(), prefixes: new Set(), inSync: true });

export function planAddresses(
  eni: RouterEni,
  applied: AppliedAddresses,
  secondaryIps: readonly string[],
  prefixes: readonly string[],
): AddressPlan {
  const dev = eni.routerLink;
  const wantIps = new Set([eni.primaryIp, ...secondaryIps]);
  const wantPrefixes = new Set(prefixes);
  const lines: string[] = [];
  for (const ip of applied.ips) {
    if (!wantIps.has(ip))
      lines.push(`route flush ${ip}/32 dev ${dev}`, `neigh flush to ${ip} dev ${dev} nud permanent`);
  }
  for (const prefix of applied.prefixes) {
    if (!wantPrefixes.has(prefix)) lines.push(`route flush ${prefix} dev ${dev}`);
  }
  for (const ip of wantIps) {
    if (applied.inSync && applied.ips.has(ip)) continue;
    lines.push(
      `route replace ${ip}/32 dev ${dev}`,
      `neigh replace ${ip} lladdr ${eni.mac} dev ${dev} nud permanent`,
    );
  }
  for (const prefix of wantPrefixes) {
    if (applied.inSync && applied.prefixes.has(prefix)) continue;
    lines.push(`route replace ${prefix} via ${eni.primaryIp} dev ${dev} onlink`);
  }
  return { lines, next: { ips: wantIps, prefixes: wantPrefixes, inSync: true } };
}

/** After a failed batch anything planned may or may not have run: keep both, re-add on the next plan. */
export function afterFailure(applied: AppliedAddresses, plan: AddressPlan): AppliedAddresses {
  return {
    ips: new Set([...applied.ips, ...plan.next.ips]),
    prefixes: new Set([...applied.prefixes, ...plan.next.prefixes]),
    inSync: false,
  };
}
