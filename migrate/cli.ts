/**
 * `vpcwire migrate FILE`: an EKS vpc-cni add-on configuration (JSON or YAML) or an exported aws-node
 * DaemonSet (`kubectl get ds aws-node -n kube-system -o yaml`, or -o json) in; charts/vpcwire values
 * YAML on stdout; on stderr one line per setting that was not carried over and why. Exit 0 with
 * values written, 2 when the input cannot be read (the message names the problem).
 *
 * YAML through @kubernetes/client-node's loadAllYaml/dumpYaml (js-yaml inside), loaded only by this
 * command: nothing else of the CLI, and never the CNI plugin, loads it.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type EnvSchema, migrate } from './migrate.ts';

export const MIGRATE_USAGE = `usage: vpcwire migrate FILE   (- reads stdin)
  FILE   an EKS vpc-cni add-on configuration (aws eks describe-addon ... --query addon.configurationValues),
         JSON or YAML, or an exported DaemonSet (kubectl get ds aws-node -n kube-system -o yaml)
prints values for charts/vpcwire on stdout (helm install ... --values FILE) and, on stderr, each
setting it could not carry over and why. Exit 2 when FILE cannot be read.`;

/** The chart's schema: the one list of the variables vpcwire implements, with their patterns. */
const SCHEMA = new URL('../charts/vpcwire/values.schema.json', import.meta.url);

export async function runMigrateCommand(args: string[]): Promise<number> {
  let positionals: string[];
  let help: boolean | undefined;
  try {
    ({ positionals, values: { help } } = parseArgs({ args, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    process.stderr.write(`vpcwire migrate: ${(e as Error).message}\n\n${MIGRATE_USAGE}\n`);
    return 2;
  }
  if (help) {
    process.stdout.write(`${MIGRATE_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`vpcwire migrate: expected one FILE, got ${positionals.length}\n\n${MIGRATE_USAGE}\n`);
    return 2;
  }
  const file = positionals[0]!;
  const where = file === '-' ? 'stdin' : file;
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    process.stderr.write(`vpcwire migrate: cannot read ${where}: ${(e as Error).message}\n`);
    return 2;
  }
  const { loadAllYaml, dumpYaml } = await import('@kubernetes/client-node');
  let docs: unknown[];
  try {
    // JSON is YAML; the round trip through JSON drops the client's model classes.
    docs = JSON.parse(JSON.stringify(loadAllYaml(text))) as unknown[];
  } catch (e) {
    process.stderr.write(`vpcwire migrate: ${where} is neither JSON nor YAML: ${(e as Error).message.split('\n')[0]}\n`);
    return 2;
  }
  let schema: EnvSchema;
  try {
    schema = (JSON.parse(readFileSync(SCHEMA, 'utf8')) as { properties: { env: EnvSchema } }).properties.env;
  } catch (e) {
    // Not the input's fault: exit 1, as for any other failure of the command.
    process.stderr.write(`vpcwire migrate: cannot read the chart's schema ${SCHEMA.pathname} (run it from a checkout or an image that holds charts/vpcwire): ${(e as Error).message}\n`);
    return 1;
  }
  let result;
  try {
    result = migrate(docs.filter((d) => d !== null && d !== undefined), schema);
  } catch (e) {
    process.stderr.write(`vpcwire migrate: ${where}: ${(e as Error).message}\n`);
    return 2;
  }
  process.stdout.write(`# vpcwire chart values from ${where} (vpcwire migrate)\n${dumpYaml(result.values)}`);
  for (const n of result.notes) process.stderr.write(`vpcwire migrate: ${n.changed ? 'changed' : 'not carried over'}: ${n.key}: ${n.why}\n`);
  return 0;
}
