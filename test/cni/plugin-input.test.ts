/**
 * The plugin's input and output shapes, without a kernel: CNI environment and network
 * configuration checks (codes 1, 4, 6, 7 with messages naming the problem), the result in every
 * supported spec version, reading a prevResult back, and the host veth name ipamd expects.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseNetConf } from '../../cni/config.ts';
import { parseCniArgs, parseEnv, verbOf } from '../../cni/env.ts';
import { CniError } from '../../cni/errors.ts';
import { buildResult, readPrevious, requireForCheck } from '../../cni/result.ts';
import { hostVethFor, hostVethName } from '../../ipamd/veth.ts';

function cniError(fn: () => unknown, code: number, msg: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CniError, `expected a CniError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, msg);
    return true;
  });
}

const ENV = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'abc123', CNI_NETNS: '/run/netns/x', CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' };

describe('CNI environment', () => {
  test('missing variables are listed together, as the reference plugins say it (code 4)', () => {
    cniError(() => parseEnv('ADD', { CNI_COMMAND: 'ADD', CNI_PATH: '/x' }), 4, /^required env variables \[CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME\] missing$/);
    cniError(() => parseEnv('CHECK', { ...ENV, CNI_NETNS: '' }), 4, /\[CNI_NETNS\]/);
    assert.equal(parseEnv('DEL', { ...ENV, CNI_NETNS: '' }).netns, '', 'DEL may come without a netns');
    assert.deepEqual(parseEnv('GC', { CNI_PATH: '/x' }).containerId, '');
    cniError(() => parseEnv('STATUS', {}), 4, /\[CNI_PATH\]/);
  });

  test('bad values name the variable (code 4)', () => {
    cniError(() => verbOf({ CNI_COMMAND: 'INIT' }), 4, /unknown CNI_COMMAND "INIT"/);
    cniError(() => parseEnv('ADD', { ...ENV, CNI_CONTAINERID: '-x' }), 4, /CNI_CONTAINERID "-x" is invalid/);
    for (const bad of ['.', '..', 'a/b', 'a:b', 'a b', 'sixteen-chars-xx']) {
      cniError(() => parseEnv('ADD', { ...ENV, CNI_IFNAME: bad }), 4, /CNI_IFNAME .* is invalid/);
    }
    cniError(() => parseEnv('ADD', { ...ENV, CNI_NETNS: 'run/netns/x' }), 4, /CNI_NETNS .* absolute path/);
    cniError(() => parseEnv('ADD', { ...ENV, CNI_ARGS: 'K8S_POD_NAME' }), 4, /CNI_ARGS: invalid pair "K8S_POD_NAME"/);
    assert.equal(verbOf({}), undefined, 'no CNI_COMMAND: the about line');
  });

  test('CNI_ARGS: the K8S_POD_* values, other keys ignored', () => {
    assert.deepEqual(
      parseCniArgs('IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u-1;FOO=bar=baz'),
      { namespace: 'default', name: 'web-0', uid: 'u-1', infraContainerId: 'abc' },
    );
    assert.deepEqual(parseCniArgs(undefined), {});
  });
});

describe('network configuration', () => {
  const conf = (o: Record<string, unknown>) => JSON.stringify({ cniVersion: '1.0.0', name: 'vpcwire', type: 'vpcwire', ...o });

  test('defaults, and what the installer writes', () => {
    const c = parseNetConf(conf({ socket: '/run/x/ipamd.sock', releaseNotesDir: '/var/lib/x', vethPrefix: 'pod', logFile: '/var/log/p.log' }));
    assert.equal(c.socket, '/run/x/ipamd.sock');
    assert.equal(c.vethPrefix, 'pod');
    assert.equal(c.deadlineMs, 10_000);
    const d = parseNetConf(conf({}));
    assert.equal(d.socket, '/run/vpcwire/ipamd.sock');
    assert.equal(d.releaseNotesDir, '/var/lib/vpcwire/release-notes');
    assert.equal(d.vethPrefix, 'eni');
    assert.equal(d.logFile, undefined);
  });

  test('errors: 6 for non-JSON, 1 for an unsupported version, 7 naming the key otherwise', () => {
    cniError(() => parseNetConf('{"cniVersion":'), 6, /not JSON/);
    cniError(() => parseNetConf(conf({ cniVersion: '0.2.0' })), 1, /incompatible CNI version 0\.2\.0/);
    cniError(() => parseNetConf(conf({ cniVersion: undefined })), 7, /"cniVersion" is required/);
    cniError(() => parseNetConf(conf({ name: 'vpc wire' })), 7, /"name"/);
    cniError(() => parseNetConf(conf({ socket: 'ipamd.sock' })), 7, /"socket" must be an absolute path/);
    cniError(() => parseNetConf(conf({ deadlineMs: 0 })), 7, /"deadlineMs"/);
    cniError(() => parseNetConf(conf({ vethPrefix: 'eth' })), 7, /"vethPrefix"/);
    cniError(() => parseNetConf(conf({ prevResult: [] })), 7, /"prevResult" must be an object/);
    cniError(() => parseNetConf(conf({ 'cni.dev/valid-attachments': [{ containerID: 1 }] })), 7, /valid-attachments"\[0\]/);
    cniError(() => parseNetConf('[]'), 7, /JSON object/);
  });

  test('GC attachments under the current key or the older one', () => {
    const list = [{ containerID: 'a', ifname: 'eth0' }];
    assert.deepEqual(parseNetConf(conf({ 'cni.dev/valid-attachments': list })).validAttachments, [{ containerId: 'a', ifName: 'eth0' }]);
    assert.deepEqual(parseNetConf(conf({ 'cni.dev/attachments': list })).validAttachments, [{ containerId: 'a', ifName: 'eth0' }]);
    assert.equal(parseNetConf(conf({})).validAttachments, undefined);
  });
});

describe('results', () => {
  const w = {
    hostVeth: 'eni0123456789a',
    hostMac: '02:00:00:00:00:01',
    ifName: 'eth0',
    containerMac: '02:00:00:00:00:02',
    netns: '/run/netns/p',
    podIp: '10.0.1.7',
    mtu: 9001,
    gateway: '169.254.1.1',
  };

  test('1.1.0 carries interface MTUs; 1.0.0 does not; before 1.0.0 ips carry "version"', () => {
    assert.deepEqual(buildResult(w, '1.1.0'), {
      cniVersion: '1.1.0',
      interfaces: [
        { name: 'eni0123456789a', mac: '02:00:00:00:00:01', mtu: 9001 },
        { name: 'eth0', mac: '02:00:00:00:00:02', mtu: 9001, sandbox: '/run/netns/p' },
      ],
      ips: [{ address: '10.0.1.7/32', gateway: '169.254.1.1', interface: 1 }],
      routes: [{ dst: '0.0.0.0/0', gw: '169.254.1.1' }],
      dns: {},
    });
    const v100 = buildResult(w, '1.0.0');
    assert.deepEqual(v100.interfaces, [
      { name: 'eni0123456789a', mac: '02:00:00:00:00:01' },
      { name: 'eth0', mac: '02:00:00:00:00:02', sandbox: '/run/netns/p' },
    ]);
    assert.deepEqual(v100.ips, [{ address: '10.0.1.7/32', gateway: '169.254.1.1', interface: 1 }]);
    for (const v of ['0.4.0', '0.3.1', '0.3.0']) {
      const r = buildResult(w, v);
      assert.equal(r.cniVersion, v);
      assert.deepEqual(r.ips, [{ version: '4', address: '10.0.1.7/32', gateway: '169.254.1.1', interface: 1 }]);
    }
  });

  test('a prevResult of any version reads back to what DEL and CHECK need', () => {
    for (const v of ['0.3.1', '0.4.0', '1.0.0', '1.1.0']) {
      const prev = readPrevious(JSON.parse(JSON.stringify(buildResult(w, v))) as Record<string, unknown>, 'eth0');
      assert.deepEqual(
        prev,
        { hostVeth: w.hostVeth, hostMac: w.hostMac, containerMac: w.containerMac, podIp: w.podIp, sandbox: w.netns, ...(v === '1.1.0' ? { mtu: 9001 } : {}) },
        v,
      );
    }
    assert.deepEqual(readPrevious(undefined, 'eth0'), {});
    assert.deepEqual(readPrevious({ interfaces: 'x', ips: [{ address: 'junk' }] }, 'eth0'), {});
    cniError(() => requireForCheck(readPrevious({ ips: [{ address: '10.0.0.1/32' }] }, 'eth0'), 'eth0'), 7, /missing hostVeth, hostMac, containerMac, sandbox/);
  });

  test('the host veth name ipamd gives the plugin is the one it looks for after a restart', () => {
    const pod = { namespace: 'kube-system', name: 'coredns-7db6d8ff4d-x2x9k' };
    const key = { containerId: 'c1', ifName: 'eth0' };
    assert.equal(hostVethFor('eni', pod, key), hostVethName('eni', pod.namespace, pod.name));
    // Upstream's rule, pinned: prefix + the first 11 hex digits of sha1("kube-system.coredns-7db6d8ff4d-x2x9k").
    assert.equal(hostVethFor('eni', pod, key), 'eni3e2638a6d41');
    assert.notEqual(hostVethFor('eni', {}, key), hostVethFor('eni', {}, { ...key, containerId: 'c2' }), 'without pod args the container decides');
  });
});
