/**
 * Proves the containerd harness (DESIGN.md §7) with Debian's reference plugins before vpcwire runs
 * under it: containerd in a throwaway node netns, a ptp + host-local network followed by the same
 * chained-plugin entries the installer writes (portmap, bandwidth, tuning), sandboxes run and torn
 * down over CRI as kubelet does. Asserts kernel and disk state, not call order.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chainedEntry } from '../../ipamd/install/conflist.ts';
import { deleteNetns, ip, run } from '../../sim/dataplane/ip.ts';
import { type Containerd, containerdSkipReason, startContainerd } from '../helpers/containerd.ts';
import { CNI_CACHE_DIR } from '../helpers/leftovers.ts';
import { kernelTestsSkipReason } from '../helpers/pod-netns.ts';

const skip = containerdSkipReason() ?? (await kernelTestsSkipReason());
const id = randomBytes(3).toString('hex');
const node = `vpcw-ctrd${id}`;
const SUBNET = '10.198.7.0/24';
const inSubnet = (a: string) => /^10\.198\.7\.\d+$/.test(a);

/** IPv4 addresses host-local has on record (one file per address; `lock` and `last_reserved_ip.*` aside). */
const reserved = (dataDir: string) =>
  existsSync(join(dataDir, 'harness')) ? readdirSync(join(dataDir, 'harness')).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];

