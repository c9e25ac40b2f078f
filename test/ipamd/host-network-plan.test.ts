/**
 * Host-network planning without root (DESIGN.md §2): from kernel snapshots and iptables-save text,
 * what ipamd would add and remove. The privileged file (host-network-kernel.test.ts) shows the
 * same plans applied to a real kernel.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CONNMARK_CHAIN, desiredEgress, type EgressSpec, parseIptablesSave, planEgress, SNAT_CHAIN } from '../../ipamd/host-network/egress-plan.ts';
import { planEni, planNodeRules, teardownLines } from '../../ipamd/host-network/ip-plan.ts';
import { parseSnapshot, type IpSnapshot, type LinkState, type RouteState, type RuleState } from '../../ipamd/host-network/snapshot.ts';
import type { HostEni } from '../../ipamd/ports.ts';

const ENI: HostEni = { eniId: 'eni-1', mac: '02:AA:BB:CC:DD:01', deviceIndex: 1, primaryIp: '10.90.0.20', subnetCidr: '10.90.0.0/24' };

const link = (o: Partial<LinkState> & { name: string; mac: string }): LinkState => ({ mtu: 1500, up: false, addresses: [], ...o });
const route = (o: Partial<RouteState> & { dst: string }): RouteState => ({
  table: 'main',
  dev: undefined,
  gateway: undefined,
  scope: undefined,
  type: undefined,
  ...o,
});
const rule = (o: Partial<RuleState> & { priority: number }): RuleState => ({
  src: 'all',
  dst: 'all',
  table: 'main',
  fwmark: undefined,
  fwmask: undefined,
  ...o,
});
const DEFAULT_RULES = [rule({ priority: 0, table: 'local' }), rule({ priority: 32766 }), rule({ priority: 32767, table: 'default' })];

/** A node where ENI eni-1 is configured exactly as DESIGN.md §2 says. */
const configured: IpSnapshot = {
  links: [
    link({ name: 'eth0', mac: '02:aa:bb:cc:dd:00', mtu: 9001, up: true, addresses: ['10.90.0.10/24'] }),
    link({ name: 'eth1', mac: '02:aa:bb:cc:dd:01', mtu: 9001, up: true, addresses: ['10.90.0.20/24'] }),
  ],
  routes: [
    route({ dst: 'default', gateway: '10.90.0.1', dev: 'eth0' }),
    route({ dst: '10.90.0.0/24', dev: 'eth0', scope: 'link' }),
    route({ dst: '10.90.0.1', dev: 'eth1', scope: 'link', table: '2' }),
    route({ dst: 'default', gateway: '10.90.0.1', dev: 'eth1', table: '2' }),
  ],
  rules: [...DEFAULT_RULES, rule({ priority: 32765, src: '10.90.0.20/32', table: '2' })],
};

describe('host network planning: per secondary ENI', () => {
  test('a bare link: mtu, up, address (no prefix route), table deviceIndex+1, rule 32765, in that order', () => {
    const bare: IpSnapshot = {
      links: [configured.links[0]!, link({ name: 'eth1', mac: '02:aa:bb:cc:dd:01' })],
      routes: configured.routes.slice(0, 2),
      rules: DEFAULT_RULES,
    };
    const p = planEni(bare, ENI, 9001);
    assert.equal(p.link, 'eth1', 'found by MAC, whatever its case');
    assert.deepEqual(p.lines, [
      'link set dev eth1 mtu 9001',
      'link set dev eth1 up',
      'addr add 10.90.0.20/24 dev eth1 noprefixroute',
      'route replace 10.90.0.1/32 dev eth1 scope link table 2',
      'route replace default via 10.90.0.1 dev eth1 table 2',
      'rule add from 10.90.0.20/32 lookup 2 prio 32765',
    ]);
    assert.equal(p.missing.length, 6);
    assert.deepEqual(p.removed, []);
  });

  test('configured: nothing to do', () => {
    const p = planEni(configured, ENI, 9001);
    assert.deepEqual([p.lines, p.missing, p.removed], [[], [], []]);
  });

  test("the kernel's connected route for the ENI is removed from main; the primary ENI's stays", () => {
    const snap = { ...configured, routes: [...configured.routes, route({ dst: '10.90.0.0/24', dev: 'eth1', scope: 'link' })] };
    const p = planEni(snap, ENI, 9001);
    assert.deepEqual(p.lines, ['route del 10.90.0.0/24 dev eth1 table main']);
    assert.deepEqual(p.removed, ['connected route 10.90.0.0/24 dev eth1 in main']);
  });

  test('a wrong default route in the table is replaced, a foreign route in it removed', () => {
    const snap = {
      ...configured,
      routes: [
        ...configured.routes.slice(0, 3),
        route({ dst: 'default', gateway: '10.90.0.254', dev: 'eth1', table: '2' }),
        route({ dst: '192.0.2.0/24', dev: 'eth1', table: '2' }),
      ],
    };
    assert.deepEqual(planEni(snap, ENI, 9001).lines, ['route del 192.0.2.0/24 table 2 dev eth1', 'route replace default via 10.90.0.1 dev eth1 table 2']);
  });

  test('no link with the MAC yet: nothing is planned (not even the rule), the link is reported', () => {
    const p = planEni({ ...configured, links: [configured.links[0]!] }, ENI, 9001);
    assert.equal(p.link, undefined);
    assert.deepEqual(p.lines, []);
    assert.match(p.missing[0]!, /link with MAC 02:AA:BB:CC:DD:01/);
  });

  test('the MTU follows AWS_VPC_ENI_MTU', () => {
    assert.deepEqual(planEni(configured, ENI, 1500).lines, ['link set dev eth1 mtu 1500']);
  });

  test('teardown removes the rule and flushes the table', () => {
    assert.deepEqual(teardownLines(ENI), ['rule del from 10.90.0.20/32 lookup 2 prio 32765', 'route flush table 2']);
  });
});

