/**
 * The CNI installer inside ipamd (issue 4 item 3), with ipamd as a real process against the
 * emulator and temp bin/conf dirs: the plugin is copied before the start sequence, the conflist
 * appears only once health says SERVING (DESIGN.md §5: it is what turns the node Ready) and goes
 * away first on SIGTERM. The plugin build may not exist yet: any executable stands in for it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { connectIpam } from '../../ipamd/api/client.ts';
import { socketAccepts } from '../../cluster/local-node.ts';
import { ipamdEnv } from '../../cluster/ipamd-env.ts';
import { startEmulator } from '../../sim/emulator.ts';
import { startIpamdProcess } from '../helpers/ipamd-process.ts';

const MAIN = new URL('../../ipamd/main.ts', import.meta.url).pathname;

const topology = {
  vpc: {
    cidrs: ['10.62.0.0/16'],
    subnets: [{ name: 'nodes', cidr: '10.62.0.0/20', az: 'us-west-2a' }],
    securityGroups: [{ name: 'node-sg' }],
  },
  instances: [{ name: 'node', type: 't3.small', subnet: 'nodes', securityGroups: ['node-sg'] }],
};

/** Temp bin/conf dirs and a stand-in plugin executable. */
function installDirs(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'vpcwire-install-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const source = join(dir, 'vpcwire-build');
  writeFileSync(source, '#!/bin/sh\necho stand-in plugin\n');
  chmodSync(source, 0o700);
  const binDir = join(dir, 'bin');
  const confDir = join(dir, 'net.d');
  return {
    dir,
    source,
    binDir,
    confDir,
    conflist: join(confDir, '10-vpcwire.conflist'),
    env: {
      VPCWIRE_CNI_BIN_DIR: binDir,
      VPCWIRE_CNI_CONF_DIR: confDir,
      VPCWIRE_CNI_PLUGIN_SOURCE: source,
      VPCWIRE_CNI_CHAINED_PLUGINS: 'portmap,bandwidth',
      AWS_VPC_K8S_PLUGIN_LOG_FILE: join(dir, 'log', 'plugin.log'),
      AWS_VPC_K8S_PLUGIN_LOG_LEVEL: 'Info',
      VPCWIRE_LOG_MAX_FILES: '3',
    },
  };
}


/** ipamd's JSON log lines' messages, in order. */
const logMessages = (file: string): string[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { message: string }).message);