async function linksIn(netnsPath: string): Promise<{ ifname: string; addrs: string[] }[]> {
  const r = await run('nsenter', [`--net=${netnsPath}`, 'ip', '-j', 'addr', 'show']);
  if (r.code !== 0) throw new Error(`ip addr in ${netnsPath}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { ifname: string; addr_info: { family: string; local: string }[] }[]).map((l) => ({
    ifname: l.ifname,
    addrs: l.addr_info.filter((a) => a.family === 'inet').map((a) => a.local),
  }));
}

describe('containerd harness with ptp + host-local', { skip }, () => {
  let dir: string;
  let ctrd: Containerd | undefined;
  let dataDir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vpcwire-ctrd-'));
    dataDir = join(dir, 'host-local');
    const confDir = join(dir, 'net.d');
    mkdirSync(confDir);
    await ip(['netns', 'add', node]);
    await ip(['link', 'set', 'lo', 'up'], node);
    writeFileSync(
      join(confDir, '10-harness.conflist'),
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'harness',
        plugins: [
          { type: 'ptp', ipMasq: false, mtu: 1500, ipam: { type: 'host-local', ranges: [[{ subnet: SUBNET }]], dataDir } },
          chainedEntry('portmap'),
          chainedEntry('bandwidth'),
          chainedEntry('tuning'),
        ],
      }),
    );
    ctrd = await startContainerd({ netns: node, dir: join(dir, 'containerd'), cniBinDir: '/usr/lib/cni', cniConfDir: confDir });
  });

  after(async () => {
    try {
      await ctrd?.stop();
    } finally {
      await deleteNetns(node);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('sandboxes get host-local addresses, and give them back on Stop + Remove', async (t) => {
    const c = ctrd!;
    t.diagnostic(`containerd CRI ready in ${c.timings.criReadyMs.toFixed(0)} ms, pause image imported in ${c.timings.imageImportMs.toFixed(0)} ms`);
    const version = await c.cri.version();
    assert.equal(version.runtimeName, 'containerd');
    const conditions = await c.cri.conditions();
    assert.equal(conditions.NetworkReady?.status, true, `CNI config loaded: ${JSON.stringify(conditions)}`);

    const ids: string[] = [];
    const started = performance.now();
    ids.push(await c.cri.runPodSandbox({ name: 'web-0', namespace: 'default' }));
    t.diagnostic(`first sandbox ready in ${(performance.now() - started).toFixed(0)} ms`);
    const t2 = performance.now();
    ids.push(await c.cri.runPodSandbox({ name: 'web-1', namespace: 'default' }));
    t.diagnostic(`second sandbox ready in ${(performance.now() - t2).toFixed(0)} ms`);

    const statuses = await Promise.all(ids.map((s) => c.cri.podSandboxStatus(s)));
    const ips = statuses.map((s) => s.ip);
    for (const s of statuses) {
      assert.equal(s.state, 'SANDBOX_READY');
      assert.ok(inSubnet(s.ip), `${s.ip} in ${SUBNET}`);
      assert.match(s.netnsPath, /^\/var\/run\/netns\/cni-|^\/run\/netns\/cni-/);
      const eth0 = (await linksIn(s.netnsPath)).find((l) => l.ifname === 'eth0');
      assert.deepEqual(eth0?.addrs, [s.ip], 'the pod netns holds the address CRI reports');
    }
    assert.equal(new Set(ips).size, 2);
    assert.deepEqual(reserved(dataDir).sort(), [...ips].sort());
    const vethsUp = (await linksIn(`/run/netns/${node}`)).filter((l) => l.ifname !== 'lo');
    assert.equal(vethsUp.length, 2, 'one host-side veth per sandbox in the node netns');
    assert.deepEqual(
      (await c.cri.listPodSandbox()).map((s) => s.name).sort(),
      ['web-0', 'web-1'],
    );

    for (const s of ids) {
      await c.cri.stopPodSandbox(s);
      await c.cri.stopPodSandbox(s); // kubelet stops more than once; must stay idempotent
      await c.cri.removePodSandbox(s);
    }
    assert.deepEqual(reserved(dataDir), [], 'host-local released every address');
    assert.deepEqual(
      (await linksIn(`/run/netns/${node}`)).map((l) => l.ifname),
      ['lo'],
      'no veth left in the node netns',
    );
    for (const s of statuses) assert.equal(existsSync(s.netnsPath), false, `${s.netnsPath} removed`);
    assert.deepEqual(await c.cri.listPodSandbox(), []);
  });

  test('stop() leaves nothing: containerd gone, dir removed, no sandbox netns mounted', async () => {
    const c = ctrd!;
    // A sandbox left running, as a failed test would leave it.
    const s = await c.cri.runPodSandbox({ name: 'leftover', namespace: 'default' });
    const { netnsPath } = await c.cri.podSandboxStatus(s);
    await c.stop();
    ctrd = undefined;
    assert.notEqual(c.child.exitCode ?? c.child.signalCode, null, 'containerd exited');
    assert.equal(existsSync(c.dir), false, 'containerd dir removed');
    assert.equal(existsSync(netnsPath), false, 'sandbox netns removed');
    assert.deepEqual(reserved(dataDir), [], 'the leftover sandbox went through CNI DEL');
    const r = await run('pgrep', ['-f', c.address]);
    assert.equal(r.stdout.trim(), '', 'no shim of this containerd left');
  });

  test('stop() after containerd was killed: shim and sandbox process ended, netns unmounted, dir removed', async () => {
    const c = await startContainerd({
      netns: node,
      dir: join(dir, 'containerd-2'),
      cniBinDir: '/usr/lib/cni',
      cniConfDir: join(dir, 'net.d'),
    });
    ctrd = c;
    const s = await c.cri.runPodSandbox({ name: 'orphan', namespace: 'default' });
    const st = await c.cri.podSandboxStatus(s);
    const pid = Number(st.info.pid);
    assert.ok(pid > 1 && existsSync(`/proc/${pid}`), 'the pause process runs');
    c.child.kill('SIGKILL');
    await new Promise((r) => c.child.once('exit', r));
    await c.stop();
    ctrd = undefined;
    const alive = existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    assert.equal(alive, false, 'the pause process was killed');
    assert.equal(existsSync(st.netnsPath), false, 'sandbox netns unmounted and removed');
    assert.equal(existsSync(c.dir), false);
    assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').includes(c.dir), false, 'nothing mounted under the dir');
    assert.equal((await run('pgrep', ['-f', c.address])).stdout.trim(), '', 'no shim left');
    const cached = existsSync(CNI_CACHE_DIR) ? readdirSync(CNI_CACHE_DIR).filter((f) => f.includes(s)) : [];
    assert.deepEqual(cached, [], "no cached CNI result of the sandbox that never got its DEL");
  });
});
