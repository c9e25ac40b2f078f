/**
 * The values the CDK app gives its Helm chart resource, rendered by the real helm (the binary
 * test/control-plane/build.sh builds, as test/install/ uses it) against the real charts/vpcwire, so
 * a value the chart does not have (values.schema.json: additionalProperties false, env values
 * strings) fails here rather than in the kubectl Lambda during a deploy. And what they render is
 * what the stack expects: its own ServiceAccount (with the IRSA role) used, its env reaching ipamd,
 * no ENIConfig from the chart (the stack makes them).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { NAMESPACE, TestClusterStack } from '../../cdk/cluster-stack.ts';
import { readConfig } from '../../cdk/config.ts';
import { SERVICE_ACCOUNT } from '../../iam/policies.ts';
import { find, type K8sObject, render } from '../helpers/helm.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vpcwire-cdk-values-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

type Resource = { Type: string; Properties: Record<string, unknown> };

/** The app synthesized with these context values: its chart values, and the ServiceAccounts the stack creates. */
function synth(context: Record<string, unknown>) {
  const app = new App({ outdir: join(dir, `out-${Math.random().toString(36).slice(2)}`) });
  const stack = new TestClusterStack(app, 'TestCluster', { config: readConfig((k) => context[k]) });
  const resources = Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, Resource>);
  const [helm] = resources.filter((r) => r.Type === 'Custom::AWSCDK-EKS-HelmChart');
  const raw = helm!.Properties.Values;
  assert.equal(typeof raw, 'string', `the chart values are a literal (no token to resolve at deploy): ${JSON.stringify(raw)}`);
  const values = JSON.parse(raw as string) as Record<string, unknown>;
  assert.deepEqual(values, stack.chartValues, 'the template carries the values the stack computed');
  // addServiceAccount's manifests: JSON text around tokens (the role ARN); the name and namespace are literal.
  const serviceAccounts = resources
    .filter((r) => r.Type === 'Custom::AWSCDK-EKS-KubernetesResource')
    .map((r) => JSON.stringify(r.Properties.Manifest))
    .filter((m) => m.includes('\\"kind\\":\\"ServiceAccount\\"'))
    .map((m) => /\\"name\\":\\"([^\\]+)\\",\\"namespace\\":\\"([^\\]+)\\"/.exec(m)!.slice(1).join('/'));
  return { values, serviceAccounts };
}

type Container = { name: string; image: string; env?: { name: string; value?: string }[] };
const podSpec = (objects: K8sObject[]) =>
  (find(objects, 'DaemonSet', 'vpcwire') as K8sObject & { spec: { template: { spec: { serviceAccountName: string; containers: Container[] } } } }).spec.template.spec;
const ipamd = (objects: K8sObject[]) => podSpec(objects).containers.find((c) => c.name === 'ipamd')!;
const envOf = (objects: K8sObject[]) => Object.fromEntries((ipamd(objects).env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));

const SETTINGS: Record<string, Record<string, unknown>> = {
  defaults: {},
  'custom networking, m5.large': { customNetworking: 'true', instanceTypes: 'm5.large', clusterName: 'cn-test' },
  'prefix delegation': { prefixDelegation: 'true', vcpus: '{"t3.medium":2}' },
  'an image through chartValues': { chartValues: '{"image":{"repository":"123456789012.dkr.ecr.eu-west-1.amazonaws.com/vpcwire","tag":"0.1.0"}}' },
};

describe("helm template of charts/vpcwire with the app's values", () => {
  for (const [name, context] of Object.entries(SETTINGS)) {
    test(name, () => {
      const { values, serviceAccounts } = synth(context);
      const objects = render(values); // throws with helm's message when the schema refuses a value
      // The chart makes no ServiceAccount: it uses the stack's, the one its IRSA role trusts.
      assert.equal(find(objects, 'ServiceAccount'), undefined);
      assert.ok(serviceAccounts.includes(`${SERVICE_ACCOUNT}/${NAMESPACE}`), `the stack's ServiceAccounts: ${serviceAccounts.join(', ')}`);
      assert.equal(podSpec(objects).serviceAccountName, SERVICE_ACCOUNT);
      const binding = find(objects, 'ClusterRoleBinding', 'vpcwire') as K8sObject & { subjects: { name: string; namespace: string }[] };
      assert.deepEqual(binding.subjects.map((x) => `${x.name}/${x.namespace}`), [`${SERVICE_ACCOUNT}/${NAMESPACE}`]);
      // Every env value the app sets reaches ipamd as given.
      const env = envOf(objects);
      for (const [k, v] of Object.entries(values.env as Record<string, string>)) assert.equal(env[k], v, k);
      assert.deepEqual(objects.filter((o) => o.kind === 'ENIConfig'), [], 'the stack renders the ENIConfigs, not the chart');
      const image = values.image as { repository: string; tag: string } | undefined;
      if (image) assert.equal(ipamd(objects).image, `${image.repository}:${image.tag}`);
    });
  }

  test('a value name the chart does not have fails the render, naming it', () => {
    const { values } = synth({});
    const { ENABLE_SUBNET_DISCOVERY, ...rest } = values.env as Record<string, string>;
    assert.throws(() => render({ ...values, env: { ...rest, ENABLE_SUBNET_DISCOVER: ENABLE_SUBNET_DISCOVERY } }), /additional properties 'ENABLE_SUBNET_DISCOVER' not allowed/);
    assert.throws(() => render({ ...values, serviceAccount: { create: false, nam: SERVICE_ACCOUNT } }), /serviceAccount.*nam/s);
    assert.throws(() => render({ ...values, env: { ...rest, ENABLE_SUBNET_DISCOVERY: true } }), /ENABLE_SUBNET_DISCOVERY.*want string/s);
    const { values: withTypo } = synth({ chartValues: '{"imag":{"tag":"0.1.0"}}' });
    assert.throws(() => render(withTypo), /additional properties 'imag' not allowed/);
  });
});
