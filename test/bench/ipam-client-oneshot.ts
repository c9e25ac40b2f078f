/**
 * Micro-benchmark (not a test, not part of `npm run bench`): what one AddNetwork costs a one-shot
 * process, as the CNI plugin is one (DESIGN.md §5, §6). Each sample is a fresh `node` process,
 * spawned without NODE_EXTRA_CA_CERTS (runtimes never pass it; it adds ~55 ms), timed from spawn
 * to exit, calling ipamd's real API server (started here on temp sockets) once:
 *
 *   (a) the plugin's client (cni/ipam/client.ts) on the plugin socket (contract/plugin-protocol.ts),
 *       as an esbuild bundle like cni/build.ts makes (what the plugin ships) and straight from the
 *       TypeScript sources;
 *   (c) a stock @grpc/grpc-js + @grpc/proto-loader client on the gRPC socket, plain JavaScript from
 *       node_modules ((b), node:http2 with hand-written gRPC framing, went with issue 10's transport);
 * next to `node -e 0`, to processes that only import the client, and to one that imports a
 * one-line .ts file (Node's type stripping has a start-up cost of its own, which is one reason the
 * plugin is bundled). Median of 20 each (rounds interleave the variants so drift hits all alike),
 * after 2 warm-up rounds.
 *
 * Usage: node test/bench/ipam-client-oneshot.ts [--runs N]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer } from '../../ipamd/api/server.ts';
import { FakeCore } from '../helpers/fake-ipam-handlers.ts';
import { summarize } from './stats.ts';

/** Absolute paths, quoted: both ESM `import` and esbuild accept them. */
const path = (rel: string): string => JSON.stringify(new URL(rel, import.meta.url).pathname);
const CLIENT = path('../../cni/ipam/client.ts');
const PROTO = path('../../contract/ipamd.proto');
const ROOT = new URL('../..', import.meta.url).pathname;

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;
const WARMUP = 2;

// Each script gets argv [socket, containerId] and prints the address it was given.
const REQUEST = `{ client_version: '1.0.0', network_name: 'vpcwire', container_id: id, if_name: 'eth0', netns: '/var/run/netns/' + id,
  k8s_pod_namespace: 'default', k8s_pod_name: 'web-' + id, k8s_pod_uid: 'uid-' + id, k8s_pod_infra_container_id: id }`;

// No top-level await: the same source is bundled to CommonJS, as the plugin is.
const LEAN = `
import { callIpamd } from ${CLIENT};
const [socket, id] = process.argv.slice(-2);
callIpamd(socket, 'AddNetwork', ${REQUEST}, { deadlineMs: 5000 }).then((r) => console.log(r.ipv4_address));`;

// A stock grpc-js client, plain JavaScript from node_modules (the .proto loaded at run time).
const GRPC_JS = `
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
const [socket, id] = process.argv.slice(-2);
const opts = { keepCase: true, longs: String, enums: String, defaults: true };
const Ipam = loadPackageDefinition(loadSync(${PROTO}, opts)).vpcwire.ipamd.v1.Ipam;
const client = new Ipam('unix:' + socket, credentials.createInsecure());
client.AddNetwork(${REQUEST}, { deadline: Date.now() + 5000 }, (err, r) => {
  if (err) throw err;
  console.log(r.ipv4_address);
  client.close();
});`;

interface Variant {
  name: string;
  args: (socket: string, id: string) => string[];
  /** Output a run must print (an address for the calls), so a failing variant is never timed. */
  expect: RegExp;
  /** The gRPC socket for stock clients; the plugin socket otherwise. */
  grpc?: boolean;
}

const esm = (code: string) => (socket: string, id: string) => ['--input-type=module', '-e', code, socket, id];

async function bundle(dir: string, name: string, source: string): Promise<string> {
  const entry = join(dir, `${name}.ts`);
  const out = join(dir, `${name}.cjs`);
  writeFileSync(entry, source);
  const { build } = await import('esbuild'); // the options of cni/build.ts
  await build({ entryPoints: [entry], outfile: out, bundle: true, platform: 'node', format: 'cjs', target: 'node24', minify: true, legalComments: 'none', logLevel: 'error' });
  return out;
}

function timeOnce(v: Variant, socket: string, id: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, v.args(socket, id), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0 || !v.expect.test(out.trim())) reject(new Error(`${v.name}: exit ${code}: ${out}`));
      else resolve(ms);
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vw-oneshot-'));
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const server = await startApiServer({ socketPath: join(dir, 'ipamd.sock'), handlers: new FakeCore(8000) });
  server.setServing(true);
  try {
    const bundledCall = await bundle(dir, 'lean-call', LEAN);
    const bundledImport = await bundle(dir, 'lean-import', `export * from ${CLIENT};`);
    const oneLineTs = join(dir, 'one-line.ts');
    writeFileSync(oneLineTs, 'export const x: number = 1;\n');
    const ADDRESS = /^10\.0\.\d+\.\d+$/;
    const variants: Variant[] = [
      { name: 'node -e 0', args: () => ['-e', '0'], expect: /^$/ },
      { name: 'import client (bundle only)', args: () => [bundledImport], expect: /^$/ },
      { name: 'import a one-line .ts file', args: () => [oneLineTs], expect: /^$/ },
      { name: 'import client.ts (TS sources)', args: () => ['--input-type=module', '-e', `await import(${CLIENT})`], expect: /^$/ },
      { name: '(a) plugin client, bundled', args: (s, id) => [bundledCall, s, id], expect: ADDRESS },
      { name: '(a) plugin client, TS sources', args: esm(LEAN), expect: ADDRESS },
      { name: '(c) @grpc/grpc-js + proto-loader', args: esm(GRPC_JS), expect: ADDRESS, grpc: true },
    ];
    const samples = new Map(variants.map((v) => [v.name, [] as number[]]));
    let n = 0;
    for (let round = 0; round < WARMUP + RUNS; round++) {
      for (const v of variants) {
        const ms = await timeOnce(v, v.grpc ? server.socketPath : server.pluginSocketPath, `bench${++n}`, env);
        if (round >= WARMUP) samples.get(v.name)!.push(ms);
      }
    }
    const base = summarize(samples.get('node -e 0')!).median;
    const rows = variants.map((v) => {
      const s = summarize(samples.get(v.name)!);
      return [v.name, s.median, s.p90, s.min, s.max, s.median - base] as const;
    });
    const w = Math.max(...rows.map((r) => r[0].length));
    const f = (x: number) => x.toFixed(1).padStart(7);
    const lines = [
      `one AddNetwork per fresh node process (${process.version}), spawn to exit, ms; median of ${RUNS}`,
      `${'variant'.padEnd(w)}  median     p90     min     max  over node -e 0`,
      ...rows.map(([name, med, p90, min, max, over]) => `${name.padEnd(w)} ${f(med)} ${f(p90)} ${f(min)} ${f(max)} ${f(over)}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
