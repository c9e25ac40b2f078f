#!/usr/bin/env node
/**
 * Bundles the part of @kubernetes/client-node that ipamd uses (kube/client.ts KubeClientModule)
 * into one ES module, build/kube-client.mjs: one file instead of about 1,000 modules, which halves
 * what loading the client costs ipamd in memory and start time (kube/client.ts). The same code,
 * pinned by package-lock.json; rebuilt only when the package or this script changed.
 * Usage: node ipamd/kube/build-client.ts [--force]
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = join(ROOT, 'build', 'kube-client.mjs');
const EXPORTS = ['KubeConfig', 'ListWatch', 'Watch', 'CoreV1Api', 'EventsV1Api', 'CustomObjectsApi', 'setHeaderOptions', 'PatchStrategy'];

export async function buildKubeClient(opts: { force?: boolean } = {}): Promise<{ path: string; rebuilt: boolean; bytes: number }> {
  const pkg = readFileSync(join(ROOT, 'node_modules', '@kubernetes', 'client-node', 'package.json'));
  const stamp = createHash('sha256').update(pkg).update(readFileSync(fileURLToPath(import.meta.url))).digest('hex');
  const stampPath = `${OUT}.stamp`;
  if (!opts.force && existsSync(OUT) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) {
    return { path: OUT, rebuilt: false, bytes: readFileSync(OUT).length };
  }
  mkdirSync(dirname(OUT), { recursive: true });
  const staged = `${OUT}.${process.pid}.tmp`;
  const { build } = await import('esbuild');
  await build({
    stdin: { contents: `export { ${EXPORTS.join(', ')} } from '@kubernetes/client-node';`, resolveDir: ROOT, loader: 'js' },
    outfile: staged,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    // Apache-2.0 and the dependencies' licenses travel with the code.
    legalComments: 'eof',
    logLevel: 'error',
    // Some dependencies are CommonJS and require Node's built-ins.
    banner: { js: "import { createRequire as __vpcwireCreateRequire } from 'node:module'; const require = __vpcwireCreateRequire(import.meta.url);" },
  });
  renameSync(staged, OUT);
  writeFileSync(stampPath, stamp);
  return { path: OUT, rebuilt: true, bytes: readFileSync(OUT).length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await buildKubeClient({ force: process.argv.includes('--force') });
  process.stdout.write(`${r.path} (${(r.bytes / 1024).toFixed(0)} KiB)${r.rebuilt ? '' : ', up to date'}\n`);
}
