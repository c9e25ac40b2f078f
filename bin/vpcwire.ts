#!/usr/bin/env node
// Commands load their modules on demand, so `vpcwire status` does not pay for the emulator and
// `vpcwire sim` does not pay for gRPC.

const USAGE = `usage: vpcwire <command> [options]

commands:
  demo           the local demo: emulator + kernel data plane, two nodes running ipamd, pods wired by the CNI plugin
  sim            start the local VPC emulator (EC2, STS, IMDS, admin) and print its endpoints
  sim cleanup    delete network namespaces left behind by emulator runs (root)
  status         print a node's ENIs, addresses, allocations and pool targets from a running ipamd
  version        print vpcwire's version and the allocation API version ipamd serves (also --version)

'vpcwire <command> --help' lists a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'demo') return (await import('../cluster/demo.ts')).runDemoCommand(rest);
  if (command === 'sim') return (await import('../sim/cli.ts')).runSimCommand(rest);
  if (command === 'status') return (await import('../ipamd/status-cli.ts')).runStatusCommand(rest);
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