describe('host network planning: node rules', () => {
  const spec = { enis: [ENI], maxTable: 3, externalSnat: false };

  test('the fwmark rule is added once, and kept', () => {
    assert.deepEqual(planNodeRules(configured, spec).lines, ['rule add fwmark 0x80/0x80 lookup main prio 1024']);
    const withMark = { ...configured, rules: [...configured.rules, rule({ priority: 1024, fwmark: '0x80', fwmask: '0x80' })] };
    assert.deepEqual(planNodeRules(withMark, spec).lines, []);
  });

  test('external SNAT: the fwmark rule goes', () => {
    const withMark = { ...configured, rules: [...configured.rules, rule({ priority: 1024, fwmark: '0x80', fwmask: '0x80' })] };
    const p = planNodeRules(withMark, { ...spec, externalSnat: true });
    assert.deepEqual(p.lines, ['rule del fwmark 0x80/0x80 lookup main prio 1024']);
    assert.deepEqual(planNodeRules(configured, { ...spec, externalSnat: true }).lines, []);
  });

  test("stale ENI rules and tables go; other priorities, tables and the CNI's pod rules stay", () => {
    const snap: IpSnapshot = {
      ...configured,
      routes: [...configured.routes, route({ dst: 'default', gateway: '10.90.0.1', dev: 'eth2', table: '3' }), route({ dst: 'default', dev: 'x', table: '100' })],
      rules: [
        ...configured.rules,
        rule({ priority: 1024, fwmark: '0x80', fwmask: '0x80' }),
        rule({ priority: 32765, src: '10.90.0.30/32', table: '3' }),
        rule({ priority: 32765, src: '10.90.0.40/32', table: '100' }),
        rule({ priority: 1536, src: '10.90.0.33/32', table: '3' }),
        rule({ priority: 512, dst: '10.90.0.33/32' }),
      ],
    };
    const p = planNodeRules(snap, spec);
    assert.deepEqual(p.lines, ['rule del from 10.90.0.30/32 lookup 3 prio 32765', 'route flush table 3']);
  });
});

const SPEC: EgressSpec = {
  externalSnat: false,
  vpcCidrs: ['10.90.0.0/16'],
  excludeSnatCidrs: ['192.168.0.0/16'],
  primaryIp: '10.90.0.10',
  primaryLink: 'eth0',
  vethPrefix: 'eni',
  randomizeSnat: 'prng',
};

