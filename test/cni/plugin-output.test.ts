/**
 * Every input gets a spec error, never a crash (issue 9 item 4): the findings of the first fuzzing
 * run, each against the real plugin binary exec'd as a runtime execs it (in a scratch netns this
 * file creates, with no ipamd listening: these must all be answered before anything is asked of it).
 * Answers are the spec's {cniVersion, code, msg[, details]}, bounded, without stack traces, and
 * arrive whole through a pipe whose reader is slow.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { deleteNetns, ip } from '../../sim/dataplane/ip.ts';
import { execPlugin, type PluginCall, type PluginRun } from '../../cluster/plugin-exec.ts';
import { kernelTestsSkipReason } from '../helpers/pod-netns.ts';
import { pluginBinary } from '../helpers/plugin.ts';

const ns = `vpcw-out${randomBytes(3).toString('hex')}`;
const CONF = { cniVersion: '1.1.0', name: 'vpcwire', type: 'vpcwire', socket: `/run/${ns}/no-ipamd.sock`, releaseNotesDir: `/tmp/${ns}-notes` };

/** The spec's error object and nothing else; no stack frames anywhere in it. */
function assertSpecError(r: PluginRun, code: number, msg?: RegExp): void {
  assert.equal(r.exitCode, 1, r.stdout);
  assert.ok(r.json, `stdout is JSON: ${r.stdout.slice(0, 200)}`);
  assert.deepEqual(Object.keys(r.json).filter((k) => !['cniVersion', 'code', 'msg', 'details'].includes(k)), []);
  assert.equal(r.json.code, code, r.stdout.slice(0, 500));
  if (msg) assert.match(String(r.json.msg), msg);
  assert.doesNotMatch(r.stdout, /\n\s+at |\bat [\w.<>]+ \(|node:internal|\.cjs:\d+/, 'no stack trace');
  assert.ok(r.stdout.length < 8 * 1024, `bounded: ${r.stdout.length} bytes`);
}

describe('the plugin answers any input with a spec error', { skip: await kernelTestsSkipReason() }, () => {
  let plugin: string;
  const call = (c: Partial<PluginCall>) =>
    execPlugin({ plugin, nodeNetns: ns, command: 'ADD', containerId: 'c1', netns: '/run/netns/none', ifName: 'eth0', config: CONF, ...c });

  before(async () => {
    plugin = await pluginBinary();
    await ip(['netns', 'add', ns]);
  });
  after(async () => {
    await deleteNetns(ns).catch(() => undefined);
  });

  test('JSON nested 100,000 deep under a key the plugin reads is code 7 naming the key, not a stack overflow', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    for (const key of ['name', 'socket', 'prevResult', 'cni.dev/valid-attachments', 'deadlineMs']) {
      const config = `{"cniVersion":"1.1.0","name":"vpcwire","socket":"/x/y.sock",${JSON.stringify(key)}:${deep}}`;
      assertSpecError(await call({ config, command: key.startsWith('cni.dev') ? 'GC' : 'ADD' }), 7, new RegExp(`"?${key.replace('.', '\\.').replace('/', '\\/')}"?(\\[0\\])? must be`));
    }
  });

  test("a NODE_OPTIONS in the runtime's environment is not the plugin's: VERSION and errors answer as always", async () => {
    // podman hands its plugins the user's environment; a preload meant for something else must not
    // crash every verb of a Node executable (the SEA is built with execArgvExtension "none").
    const env = { NODE_OPTIONS: '--require /nonexistent/preload.js --max-old-space-size=1' };
    const version = await call({ command: 'VERSION', config: { cniVersion: '1.1.0' }, env });
    assert.equal(version.exitCode, 0, version.stdout + version.stderr);
    assert.equal(version.json?.cniVersion, '1.1.0');
    assertSpecError(await call({ command: 'ADD', ifName: undefined, env }), 4);
  });

  test('DEL with ipamd down and an address that is no address in prevResult: code 7 naming the field', async () => {
    const r = await call({ command: 'DEL', config: { ...CONF, prevResult: { cniVersion: '1.1.0', interfaces: [], ips: [{ address: '999.999.999.999/32' }] } } });
    assertSpecError(r, 7, /^invalid network configuration: prevResult\.ips\[0\]\.address must be an IP address with a prefix length \(CIDR\), got "999\.999\.999\.999\/32"$/);
  });

  test('an error about a huge input stays small, and arrives whole through a slow pipe', async () => {
    const huge = 'x'.repeat(120_000); // about the largest value one environment variable can hold
    for (const c of [
      { ifName: huge },
      { containerId: `-${huge}` },
      { netns: huge },
      { args: `K8S_POD_NAME=${huge}` },
      { args: `${huge}=1` },
      { config: { ...CONF, name: huge } },
      { config: { ...CONF, cniVersion: huge } },
      { config: { ...CONF, socket: huge } },
      { config: `{"cniVersion":"1.1.0","name":"${huge}` },
      { config: { ...CONF, prevResult: { ips: [{ address: huge }] } } },
      { config: { ...CONF, prevResult: { interfaces: [{ name: huge }] } } },
    ] as Partial<PluginCall>[]) {
      const r = await call(c);
      assert.equal(r.exitCode, 1);
      assert.ok([1, 4, 6, 7].includes(Number(r.json?.code)), r.stdout.slice(0, 300));
      assertSpecError(r, Number(r.json?.code));
    }
    // A reader that only starts reading after the plugin has exited: what was printed must all be in the pipe.
    const slow = await new Promise<string>((resolve, reject) => {
      const sh = spawn('sh', ['-c', `nsenter --net=/run/netns/${ns} "$0" | (sleep 0.5; cat)`, plugin], {
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c', CNI_NETNS: '/run/netns/x', CNI_IFNAME: huge, CNI_PATH: '/x' },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      let out = '';
      sh.stdout.on('data', (d: Buffer) => (out += d.toString()));
      sh.on('error', reject);
      sh.on('close', () => resolve(out));
      sh.stdin.end(JSON.stringify(CONF));
    });
    assert.equal((JSON.parse(slow) as { code: number }).code, 4);
  });

  test('cniVersion must be one of the supported strings exactly (code 1), and is never echoed back', async () => {
    for (const v of ['01.1.0', ' 1.1.0', '1.1', '1.1.0.0', '1.1.0\n', '2.0.0']) {
      const r = await call({ config: { ...CONF, cniVersion: v } });
      assertSpecError(r, 1, /^incompatible CNI version .*: vpcwire supports 0\.3\.0, 0\.3\.1, 0\.4\.0, 1\.0\.0, 1\.1\.0$/);
      assert.equal(r.json?.cniVersion, '1.1.0', 'the error speaks a version the plugin supports');
      const version = await call({ command: 'VERSION', config: { cniVersion: v } });
      assert.equal(version.exitCode, 0);
      assert.equal(version.json?.cniVersion, '1.1.0', `VERSION does not echo ${JSON.stringify(v)}`);
    }
    for (const v of ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']) {
      assert.equal((await call({ command: 'VERSION', config: { cniVersion: v } })).json?.cniVersion, v);
    }
  });

  test("what ipamd would refuse is refused by the plugin first (code 4), also while ipamd is down (never 11, 'try again forever')", async () => {
    const cases: [Partial<PluginCall>, RegExp][] = [
      [{ ifName: 'x'.repeat(14) + 'é' }, /^CNI_IFNAME "x{14}é" is invalid: at most 15 bytes \(IFNAMSIZ\), got 16$/],
      [{ args: `IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=${'p'.repeat(254)}` }, /^CNI_ARGS: K8S_POD_NAME is 254 characters long, at most 253 allowed$/],
      [{ containerId: 'c'.repeat(257) }, /^CNI_CONTAINERID is 257 characters long, at most 256 allowed$/],
      [{ netns: '/run/netns/a\tb' }, /^CNI_NETNS .* contains control characters$/],
      [{ args: 'K8S_POD_NAME=web;FOO=bar' }, /^CNI_ARGS: unknown args "FOO=bar"/],
    ];
    for (const [c, msg] of cases) {
      for (const command of ['ADD', 'DEL', 'CHECK'] as const) assertSpecError(await call({ ...c, command }), 4, msg);
    }
    // The same inputs within the limits get past the checks: ipamd is down, so ADD is 11 (netns exists).
    const ok = await call({ netns: `/run/netns/${ns}`, ifName: 'x'.repeat(13) + 'é', containerId: 'c'.repeat(256), args: `K8S_POD_NAME=${'p'.repeat(253)}` });
    assertSpecError(ok, 11, /ipamd is not serving/);
  });
});
