/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy` from cdk/ (cdk.json runs this file on Node 24).
 * Settings come from context (cdk/config.ts); the stack is environment-agnostic, so synth needs
 * no AWS account, credentials or network, and deploy goes to the CLI's account and Region.
 */
import { App } from 'aws-cdk-lib';
import { readConfig } from './config.ts';
import { TestClusterStack } from './cluster-stack.ts';

const app = new App();
try {
  const config = readConfig((key) => app.node.tryGetContext(key));
  new TestClusterStack(app, 'VpcwireTestCluster', {
    config,
    description: `vpcwire test cluster ${config.clusterName} (EKS ${config.kubernetesVersion}, no default CNI)`,
  });
} catch (e) {
  // A setting the operator gave (or the missing chart): the message names it; a stack trace would bury it.
  process.stderr.write(`vpcwire cdk: ${(e as Error).message}\n`);
  process.exit(1);
}
app.synth();
