#!/usr/bin/env node
import { runSimCommand, SIM_USAGE } from '../sim/cli.ts';

const USAGE = `usage: vpcwire <command> [options]

commands:
  sim            start the local VPC emulator (EC2, STS, IMDS, admin) and print its endpoints
  sim cleanup    delete network namespaces left behind by emulator runs (root)

${SIM_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'sim') return runSimCommand(rest);
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