describe('CNI installer in ipamd', () => {
  test('plugin copied before start; conflist only after SERVING; removed first on SIGTERM', async (t) => {
    const d = installDirs(t);
    const sim = await startEmulator({ topology, profile: 'instant', throttling: false });
    t.after(() => sim.stop());
    const instanceId = sim.instance('node').id;
    // A conflist a killed ipamd left behind must not keep the node Ready while this one starts.
    mkdirSync(d.confDir, { recursive: true });
    writeFileSync(d.conflist, '{"stale":true}');
    // Hold the start sequence in its initial pool fill (after the socket listens, before SERVING).
    const held = ['AssignPrivateIpAddresses', 'CreateNetworkInterface'];
    for (const a of held) sim.faults.pause(a);
    // Spawned here rather than by startIpamdProcess: the test needs the socket path before SERVING.
    const socket = join(d.dir, 'run', 'ipamd.sock');
    const releaseNotesDir = join(d.dir, 'release-notes');
    const logFile = join(d.dir, 'ipamd.log');
    mkdirSync(join(d.dir, 'net'));
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...ipamdEnv(sim, instanceId, { socket, checkpoint: join(d.dir, 'state', 'ipam.json'), netDir: join(d.dir, 'net'), releaseNotesDir, logFile }),
        ...d.env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    const exited = once(child, 'exit');
    t.after(() => {
      child.kill('SIGKILL');
    });
    const alive = () => assert.equal(child.exitCode, null, `ipamd exited: ${stderr}`);

    for (const deadline = Date.now() + 20_000; !(await socketAccepts(socket)); await sleep(20)) {
      alive();
      assert.ok(Date.now() < deadline, `ipamd never listened: ${stderr}`);
    }
    const client = connectIpam(socket, { deadlineMs: 2000 });
    t.after(() => client.close());
    const plugin = join(d.binDir, 'vpcwire');
    assert.ok(existsSync(plugin), 'the plugin is in place before the start sequence');
    assert.equal(statSync(plugin).mode & 0o777, 0o755);
    assert.deepEqual(readFileSync(plugin), readFileSync(d.source));
    for (let i = 0; i < 10; i++) {
      assert.notEqual(await client.checkHealth(), 'SERVING', 'held in the initial fill');
      assert.equal(existsSync(d.conflist), false, 'no conflist while ipamd is starting (the stale one is gone)');
      await sleep(100);
    }
    for (const a of held) sim.faults.resume(a);

    // From here on: whenever the conflist exists, health already says SERVING.
    for (const deadline = Date.now() + 10_000; !existsSync(d.conflist); await sleep(10)) {
      alive();
      assert.ok(Date.now() < deadline, `no conflist after the start sequence: ${stderr}`);
    }
    assert.equal(await client.checkHealth(), 'SERVING');
    const conflist = JSON.parse(readFileSync(d.conflist, 'utf8')) as unknown;
    assert.deepEqual(conflist, {
      cniVersion: '1.0.0',
      name: 'vpcwire',
      plugins: [
        // The plugin's socket: the plugin protocol's, next to the gRPC one (issue 10 item 1).
        { type: 'vpcwire', socket: join(d.dir, 'run', 'plugin.sock'), releaseNotesDir, vethPrefix: 'eni', logFile: join(d.dir, 'log', 'plugin.log'), logLevel: 'info', logMaxSizeMb: 100, logMaxFiles: 3 },
        { type: 'portmap', capabilities: { portMappings: true }, snat: true },
        { type: 'bandwidth', capabilities: { bandwidth: true } },
      ],
    });
    assert.deepEqual(
      spawnSync('ls', ['-A', d.confDir], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean),
      ['10-vpcwire.conflist'],
      'no temp file left beside it',
    );

    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, stderr);
    assert.equal(existsSync(d.conflist), false, 'conflist removed on SIGTERM');
    assert.ok(existsSync(plugin), 'the plugin stays (pods still need DEL)');
    const log = logMessages(logFile);
    const removed = log.indexOf('CNI conflist removed; the node stops being Ready');
    const notServing = log.lastIndexOf('allocation API serving status');
    assert.ok(removed >= 0 && removed < notServing, `conflist removed before ipamd stops serving: ${log.join(' | ')}`);
  });

  test('restart: an identical plugin is left alone, a new build replaces it atomically', async (t) => {
    const d = installDirs(t);
    const sim = await startEmulator({ topology, profile: 'instant', throttling: false });
    t.after(() => sim.stop());
    const p = await startIpamdProcess(sim, sim.instance('node').id, d.env);
    t.after(() => p.stop());
    const plugin = join(d.binDir, 'vpcwire');
    const first = statSync(plugin).ino;

    await p.kill('SIGTERM');
    await p.restart();
    assert.equal(statSync(plugin).ino, first, 'same bytes: not rewritten');

    await p.kill('SIGTERM');
    writeFileSync(d.source, '#!/bin/sh\necho new build\n');
    await p.restart();
    assert.notEqual(statSync(plugin).ino, first, 'replaced by rename, not rewritten in place');
    assert.deepEqual(readFileSync(plugin), readFileSync(d.source));
    assert.equal(statSync(plugin).mode & 0o777, 0o755);
  });

  test('bad configuration stops ipamd with exit 2 naming the variable', (t) => {
    const d = installDirs(t);
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, [MAIN], {
        env: { PATH: process.env.PATH ?? '', VPCWIRE_HOST_NETWORK: 'false', AWS_VPC_K8S_CNI_LOG_FILE: join(d.dir, 'ipamd.log'), ...env },
        encoding: 'utf8',
        timeout: 20_000,
      });
    const chained = run({ ...d.env, VPCWIRE_CNI_CHAINED_PLUGINS: 'portmap,calico' });
    assert.equal(chained.status, 2, chained.stderr);
    assert.match(chained.stderr, /invalid VPCWIRE_CNI_CHAINED_PLUGINS="portmap,calico"/);

    const missing = run({ ...d.env, VPCWIRE_CNI_PLUGIN_SOURCE: join(d.dir, 'no-such-build') });
    assert.equal(missing.status, 2, missing.stderr);
    assert.match(missing.stderr, /invalid VPCWIRE_CNI_PLUGIN_SOURCE=.*no-such-build.*cannot read the CNI plugin executable/);
    assert.equal(existsSync(join(d.binDir, 'vpcwire')), false);
  });
});
