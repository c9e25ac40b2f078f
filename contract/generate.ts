/**
 * `npm run contract:gen`: the TypeScript types of ipamd.proto's and health.proto's messages,
 * generated into contract/generated/ by @grpc/proto-loader's own generator with the loader options
 * ipamd uses (ipamd/api/proto.ts: keepCase, int64 as strings, enums by name, defaults), so the
 * `__Output` types are exactly the objects both transports carry (plugin-protocol.ts). Checked in;
 * test/contract/generated.test.ts fails when they are stale. Run from the repository's root.
 *
 * The one file of contract/ that imports anything: it is a build step, not part of the contract.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const PROTOS = ['contract/ipamd.proto', 'contract/health.proto'];
export const GENERATOR_ARGS = [
  '--keepCase', '--longs=String', '--enums=String', '--defaults', '--arrays', '--objects',
  '--grpcLib=@grpc/grpc-js', '--importFileExtension=.ts',
];

const generatorPath = (): string =>
  join(dirname(createRequire(import.meta.url).resolve('@grpc/proto-loader/package.json')), 'build/bin/proto-loader-gen-types.js');

/** Writes the generated types under `outDir`; `root` is the repository's root (the protos' base). */
export function generateContractTypes(outDir: string, root: string): void {
  rmSync(outDir, { recursive: true, force: true }); // a message removed from a .proto leaves no file behind
  execFileSync(process.execPath, [generatorPath(), ...GENERATOR_ARGS, '-O', outDir, ...PROTOS], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}

if (import.meta.main) {
  const root = join(import.meta.dirname, '..');
  generateContractTypes(join(root, 'contract/generated'), root);
  process.stdout.write('wrote contract/generated/\n');
}
