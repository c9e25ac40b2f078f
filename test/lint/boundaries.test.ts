/**
 * The import boundaries are enforced, not only written down (issue 10 item 6, DESIGN.md §1, §8):
 * each snippet is linted with the project's own eslint.config.js as if it were the named file, and
 * a forbidden import, static or dynamic, must fail while the allowed ones pass.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });
const BOUNDARY_RULES = new Set(['no-restricted-imports', 'no-restricted-syntax']);

/** The boundary messages ESLint reports for `code` placed at `filePath`. */
async function violations(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId !== null && BOUNDARY_RULES.has(m.ruleId)).map((m) => m.message);
}

const forbidden = async (filePath: string, specifier: string, why: RegExp): Promise<void> => {
  for (const code of [
    `import { x } from '${specifier}';\nexport const y = x;\n`,
    `export { x } from '${specifier}';\n`,
    `export const y = () => import('${specifier}');\n`,
  ]) {
    const found = await violations(filePath, code);
    assert.equal(found.length, 1, `${filePath}: ${code.trim()} should fail lint, got ${JSON.stringify(found)}`);
    assert.match(found[0]!, why);
  }
};

const allowed = async (filePath: string, specifier: string): Promise<void> => {
  const code = `import { x } from '${specifier}';\nexport const y = () => [x, import('${specifier}')];\n`;
  assert.deepEqual(await violations(filePath, code), [], `${filePath}: importing ${specifier} is allowed`);
};