/** iptables-save of a node with exactly SPEC applied (what the kernel prints back). */
function savedOf(spec: EgressSpec, extra: { nat?: string[]; mangle?: string[] } = {}): string {
  const want = desiredEgress(spec);
  const table = (name: 'nat' | 'mangle', builtins: string[]) => {
    const w = want[name];
    return [
      `*${name}`,
      ...builtins.map((b) => `:${b} ACCEPT [0:0]`),
      ...[...w.chains.keys()].map((c) => `:${c} - [0:0]`),
      ...w.jumps.map((j) => `-A ${j.from} ${j.rule}`),
      ...(extra[name] ?? []),
      ...[...w.chains].flatMap(([c, rules]) => rules.map((r) => `-A ${c} ${r}`)),
      'COMMIT',
    ];
  };
  return [
    '# Generated by iptables-save v1.8.9 (nf_tables)',
    ...table('mangle', ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']),
    ...table('nat', ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']),
    '',
  ].join('\n');
}

describe('host network planning: node egress (iptables)', () => {
  test('an empty node gets both tables written, our chains declared and jumped to once', () => {
    const p = planEgress(parseIptablesSave(''), SPEC);
    assert.equal(p.fresh, true);
    assert.equal(
      p.restore,
      [
        '*nat',
        `:${SNAT_CHAIN} - [0:0]`,
        `:${CONNMARK_CHAIN} - [0:0]`,
        `-A ${SNAT_CHAIN} -d 10.90.0.0/16 -m comment --comment "vpcwire: VPC CIDR" -j RETURN`,
        `-A ${SNAT_CHAIN} -d 192.168.0.0/16 -m comment --comment "vpcwire: excluded CIDR" -j RETURN`,
        `-A ${SNAT_CHAIN} -m comment --comment "vpcwire: SNAT to the node primary IP" -m addrtype ! --dst-type LOCAL -j SNAT --to-source 10.90.0.10 --random-fully`,
        `-A ${CONNMARK_CHAIN} -d 10.90.0.0/16 -m comment --comment "vpcwire: VPC CIDR" -j RETURN`,
        `-A ${CONNMARK_CHAIN} -d 192.168.0.0/16 -m comment --comment "vpcwire: excluded CIDR" -j RETURN`,
        `-A ${CONNMARK_CHAIN} -m comment --comment "vpcwire: mark pod connections leaving the VPC" -j CONNMARK --set-xmark 0x80/0x80`,
        `-A ${CONNMARK_CHAIN} -m comment --comment "vpcwire: first packet routed by the mark" -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80`,
        `-A PREROUTING -i eni+ -m comment --comment "vpcwire: pod connections" -j ${CONNMARK_CHAIN}`,
        `-A POSTROUTING -m comment --comment "vpcwire: SNAT outside the VPC" -j ${SNAT_CHAIN}`,
        'COMMIT',
        '*mangle',
        `:${CONNMARK_CHAIN} - [0:0]`,
        `-A ${CONNMARK_CHAIN} -i eth0 -m comment --comment "vpcwire: NodePort via the primary ENI" -m addrtype --dst-type LOCAL --limit-iface-in -j CONNMARK --set-xmark 0x80/0x80`,
        `-A ${CONNMARK_CHAIN} -i eni+ -m comment --comment "vpcwire: pod packets get the connection mark" -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80`,
        `-A PREROUTING -m comment --comment "vpcwire: egress connmark" -j ${CONNMARK_CHAIN}`,
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  test('applied exactly: nothing to do', () => {
    const p = planEgress(parseIptablesSave(savedOf(SPEC)), SPEC);
    assert.deepEqual([p.restore, p.missing, p.removed, p.fresh], [undefined, [], [], false]);
  });

  test('a missing jump is appended, a duplicate deleted; a table without drift is left alone', () => {
    const text = savedOf(SPEC, { nat: [`-A POSTROUTING -m comment --comment "vpcwire: SNAT outside the VPC" -j ${SNAT_CHAIN}`] }).replace(
      `-A PREROUTING -m comment --comment "vpcwire: egress connmark" -j ${CONNMARK_CHAIN}\n`,
      '',
    );
    const p = planEgress(parseIptablesSave(text), SPEC);
    assert.deepEqual(p.missing, [`mangle PREROUTING: -m comment --comment "vpcwire: egress connmark" -j ${CONNMARK_CHAIN}`]);
    assert.deepEqual(p.removed, [`nat POSTROUTING: duplicate -m comment --comment "vpcwire: SNAT outside the VPC" -j ${SNAT_CHAIN}`]);
    assert.match(p.restore!, /^-D POSTROUTING -m comment --comment "vpcwire: SNAT outside the VPC" -j VPCWIRE-SNAT$/m);
    assert.match(p.restore!, /^-A PREROUTING -m comment --comment "vpcwire: egress connmark" -j VPCWIRE-CONNMARK$/m);
    const natOnly = planEgress(parseIptablesSave(savedOf(SPEC, { nat: [`-A POSTROUTING -m comment --comment "vpcwire: SNAT outside the VPC" -j ${SNAT_CHAIN}`] })), SPEC);
    assert.match(natOnly.restore!, /^\*nat$/m);
    assert.doesNotMatch(natOnly.restore!, /^\*mangle$/m, 'the mangle table has no drift and is not rewritten');
  });

  test('a changed setting (veth prefix, primary IP) rewrites our chains and replaces the old jump', () => {
    const p = planEgress(parseIptablesSave(savedOf(SPEC)), { ...SPEC, vethPrefix: 'vw', primaryIp: '10.90.0.11' });
    assert.match(p.restore!, /^-D PREROUTING -i eni\+ .* -j VPCWIRE-CONNMARK$/m);
    assert.match(p.restore!, /^-A PREROUTING -i vw\+ .* -j VPCWIRE-CONNMARK$/m);
    assert.match(p.restore!, /--to-source 10\.90\.0\.11 --random-fully$/m);
    assert.ok(p.removed.some((r) => r.includes('--to-source 10.90.0.10')));
  });

  test('external SNAT: our chains and jumps are deleted; none planned on a clean node', () => {
    const ext = { ...SPEC, externalSnat: true };
    const p = planEgress(parseIptablesSave(savedOf(SPEC)), ext);
    assert.match(p.restore!, /^-X VPCWIRE-SNAT$/m);
    assert.equal((p.restore!.match(/^-X VPCWIRE-CONNMARK$/gm) ?? []).length, 2, 'nat and mangle');
    assert.equal((p.restore!.match(/^-D /gm) ?? []).length, 3, 'the three jumps');
    assert.equal(planEgress(parseIptablesSave(''), ext).restore, undefined);
  });

  test('exclude CIDRs are RETURNs in both nat chains; AWS_VPC_K8S_CNI_RANDOMIZESNAT picks the flag', () => {
    const w = desiredEgress({ ...SPEC, excludeSnatCidrs: ['172.16.0.0/12', '100.64.0.0/10'] });
    for (const chain of [SNAT_CHAIN, CONNMARK_CHAIN]) {
      const rules = w.nat.chains.get(chain)!;
      assert.ok(rules.includes('-d 172.16.0.0/12 -m comment --comment "vpcwire: excluded CIDR" -j RETURN'));
      assert.ok(rules.includes('-d 100.64.0.0/10 -m comment --comment "vpcwire: excluded CIDR" -j RETURN'));
    }
    const snat = (r: EgressSpec['randomizeSnat']) => desiredEgress({ ...SPEC, randomizeSnat: r }).nat.chains.get(SNAT_CHAIN)!.at(-1)!;
    assert.match(snat('prng'), /--to-source 10\.90\.0\.10 --random-fully$/);
    assert.match(snat('hashrandom'), /--to-source 10\.90\.0\.10 --random$/);
    assert.match(snat('none'), /--to-source 10\.90\.0\.10$/);
  });

  test('without a primary link the NodePort mark is left out', () => {
    const w = desiredEgress({ ...SPEC, primaryLink: undefined });
    assert.equal(w.mangle.chains.get(CONNMARK_CHAIN)!.length, 1);
  });
});

describe('host network: reading the kernel', () => {
  test('ip -j batch output (addr, routes of all tables, rules) parses into the snapshot', () => {
    const out = [
      JSON.stringify([
        { ifindex: 3, ifname: 'eth1', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 9001, address: '02:AA:bb:cc:dd:01', addr_info: [{ family: 'inet', local: '10.90.0.20', prefixlen: 24 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] },
      ]),
      JSON.stringify([
        { dst: 'default', gateway: '10.90.0.1', dev: 'eth1', table: '2', flags: [] },
        { dst: '10.90.0.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '10.90.0.10', flags: [] },
      ]),
      JSON.stringify([
        { priority: 0, src: 'all', table: 'local' },
        { priority: 1024, src: 'all', fwmark: '0x80', fwmask: '0x80', table: 'main' },
        { priority: 32765, src: '10.90.0.20', table: '2' },
        { priority: 300, src: '10.5.0.0', srclen: 16, dst: '10.6.0.0', dstlen: 16, table: '3' },
      ]),
      '',
    ].join('\n');
    const s = parseSnapshot(out);
    assert.deepEqual(s.links, [{ name: 'eth1', mac: '02:aa:bb:cc:dd:01', mtu: 9001, up: true, addresses: ['10.90.0.20/24'] }]);
    assert.equal(s.routes[1]!.table, 'main', 'ip omits the table of main routes');
    assert.deepEqual(s.rules.map((r) => [r.priority, r.src, r.dst, r.table, r.fwmark ?? '']), [
      [0, 'all', 'all', 'local', ''],
      [1024, 'all', 'all', 'main', '0x80'],
      [32765, '10.90.0.20/32', 'all', '2', ''],
      [300, '10.5.0.0/16', '10.6.0.0/16', '3', ''],
    ]);
  });
});
