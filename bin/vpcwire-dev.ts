#!/usr/bin/env node
// The developer's CLI, for a source checkout only (the image ships neither it nor what it loads):
// the local VPC emulator and the local-cluster demo. The operator's commands are in bin/vpcwire.ts.
// Commands load their modules on demand, so `sim` does not pay for ipamd's client.

const USAGE = `usage: vpcwire-dev <command> [options]     (npm run demo / npm run sim -- [options])

commands:
  demo           the local demo: emulator + kernel data plane, two nodes running ipamd, pods wired by the CNI plugin
  sim            start the local VPC emulator (EC2, STS, IMDS, admin) and print its endpoints
  sim cleanup    delete network namespaces left behind by emulator runs (root)

'vpcwire-dev <command> --help' lists a command's options. A node's own commands (status, version)
are in bin/vpcwire.ts.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'demo') return (await import('../cluster/demo.ts')).runDemoCommand(rest);
  if (command === 'sim') return (await import('../sim/cli.ts')).runSimCommand(rest);
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  process.stderr.write(`vpcwire-dev: unknown command '${command}'\n\n${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`vpcwire-dev: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
