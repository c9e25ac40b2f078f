#!/usr/bin/env node
// The operator's CLI, shipped in the image: what someone runs on a node. It imports nothing of the
// emulator or the local-cluster harness (issue 10 item 3; lint enforces it); the developer's `sim`
// and `demo` live in bin/vpcwire-dev.ts. Commands load their modules on demand, so `vpcwire
// version` does not pay for gRPC.

const USAGE = `usage: vpcwire <command> [options]

commands:
  status         print a node's ENIs, addresses, allocations and pool targets from a running ipamd
  history        which pod held an address on this node, at a time or over its whole history (ipamd may be down)
  health         exit 0 only if ipamd answers SERVING (grpc.health.v1 on its socket): the pod's probes
  migrate        turn a vpc-cni add-on configuration or an exported aws-node DaemonSet into chart values
  metrics-helper publish the cluster's ipamd metrics to CloudWatch (the chart's metricsHelper Deployment)
  max-pods       print kubelet's max pods for an instance type, as EKS's max-pods-calculator.sh does
  version        print vpcwire's version and the allocation API version ipamd serves (also --version)

'vpcwire <command> --help' lists a command's options.`;

/** Developer commands, answered with where they live rather than a bare "unknown command". */
const DEV_COMMANDS = new Set(['sim', 'demo']);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'status') return (await import('../ipamd/status-cli.ts')).runStatusCommand(rest);
  if (command === 'history') return (await import('../ipamd/history/cli.ts')).runHistoryCommand(rest);
  if (command === 'health') return (await import('../ipamd/health-cli.ts')).runHealthCommand(rest);
  if (command === 'migrate') return (await import('../migrate/cli.ts')).runMigrateCommand(rest);
  if (command === 'metrics-helper') return (await import('../metrics-helper/cli.ts')).runMetricsHelperCommand(rest);
  if (command === 'max-pods') return (await import('../ipamd/max-pods-cli.ts')).runMaxPodsCommand(rest);
  if (command === 'version' || command === '--version' || command === '-V') {
    const { readFileSync } = await import('node:fs');
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const { API_VERSION } = await import('../ipamd/api/version.ts');
    process.stdout.write(`vpcwire ${version} (ipamd API ${API_VERSION})\n`);
    return 0;
  }
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (DEV_COMMANDS.has(command)) {
    process.stderr.write(
      `vpcwire: '${command}' is a developer command, not part of the node CLI: in a source checkout run 'npm run ${command}' (bin/vpcwire-dev.ts)\n`,
    );
    return 2;
  }
  process.stderr.write(`vpcwire: unknown command '${command}'\n\n${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`vpcwire: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
