#!/usr/bin/env node
/**
 * Builds the CNI plugin into one executable file, build/cni/vpcwire (issue 4: "one lean
 * executable"): esbuild bundles cni/main.ts and the few modules it uses into one CommonJS script,
 * and Node's single executable application support injects it, with V8's code cache, into a copy
 * of the Node 24 binary. The result needs nothing on the node it runs on (an EKS host has no Node),
 * and its start is a plain Node start plus one small pre-compiled script.
 *
 * Rebuilt only when the bundle or the Node binary changed (a stamp next to the output), so tests
 * and benchmarks can call it first thing. Usage: node cni/build.ts [--out DIR] [--force]
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Set by the SEA tooling of Node 24 (the fuse string in every official binary). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface BuildResult {
  readonly path: string;
  readonly rebuilt: boolean;
  readonly bundleBytes: number;
}

export async function buildPlugin(opts: { outDir?: string; force?: boolean } = {}): Promise<BuildResult> {
  const outDir = opts.outDir ?? join(ROOT, 'build', 'cni');
  mkdirSync(outDir, { recursive: true });
  const exe = join(outDir, 'vpcwire');
  const bundlePath = join(outDir, 'vpcwire.cjs');
  const stagedBundle = join(outDir, `.vpcwire.${process.pid}.cjs`);
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(ROOT, 'cni', 'main.ts')],
    outfile: stagedBundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    minify: true,
    legalComments: 'none',
    logLevel: 'error',
  });
  renameSync(stagedBundle, bundlePath);
  const bundle = readFileSync(bundlePath);
  const node = process.execPath;
  const st = statSync(node);
  const stamp = createHash('sha256')
    .update(bundle)
    .update(`${node}\n${st.size}\n${st.mtimeMs}\n${process.version}\n`)
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .digest('hex');
  const stampPath = `${exe}.stamp`;
  if (!opts.force && existsSync(exe) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) {
    return { path: exe, rebuilt: false, bundleBytes: bundle.length };
  }
  // Per process: two test runners may build at once; only the final rename is shared.
  const blobPath = join(outDir, `.vpcwire.${process.pid}.blob`);
  const seaConfig = join(outDir, `.sea-config.${process.pid}.json`);
  writeFileSync(
    seaConfig,
    JSON.stringify({
      main: bundlePath,
      output: blobPath,
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
      useSnapshot: false,
      // No V8 worker threads: a process that lives for tens of milliseconds never needs a
      // background compiler or GC helper, and starting four of them costs every pod ~3 ms of CPU.
      execArgv: ['--v8-pool-size=0'],
      // Runtimes hand plugins their own environment (podman: the user's); a NODE_OPTIONS meant
      // for something else (`--require x`) must not break every verb (issue 9).
      execArgvExtension: 'none',
    }),
  );
  execFileSync(node, ['--experimental-sea-config', seaConfig], { stdio: 'pipe' }); // throws with its stderr on failure
  const tmp = join(dirname(exe), `.vpcwire.${process.pid}.tmp`);
  copyFileSync(node, tmp);
  chmodSync(tmp, 0o755);
  try {
    const postject = 'postject'; // no type declarations ship with it
    const { inject } = (await import(postject)) as {
      inject: (file: string, name: string, data: Buffer, o: { sentinelFuse: string }) => Promise<void>;
    };
    await silently(() => inject(tmp, 'NODE_SEA_BLOB', readFileSync(blobPath), { sentinelFuse: SEA_FUSE }));
    renameSync(tmp, exe);
  } finally {
    rmSync(tmp, { force: true });
    rmSync(blobPath, { force: true });
    rmSync(seaConfig, { force: true });
  }
  writeFileSync(stampPath, stamp);
  return { path: exe, rebuilt: true, bundleBytes: bundle.length };
}

/** postject's ELF library prints harmless warnings about Node's note sections to stderr. */
async function silently<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await fn();
  } finally {
    process.stderr.write = write;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf('--out');
  const r = await buildPlugin({ force: args.includes('--force'), ...(outIdx >= 0 && args[outIdx + 1] ? { outDir: args[outIdx + 1] } : {}) });
  process.stdout.write(`${r.rebuilt ? 'built' : 'up to date'}: ${r.path} (bundle ${(r.bundleBytes / 1024).toFixed(1)} KiB)\n`);
}
