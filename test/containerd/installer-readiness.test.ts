/**
 * The installer's conflist is what turns a node Ready (DESIGN.md §5, issue 4 item 3), checked with
 * the runtime that decides it: containerd's CRI NetworkReady condition (what kubelet copies into
 * the node's Ready condition) is false until ipamd serves, true while it does, false again right
 * after SIGTERM. ipamd runs against the emulator without a data plane; containerd runs in a
 * throwaway netns and never starts a sandbox here, so any executable stands in for the plugin.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { startEmulator, type Emulator } from '../../sim/emulator.ts';
import { deleteNetns, ip } from '../../sim/dataplane/ip.ts';
import { type Containerd, containerdSkipReason, startContainerd } from '../helpers/containerd.ts';
import { type IpamdProcess, startIpamdProcess } from '../helpers/ipamd-process.ts';
import { kernelTestsSkipReason } from '../helpers/pod-netns.ts';

const skip = containerdSkipReason() ?? (await kernelTestsSkipReason());
const node = `vpcw-ird${randomBytes(3).toString('hex')}`;

/** Polls containerd's NetworkReady until it equals `want`; returns how long that took. */
async function networkReadyBecomes(c: Containerd, want: boolean, ms = 10_000): Promise<number> {
  const t0 = performance.now();
  for (const deadline = Date.now() + ms; ; await sleep(10)) {
    const cond = (await c.cri.conditions()).NetworkReady;
    if (cond?.status === want) return performance.now() - t0;
    if (Date.now() > deadline) throw new Error(`NetworkReady stayed ${JSON.stringify(cond)}, wanted ${want}`);
  }
}

describe('installer conflist drives containerd NetworkReady', { skip }, () => {
  let dir: string;
  let sim: Emulator | undefined;
  let ctrd: Containerd | undefined;
  let ipamd: IpamdProcess | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vpcwire-ird-'));
    await ip(['netns', 'add', node]);
    await ip(['link', 'set', 'lo', 'up'], node);
    mkdirSync(join(dir, 'net.d'));
    mkdirSync(join(dir, 'bin'));
    ctrd = await startContainerd({ netns: node, dir: join(dir, 'containerd'), cniBinDir: join(dir, 'bin'), cniConfDir: join(dir, 'net.d') });
    sim = await startEmulator({
      profile: 'instant',
      throttling: false,
      topology: {
        vpc: { cidrs: ['10.63.0.0/16'], subnets: [{ name: 'nodes', cidr: '10.63.0.0/20', az: 'us-west-2a' }], securityGroups: [{ name: 'sg' }] },
        instances: [{ name: 'node', type: 't3.small', subnet: 'nodes', securityGroups: ['sg'] }],
      },
    });
  });

  after(async () => {
    try {
      await ipamd?.stop();
      await ctrd?.stop();
      await sim?.stop();
    } finally {
      await deleteNetns(node);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('NotReady before ipamd serves, Ready while it serves, NotReady right after SIGTERM', async (t) => {
    const c = ctrd!;
    assert.equal((await c.cri.conditions()).NetworkReady?.status, false, 'no conflist yet: network not ready');
    const source = join(dir, 'plugin-build');
    writeFileSync(source, '#!/bin/sh\nexit 1\n');
    chmodSync(source, 0o755);

    ipamd = await startIpamdProcess(sim!, sim!.instance('node').id, {
      VPCWIRE_CNI_BIN_DIR: join(dir, 'bin'),
      VPCWIRE_CNI_CONF_DIR: join(dir, 'net.d'),
      VPCWIRE_CNI_PLUGIN_SOURCE: source,
    });
    const readyMs = await networkReadyBecomes(c, true);
    t.diagnostic(`NetworkReady ${readyMs.toFixed(0)} ms after ipamd's health said SERVING`);
    assert.ok(existsSync(join(dir, 'bin', 'vpcwire')));

    const t0 = performance.now();
    await ipamd.kill('SIGTERM');
    const exitMs = performance.now() - t0;
    const notReadyMs = await networkReadyBecomes(c, false);
    t.diagnostic(`ipamd exited ${exitMs.toFixed(0)} ms after SIGTERM; NetworkReady false ${notReadyMs.toFixed(0)} ms after that`);
    assert.equal(existsSync(join(dir, 'net.d', '10-vpcwire.conflist')), false);
  });
});
