/**
 * The image as a node runs it, with its kernel work on (issue 12 item 5): the container shares the
 * test's network namespace, where the emulator's EC2 and IMDS listen, and does its host networking
 * in the emulated node's netns (VPCWIRE_HOST_NETNS, /run/netns mapped in, NET_ADMIN, NET_RAW and
 * SYS_ADMIN to enter it), as the local cluster runs ipamd. The image's own ip and iptables set up
 * the node: SNAT and connmark chains, a secondary ENI's rule and table; then a pod added through
 * the plugin the image installed (exec'd in the node's netns as a runtime does) reaches its node,
 * and its DEL leaves nothing behind. This machine's own netns is never changed: host networking
 * happens only in the emulated node.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { execPlugin, podArgs } from '../../cluster/plugin-exec.ts';
import { deleteNetns, ip } from '../../sim/dataplane/ip.ts';
import { startEmulator, type Emulator } from '../../sim/emulator.ts';
import { formatIpv4 } from '../../sim/ipv4.ts';
import { daemonSetMounts, ipamdEnvArgs, ULIMITS } from '../helpers/image-node.ts';
import { kernelTestsSkipReason, podNetworkState, reaches } from '../helpers/pod-netns.ts';

const exec = promisify(execFile);
const REPO = new URL('../..', import.meta.url).pathname;
const PODMAN = '/usr/bin/podman';

const skip =
  process.getuid?.() !== 0
    ? 'needs root'
    : [PODMAN, '/usr/sbin/debootstrap'].some((t) => !existsSync(t))
      ? 'needs podman and debootstrap (.ci/run installs them)'
      : await kernelTestsSkipReason();

describe('the image doing its host networking in an emulated node', { skip }, () => {
  let image: string;
  let dir: string;
  let sim: Emulator | undefined;
  const name = `vpcwire-image-node-${randomBytes(3).toString('hex')}`;
  const pod = `vpcw-imgpod${randomBytes(2).toString('hex')}`;
  const podman = (args: string[]) => exec(PODMAN, args, { maxBuffer: 64 << 20 });
  const logs = async () => {
    const r = await podman(['logs', '--tail', '40', name]).catch((e: { stderr?: string }) => ({ stdout: '', stderr: e.stderr ?? '' }));
    return r.stdout + r.stderr;
  };

  before(async () => {
    image = (await exec('bash', [join(REPO, 'image', 'build.sh')], { cwd: REPO, maxBuffer: 64 << 20, timeout: 20 * 60_000 })).stdout.trim();
    dir = mkdtempSync(join(tmpdir(), 'vpcwire-image-node-'));
    sim = await startEmulator({
      profile: 'fast',
      throttling: false,
      dataPlane: true,
      topology: {
        vpc: { cidrs: ['10.65.0.0/16'], subnets: [{ name: 'nodes', cidr: '10.65.0.0/20', az: 'us-west-2a' }], securityGroups: [{ name: 'sg' }] },
        instances: [{ name: 'node', type: 't3.small', subnet: 'nodes', securityGroups: ['sg'] }],
      },
    });
    await sim.dataPlane!.settled();
  });

  after(async () => {
    try {
      await podman(['rm', '-f', '-t', '0', name]).catch(() => undefined);
      await deleteNetns(pod).catch(() => undefined);
      await sim?.stop();
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  test('SNAT chains and an ENI table in the node, a pod through the installed plugin reaches its node', async (t) => {
    const id = sim!.instance('node').id;
    const nodeNs = sim!.dataPlane!.nodeNetns(id)!;
    // 3 slots on the primary ENI: a fourth warm address needs a secondary ENI and its table.
    const env = ipamdEnvArgs(sim!, 'node', { VPCWIRE_HOST_NETWORK: 'true', VPCWIRE_HOST_NETNS: nodeNs, WARM_IP_TARGET: '4' });
    const mounts = daemonSetMounts(dir, [['/run/netns', '/run/netns']]);
    await podman([
      'run', '-d', '--name', name, '--network', 'host', '--cap-add', 'NET_ADMIN', '--cap-add', 'NET_RAW', '--cap-add', 'SYS_ADMIN',
      ...ULIMITS, ...mounts, ...env, image,
    ]);
    const conflist = join(dir, 'net.d', '10-vpcwire.conflist');
    for (const deadline = Date.now() + 60_000; !existsSync(conflist); await sleep(100)) {
      if (Date.now() > deadline) assert.fail(`no conflist within 60 s: ${await logs()}`);
    }
    // The image's iptables made the node's SNAT and connmark chains; its ip, the secondary ENI's rule.
    const nat = (await exec('ip', ['netns', 'exec', nodeNs, 'iptables', '-t', 'nat', '-S'])).stdout;
    assert.match(nat, /-N VPCWIRE-SNAT/);
    assert.match(nat, /-N VPCWIRE-CONNMARK/);
    for (const deadline = Date.now() + 30_000; ; await sleep(200)) {
      const rules = JSON.parse(await ip(['-j', 'rule', 'show'], nodeNs)) as { table?: string }[];
      if (rules.some((r) => r.table === '2')) break; // device 1's table (deviceIndex + 1)
      if (Date.now() > deadline) assert.fail(`no rule for the secondary ENI's table: ${JSON.stringify(rules)}\n${await logs()}`);
    }

    // A pod, as containerd on this node would add it: the installed plugin, exec'd in the node's
    // netns, with the conflist's entry (the socket as seen from the node: the mapped path).
    const list = JSON.parse(readFileSync(conflist, 'utf8')) as { cniVersion: string; name: string; plugins: Record<string, unknown>[] };
    const config = { cniVersion: list.cniVersion, name: list.name, ...list.plugins[0], socket: join(dir, 'run', 'plugin.sock') };
    await ip(['netns', 'add', pod]);
    const call = { plugin: join(dir, 'bin', 'vpcwire'), nodeNetns: nodeNs, containerId: 'c0ffee', netns: `/run/netns/${pod}`, ifName: 'eth0', args: podArgs({ namespace: 'default', name: 'web' }, 'c0ffee'), config };
    const added = await execPlugin({ ...call, command: 'ADD' });
    assert.equal(added.exitCode, 0, `${added.stdout}${added.stderr}`);
    const podIp = (added.json!.ips as { address: string }[])[0]!.address.split('/')[0]!;
    t.diagnostic(`pod ${podIp} via the image's ipamd, plugin ADD ${added.ms.toFixed(0)} ms`);
    const primary = sim!.state.enisOf(id).find((e) => e.attachment?.deviceIndex === 0)!;
    assert.ok(await reaches(pod, formatIpv4(primary.primaryIp)), 'the pod reaches its node');
    const del = await execPlugin({ ...call, command: 'DEL' });
    assert.equal(del.exitCode, 0, `${del.stdout}${del.stderr}`);
    await deleteNetns(pod);
    assert.deepEqual(await podNetworkState(nodeNs), { veths: [], podRules: 0, podRoutes: 0 });
    await podman(['stop', '-t', '20', name]);
    assert.equal(existsSync(conflist), false);
  });
});
