/**
 * Standalone ipamd (no API server: the demo, non-Kubernetes hosts) never loads the Kubernetes
 * client (issue 11), while one configured for Kubernetes does; a module-resolution hook in the
 * real ipamd process records what it loads. Settings that need Kubernetes are refused standalone.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../../ipamd/config.ts';
import { type Emulator, startEmulator } from '../../sim/emulator.ts';
import { type ControlPlane, startControlPlane } from '../helpers/kube/control-plane.ts';
import { ipamdIdentity } from '../helpers/kube/identity.ts';
import { createNode, eventually } from '../helpers/kube/objects.ts';
import { startIpamdProcess } from '../helpers/ipamd-process.ts';

const PRELOAD = new URL('../helpers/kube/load-trace.mjs', import.meta.url).pathname;

describe('the Kubernetes client is loaded only when configured', () => {
  let sim: Emulator;
  let cp: ControlPlane;
  let dir: string;
  before(async () => {
    cp = await startControlPlane();
    sim = await startEmulator({
        topology: { vpc: { cidrs: ['10.74.0.0/16'], subnets: [{ name: 's', cidr: '10.74.0.0/20', az: 'us-west-2a' }] }, instances: [{ name: 'a', type: 't3.small', subnet: 's' }, { name: 'b', type: 't3.small', subnet: 's' }, { name: 'c', type: 't3.small', subnet: 's' }] },
        profile: 'fast',
        throttling: false,
      });
    dir = mkdtempSync(join(tmpdir(), 'vpcwire-sa-'));
  });
  after(async () => {
    await sim?.stop();
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const traced = async (node: string, env: Record<string, string>, waitFor?: RegExp) => {
    const trace = join(dir, `${node}.trace`);
    const p = await startIpamdProcess(sim, sim.instance(node).id, { ...env, NODE_OPTIONS: `--import=${PRELOAD}`, VPCWIRE_LOAD_TRACE: trace });
    const readLog = () => readFileSync(join(p.dir, 'ipamd.log'), 'utf8');
    const log = waitFor ? await eventually(async () => (waitFor.test(readLog()) ? readLog() : undefined), `${waitFor} in the log`) : readLog();
    await p.stop();
    return { loaded: existsSync(trace) ? readFileSync(trace, 'utf8').trim().split('\n') : [], log };
  };

  test('standalone: not one module of the client', async () => {
    const { loaded } = await traced('a', {});
    assert.deepEqual(loaded, []);
  });

  test('in-cluster: the client is loaded (the control: the hook does see it)', async () => {
    await createNode(cp.admin(), 'b');
    const id = await ipamdIdentity(cp, dir);
    const { loaded, log } = await traced('b', { ...id.env, MY_NODE_NAME: 'b' });
    assert.ok(loaded.length > 0, 'the trace shows the client');
    assert.match(log, /Kubernetes client started/);
  });

  test("CLUSTER_ENDPOINT wins over the service address (upstream's override)", async () => {
    await createNode(cp.admin(), 'c');
    const id = await ipamdIdentity(cp, dir, { name: 'vpcwire-c' });
    // The service variables point nowhere (port 1); the endpoint is the real API server.
    const { log } = await traced('c', { ...id.env, KUBERNETES_SERVICE_PORT: '1', CLUSTER_ENDPOINT: cp.server, MY_NODE_NAME: 'c' }, /watch synced/);
    assert.match(log, new RegExp(`"server":"${cp.server.replace(/[.]/g, '\\.')}"`));
    assert.match(log, /watch synced.*Node c|Node c.*watch synced/);
  });

  test('settings that need Kubernetes are refused standalone, naming the variable', () => {
    assert.throws(() => parseConfig({ AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: 'true' }), /AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG.*needs Kubernetes/);
    assert.throws(() => parseConfig({ ANNOTATE_POD_IP: 'true' }), /ANNOTATE_POD_IP.*needs Kubernetes/);
    assert.throws(() => parseConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }), /MY_NODE_NAME.*downward API/);
    assert.throws(() => parseConfig({ VPCWIRE_KUBERNETES: 'yes' }), /VPCWIRE_KUBERNETES.*standalone, in-cluster, kubeconfig/);
    assert.throws(() => parseConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1', MY_NODE_NAME: 'n', CLUSTER_ENDPOINT: 'ftp://x' }), /CLUSTER_ENDPOINT/);
    const c = parseConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1', MY_NODE_NAME: 'n' });
    assert.equal(c.kube.mode, 'in-cluster');
    assert.equal(c.kube.eniConfigLabelDef, 'k8s.amazonaws.com/eniConfig');
    assert.equal(parseConfig({}).kube.mode, 'standalone');
  });
});
