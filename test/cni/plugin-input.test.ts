/**
 * The plugin's input and output shapes, without a kernel: CNI environment and network
 * configuration checks (codes 1, 4, 6, 7 with messages naming the problem, the same name rules as
 * ipamd's, CNI_ARGS as the reference plugins read it), the result in every supported spec version,
 * checking and reading a prevResult back, and the host veth name ipamd expects.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseNetConf } from '../../cni/config.ts';
import { parseCniArgs, parseEnv, verbOf } from '../../cni/env.ts';
import { CniError } from '../../cni/errors.ts';
import { readPrevious, requireForCheck } from '../../cni/prev-result.ts';
import { buildResult } from '../../cni/result.ts';
import { hostVethFor, hostVethName } from '../../ipamd/veth.ts';

function cniError(fn: () => unknown, code: number, msg: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CniError, `expected a CniError, got ${String(e)}`);
    assert.equal(e.cniCode, code, e.message);
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

  test('CNI_ARGS: the K8S_POD_* values; unknown keys only with IgnoreUnknown, as the reference plugins read them', () => {
    assert.deepEqual(
      parseCniArgs('IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u-1;FOO=bar'),
      { namespace: 'default', name: 'web-0', uid: 'u-1', infraContainerId: 'abc' },
    );
    assert.deepEqual(parseCniArgs(undefined), {});
    assert.deepEqual(parseCniArgs(''), {});
    assert.deepEqual(parseCniArgs('IgnoreUnknown=1;K8S_POD_NAME=web'), { name: 'web' }, "podman's arguments");
    assert.deepEqual(parseCniArgs('K8S_POD_NAME=web;K8S_POD_NAMESPACE='), { name: 'web' }, 'an empty value is absent');
    assert.deepEqual(parseCniArgs('FOO=1;IgnoreUnknown=TRUE'), {}, 'IgnoreUnknown counts wherever it stands, any case');
    cniError(() => parseCniArgs('FOO=bar'), 4, /^CNI_ARGS: unknown args "FOO=bar" \(add IgnoreUnknown=1/);
    cniError(() => parseCniArgs('IgnoreUnknown=0;FOO=bar;K8S_POD_IP=x'), 4, /unknown args "FOO=bar", "K8S_POD_IP=x"/);
    cniError(() => parseCniArgs('IgnoreUnknown=1;FOO=bar=baz'), 4, /invalid pair "FOO=bar=baz"/);
    cniError(() => parseCniArgs('IgnoreUnknown=1;K8S_POD_NAME=a;'), 4, /invalid pair ""/);
    cniError(() => parseCniArgs('IgnoreUnknown=yes'), 4, /IgnoreUnknown must be 1, true, 0 or false/);
    cniError(() => parseCniArgs(`K8S_POD_NAME=${'p'.repeat(254)}`), 4, /^CNI_ARGS: K8S_POD_NAME is 254 characters long, at most 253 allowed$/);
    cniError(() => parseCniArgs('K8S_POD_NAMESPACE=a\u0007b'), 4, /K8S_POD_NAMESPACE "a\\u0007b" contains control characters/);
    cniError(() => parseCniArgs(`K8S_POD_INFRA_CONTAINER_ID=${'c'.repeat(257)}`), 4, /at most 256/);
  });

  test('names: what ipamd refuses is refused first, by bytes where Linux counts bytes (code 4)', () => {
    const ok = (ifName: string) => assert.equal(parseEnv('ADD', { ...ENV, CNI_IFNAME: ifName }).ifName, ifName);
    for (const name of ['eth0', 'e#0', '"q', "'q", 'a"b\'c', 'help', 'd', 'ü'.repeat(7), 'x'.repeat(15), 'a\\']) ok(name);
    cniError(() => parseEnv('ADD', { ...ENV, CNI_IFNAME: `${'x'.repeat(14)}é` }), 4, /at most 15 bytes \(IFNAMSIZ\), got 16/);
    cniError(() => parseEnv('ADD', { ...ENV, CNI_IFNAME: 'à' }), 4, /no "\/", ":" or whitespace/); // UTF-8 C3 A0: the kernel's isspace(0xA0)
    cniError(() => parseEnv('ADD', { ...ENV, CNI_IFNAME: 'a\u0085' }), 4, /whitespace/); // Go's unicode.IsSpace (libcni)
    cniError(() => parseEnv('ADD', { ...ENV, CNI_IFNAME: 'a\u0001' }), 4, /control characters/); // ip -j would print it raw
    cniError(() => parseEnv('ADD', { ...ENV, CNI_IFNAME: 'a%b' }), 4, /no "%" \(the kernel reads it as a name template\)/);
    cniError(() => parseEnv('ADD', { ...ENV, CNI_IFNAME: 'a\ufffd' }), 4, /not valid UTF-8/);
    cniError(() => parseEnv('ADD', { ...ENV, CNI_CONTAINERID: 'c'.repeat(257) }), 4, /^CNI_CONTAINERID is 257 characters long, at most 256 allowed$/);
    cniError(() => parseEnv('ADD', { ...ENV, CNI_NETNS: '/run/netns/a\nb' }), 4, /^CNI_NETNS .* contains control characters/);
    assert.equal(parseEnv('ADD', { ...ENV, CNI_NETNS: '/run/netns/a b#c' }).netns, '/run/netns/a b#c', 'any absolute path, as ipamd accepts it');
    const huge = 'x'.repeat(100_000);
    for (const env of [{ CNI_IFNAME: huge }, { CNI_CONTAINERID: `-${huge}` }, { CNI_NETNS: huge }, { CNI_ARGS: huge }, { CNI_COMMAND: huge }]) {
      assert.throws(
        () => parseEnv(verbOf({ ...ENV, ...env }) as 'ADD', { ...ENV, ...env }),
        (e: unknown) => e instanceof CniError && e.cniCode === 4 && e.message.length < 300,
        'a huge value is named, not echoed',
      );
    }
    assert.deepEqual(parseEnv('GC', { CNI_PATH: '/x', CNI_ARGS: 'garbage' }).pod, {}, 'GC and STATUS do not read CNI_ARGS');
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
    assert.equal(d.socket, '/run/vpcwire/plugin.sock', 'ipamd serves the plugin on plugin.sock (issue 10 item 1)');
    assert.equal(d.releaseNotesDir, '/var/lib/vpcwire/release-notes');
    assert.equal(d.vethPrefix, 'eni');
    assert.equal(d.logFile, undefined);
    assert.deepEqual([d.logLevel, d.logMaxSizeMb, d.logMaxFiles], ['debug', 100, 5], "upstream's defaults: Debug, 100 MB, 5 rotated files");
    const l = parseNetConf(conf({ logFile: 'stderr', logLevel: 'WARN', logMaxSizeMb: 0.5, logMaxFiles: 2 }));
    assert.deepEqual([l.logFile, l.logLevel, l.logMaxSizeMb, l.logMaxFiles], ['stderr', 'warn', 0.5, 2]);
  });

  test('errors: 6 for non-JSON, 1 for an unsupported version, 7 naming the key otherwise', () => {
    cniError(() => parseNetConf('{"cniVersion":'), 6, /not JSON/);
    cniError(() => parseNetConf(conf({ cniVersion: '0.2.0' })), 1, /incompatible CNI version "0\.2\.0"/);
    for (const v of ['01.1.0', ' 1.1.0', '1.1', '1.1.0.0', '1.1.0 ', 'v1.1.0', '1.1.0-rc1']) {
      cniError(() => parseNetConf(conf({ cniVersion: v })), 1, /incompatible CNI version .*: vpcwire supports 0\.3\.0, 0\.3\.1, 0\.4\.0, 1\.0\.0, 1\.1\.0$/);
    }
    cniError(() => parseNetConf(conf({ cniVersion: 1.1 })), 7, /"cniVersion" is required \(a string\), got 1\.1/);
    cniError(() => parseNetConf(conf({ name: 'n'.repeat(254) })), 7, /"name" is 254 characters long/);
    cniError(() => parseNetConf(conf({ cniVersion: undefined })), 7, /"cniVersion" is required/);
    cniError(() => parseNetConf(conf({ name: 'vpc wire' })), 7, /"name"/);
    cniError(() => parseNetConf(conf({ socket: 'ipamd.sock' })), 7, /"socket" must be an absolute path/);
    cniError(() => parseNetConf(conf({ deadlineMs: 0 })), 7, /"deadlineMs"/);
    cniError(() => parseNetConf(conf({ vethPrefix: 'eth' })), 7, /"vethPrefix"/);
    cniError(() => parseNetConf(conf({ logFile: 'stdout' })), 7, /"logFile" must be an absolute path or "stderr" \(stdout carries the result\), got "stdout"/);
    cniError(() => parseNetConf(conf({ logLevel: 'trace' })), 7, /"logLevel" must be one of debug, info, warn, error \(any case\), got "trace"/);
    cniError(() => parseNetConf(conf({ logMaxSizeMb: '100' })), 7, /"logMaxSizeMb" must be a number from 0\.001 to 10240/);
    cniError(() => parseNetConf(conf({ logMaxFiles: 2.5 })), 7, /"logMaxFiles" must be an integer from 1 to 100, got 2\.5/);
    cniError(() => parseNetConf(conf({ prevResult: [] })), 7, /"prevResult" must be an object, got a list of 0/);
    cniError(() => parseNetConf(conf({ 'cni.dev/valid-attachments': [{ containerID: 1 }] })), 7, /valid-attachments"\[0\]/);
    cniError(() => parseNetConf('[]'), 7, /JSON object/);
  });

  test('any shape of value is named in a short message, never serialised whole (deep nesting, huge strings)', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    for (const key of ['name', 'socket', 'deadlineMs', 'vethPrefix', 'logFile', 'logLevel', 'logMaxSizeMb', 'logMaxFiles', 'prevResult', 'cni.dev/valid-attachments']) {
      const stdin = `{"cniVersion":"1.1.0","name":"n","type":"vpcwire",${JSON.stringify(key)}:${deep}}`;
      assert.throws(() => parseNetConf(stdin), (e: unknown) => e instanceof CniError && e.cniCode === 7 && e.message.length < 200, key);
    }
    const unknownKey = parseNetConf(`{"cniVersion":"1.1.0","name":"n","extra":${deep},"big":"${'x'.repeat(1 << 20)}"}`);
    assert.equal(unknownKey.name, 'n', 'keys vpcwire does not read are not its business');
    assert.throws(() => parseNetConf(`{"cniVersion":"1.1.0","name":"${'x'.repeat(1 << 20)}`), (e: unknown) => e instanceof CniError && e.cniCode === 6 && e.message.length < 400);
  });

  test("prevResult is checked against the spec's result types: 7 naming the field", () => {
    const prev = (p: Record<string, unknown>) => parseNetConf(conf({ prevResult: p }));
    cniError(() => prev({ ips: [{ address: '999.999.999.999/32' }] }), 7, /^invalid network configuration: prevResult\.ips\[0\]\.address must be an IP address with a prefix length \(CIDR\), got "999\.999\.999\.999\/32"$/);
    cniError(() => prev({ ips: [{ address: '10.0.0.1/33' }] }), 7, /ips\[0\]\.address/);
    cniError(() => prev({ ips: [{ address: '10.0.0.1/32', gateway: 'x' }] }), 7, /ips\[0\]\.gateway must be an IP address/);
    cniError(() => prev({ ips: [{ address: '10.0.0.1/32', interface: -1 }] }), 7, /ips\[0\]\.interface/);
    cniError(() => prev({ interfaces: [{ name: 'a/b' }] }), 7, /interfaces\[0\]\.name "a\/b" is invalid/);
    cniError(() => prev({ interfaces: [{ name: 'eth0', mac: 7 }] }), 7, /interfaces\[0\]\.mac must be a string, got 7/);
    cniError(() => prev({ interfaces: 'x' }), 7, /prevResult\.interfaces must be a list/);
    cniError(() => prev({ routes: [{ dst: 'default' }] }), 7, /routes\[0\]\.dst must be a CIDR/);
    cniError(() => prev({ dns: [] }), 7, /prevResult\.dns must be an object/);
    const chained = prev({
      interfaces: [{ name: 'eni1', mac: 'aa:bb:cc:dd:ee:ff' }, { name: 'eth0', sandbox: '/run/netns/p' }, { name: 'bwp123', mac: '' }],
      ips: [{ address: 'fd00::a/128', interface: 1 }, { address: '10.0.0.9/32', interface: 1, gateway: '169.254.1.1' }, { address: '::ffff:10.0.0.9/128' }],
      routes: [{ dst: '0.0.0.0/0', gw: '169.254.1.1' }, { dst: '::/0' }],
    });
    assert.equal(readPrevious(chained.prevResult, 'eth0').podIp, '10.0.0.9', 'other plugins\' entries (IPv6, an ifb) are fine');
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
    cniError(() => requireForCheck(readPrevious({ ips: [{ address: '10.0.0.1/32' }] }, 'eth0'), 'eth0'), 7, /missing hostVeth, hostMac, containerMac, sandbox/);
    const ours = JSON.parse(JSON.stringify(buildResult(w, '1.1.0'))) as { interfaces: Record<string, unknown>[] };
    ours.interfaces[0]!.mac = 'zz';
    cniError(() => requireForCheck(readPrevious(ours, 'eth0'), 'eth0'), 7, /host interface has MAC "zz", not an Ethernet MAC/);
    ours.interfaces[1]!.sandbox = 'netns-p';
    cniError(() => readPrevious(ours, 'eth0'), 7, /prevResult\.interfaces\[1\]\.sandbox "netns-p" is invalid: must be an absolute path/);
  });

  test('the host veth name ipamd gives the plugin is the one it looks for after a restart', () => {
    const pod = { namespace: 'kube-system', name: 'coredns-7db6d8ff4d-x2x9k' };
    const key = { containerId: 'c1', ifName: 'eth0' };
    assert.equal(hostVethFor('eni', pod, key), hostVethName('eni', pod.namespace, pod.name));
    // Upstream's rule, pinned: prefix + the first 11 hex digits of sha1("kube-system.coredns-7db6d8ff4d-x2x9k").
    assert.equal(hostVethFor('eni', pod, key), 'eni3e2638a6d41');
    assert.notEqual(hostVethFor('eni', {}, key), hostVethFor('eni', {}, { ...key, containerId: 'c2' }), 'without pod args the container decides');
    // Half an identity (podman: K8S_POD_NAME only) is none: the container decides.
    assert.equal(hostVethFor('eni', { name: 'web' }, key), hostVethFor('eni', {}, key));
    assert.equal(hostVethFor('eni', { namespace: '', name: 'web' }, key), hostVethFor('eni', {}, key));
    assert.match(hostVethFor('eni', {}, key), /^eni[0-9a-f]{11}$/);
  });
});