describe('lint boundaries', () => {
  test('sim/ is a leaf: no ipamd, cni, warm-pool, contract, cluster, test or bin', async () => {
    const leaf = /sim\/ imports nothing outside sim\//;
    await forbidden('sim/model/x.ts', '../../ipamd/datastore/ipv4.ts', leaf);
    await forbidden('sim/x.ts', '../cni/main.ts', leaf);
    await forbidden('sim/dataplane/x.ts', '../../warm-pool/planner.ts', leaf);
    await forbidden('sim/x.ts', '../contract/cni-input.ts', leaf);
    await forbidden('sim/x.ts', '../cluster/local-node.ts', leaf);
    await forbidden('sim/ec2/actions/x.ts', '../../../test/helpers/emulator.ts', leaf);
    await allowed('sim/model/x.ts', '../ipv4.ts');
    await allowed('sim/dataplane/x.ts', './ip.ts');
    await allowed('sim/x.ts', 'fast-xml-parser');
  });

  test('metrics-helper/: production (no sim/, cluster/, test/); its SDKs only as types, loaded with import()', async () => {
    const prod = /production code never loads sim\/, cluster\/ or test\//;
    await forbidden('metrics-helper/x.ts', '../sim/emulator.ts', prod);
    await forbidden('metrics-helper/x.ts', '../test/helpers/kube/testbed.ts', prod);
    for (const sdk of ['@aws-sdk/client-cloudwatch', '@kubernetes/client-node']) {
      const found = await violations('metrics-helper/x.ts', `import { X } from '${sdk}';\nexport const y = X;\n`);
      assert.equal(found.length, 1, `${sdk}: ${JSON.stringify(found)}`);
      assert.match(found[0]!, /only types: metrics-helper loads its SDKs with import\(\) when it runs/);
      assert.deepEqual(await violations('metrics-helper/x.ts', `import type { X } from '${sdk}';\nexport const y = (x: X) => [x, import('${sdk}')];\n`), []);
    }
    await allowed('metrics-helper/x.ts', '../contract/metrics.ts');
    await allowed('cdk/x.ts', '../metrics-helper/catalog.ts');
  });

  test('production code never loads sim/, cluster/ or test/', async () => {
    const prod = /production code never loads sim\/, cluster\/ or test\//;
    await forbidden('ipamd/x.ts', '../sim/emulator.ts', prod);
    await forbidden('ipamd/aws/x.ts', '../../cluster/local-node.ts', prod);
    await forbidden('warm-pool/x.ts', '../test/warm-pool/fixtures.ts', prod);
    await forbidden('bin/vpcwire.ts', '../sim/cli.ts', prod);
    await forbidden('bin/vpcwire.ts', '../cluster/demo.ts', prod);
    await forbidden('cni/verbs/x.ts', '../../test/helpers/plugin.ts', prod);
    await allowed('ipamd/x.ts', './datastore/ipv4.ts');
    await allowed('ipamd/x.ts', '../warm-pool/planner.ts');
    await allowed('bin/vpcwire.ts', '../ipamd/status-cli.ts');
    await allowed('ipamd/x.ts', 'node:test');
  });

  test('the existing plugin and contract rules still hold alongside them', async () => {
    assert.equal((await violations('cni/x.ts', "import { x } from '../ipamd/api/handlers.ts';\nexport const y = x;\n")).length, 1);
    assert.equal((await violations('cni/x.ts', "import { x } from '../sim/emulator.ts';\nexport const y = x;\n")).length, 2, 'both the plugin rule and the production rule name it');
    // contract/ imports nothing but contract/ (its generated types included).
    assert.equal((await violations('contract/x.ts', "import { x } from '../ipamd/y.ts';\nexport const y = x;\n")).length, 1);
    assert.equal((await violations('contract/x.ts', "import { x } from './y.ts';\nexport const y = x;\n")).length, 0);
  });

  test('the developer CLI, the harness and tests may use the emulator', async () => {
    await allowed('bin/vpcwire-dev.ts', '../sim/cli.ts');
    await allowed('bin/vpcwire-dev.ts', '../cluster/demo.ts');
    await allowed('cluster/x.ts', '../sim/emulator.ts');
    await allowed('cluster/x.ts', '../ipamd/api/client.ts');
    await allowed('test/sim/x.test.ts', '../../sim/emulator.ts');
    await forbidden('cluster/x.ts', '../test/helpers/plugin.ts', /cluster\/ is used by tests/);
  });
  test('cdk/ loads nothing of the emulator, harness or tests, and of ipamd only the max-pods computation', async () => {
    await forbidden('cdk/x.ts', '../sim/emulator.ts', /cdk\/ describes a real cluster/);
    await forbidden('cdk/x.ts', '../test/cdk/cluster-stack.test.ts', /cdk\/ describes a real cluster/);
    await forbidden('cdk/x.ts', '../cluster/demo.ts', /cdk\/ describes a real cluster/);
    const [found] = [await violations('cdk/x.ts', "import { x } from '../ipamd/daemon.ts';\nexport const y = x;\n")];
    assert.equal(found.length, 1);
    assert.match(found[0]!, /cdk\/ uses of ipamd only max-pods\.ts and instance-catalog\.ts/);
    await allowed('cdk/x.ts', '../ipamd/max-pods.ts');
    await allowed('cdk/x.ts', '../ipamd/instance-catalog.ts');
    await allowed('cdk/x.ts', 'aws-cdk-lib/aws-eks-v2');
    await allowed('test/cdk/x.test.ts', '../../cdk/cluster-stack.ts');
    await allowed('cdk/x.ts', '../iam/policies.ts'); // the app's IAM documents are iam/'s
  });
  test('iam/ is a leaf: the documents cdk/ and render.ts take from it bring nothing else along', async () => {
    const leaf = /iam\/ imports nothing outside iam\//;
    await forbidden('iam/x.ts', '../sim/emulator.ts', leaf);
    await forbidden('iam/x.ts', '../ipamd/eni-manager.ts', leaf);
    await forbidden('iam/x.ts', '../test/helpers/helm.ts', leaf);
    await allowed('iam/x.ts', './policies.ts');
    await allowed('iam/render.ts', 'node:fs');
  });
  test('ipamd loads the Kubernetes client and ipamd/kube/ only lazily: static value imports fail, types and import() pass', async () => {
    for (const [file, spec, why] of [
      ['ipamd/daemon.ts', '@kubernetes/client-node', /only types: ipamd\/kube\/client\.ts loads the Kubernetes client lazily/],
      ['ipamd/kube/watch.ts', '@kubernetes/client-node', /only types/],
      ['ipamd/daemon.ts', './kube/index.ts', /ipamd\/kube\/ is imported lazily/],
      ['ipamd/api/x.ts', '../kube/events.ts', /ipamd\/kube\/ is imported lazily/],
    ] as const) {
      const found = await violations(file, `import { x } from '${spec}';\nexport const y = x;\n`);
      assert.equal(found.length, 1, `${file}: a value import of ${spec} must fail, got ${JSON.stringify(found)}`);
      assert.match(found[0]!, why);
      assert.deepEqual(await violations(file, `import type { X } from '${spec}';\nexport type Y = X;\nexport const z = () => import('${spec}');\n`), []);
    }
    assert.deepEqual(await violations('ipamd/config.ts', `import { parseKubeSettings } from './kube/settings.ts';\nexport const y = parseKubeSettings;\n`), []);
  });

  test('only ipamd/metrics/prometheus.ts imports prom-client: the rest of ipamd reports through the MetricsPort', async () => {
    for (const file of ['ipamd/daemon.ts', 'ipamd/metrics/endpoint.ts', 'ipamd/kube/watch.ts']) {
      for (const code of [`import { Counter } from 'prom-client';\nexport const y = Counter;\n`, `export { Counter } from 'prom-client';\n`]) {
        const found = await violations(file, code);
        assert.equal(found.length, 1, `${file}: ${code.trim()} should fail lint, got ${JSON.stringify(found)}`);
        assert.match(found[0]!, /only ipamd\/metrics\/prometheus\.ts imports prom-client/);
      }
    }
    await allowed('ipamd/metrics/prometheus.ts', 'prom-client');
  });
});
