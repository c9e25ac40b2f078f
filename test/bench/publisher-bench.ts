/**
 * `npm run bench -- publisher`: `vpcwire metrics-helper`'s CPU and memory aggregating 100 nodes.
 * 100 expositions, each the recorded real ipamd scrape (fixtures/ipamd-250-pods.prom, 250 pods)
 * with its figures varied per node, served over HTTP on 127.0.0.2-101 (one port); the publisher's
 * cycle code (publisher-cycle.ts) scrapes, parses and aggregates them each cycle and builds a
 * period every second cycle. Compared in the same run with a baseline that only fetches the 100
 * texts, and with per-node series on (100x the datums).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { RECORDED } from './record-exposition.ts';

const CHILD = new URL('./publisher-cycle.ts', import.meta.url).pathname;

/** The recorded text with every sample's value scaled for node `i` (integers stay integers). */
export function variedExposition(text: string, i: number): string {
  const f = 1 + ((i * 37) % 100) / 100;
  return text
    .split('\n')
    .map((line) => {
      if (line === '' || line.startsWith('#')) return line;
      const at = line.lastIndexOf(' ');
      const v = Number(line.slice(at + 1));
      if (!Number.isFinite(v) || line.startsWith('process_') || line.includes('build_info')) return line;
      const scaled = Number.isInteger(v) ? Math.round(v * f) : v * f;
      return `${line.slice(0, at + 1)}${scaled}`;
    })
    .join('\n');
}

async function serve(nodes: number): Promise<{ ips: string[]; port: number; close: () => Promise<void> }> {
  const recorded = readFileSync(RECORDED, 'utf8');
  const ips = Array.from({ length: nodes }, (_, i) => `127.0.0.${i + 2}`);
  const bodies = new Map(ips.map((ip, i) => [ip, variedExposition(recorded, i)]));
  const servers: Server[] = [];
  let port = 0;
  for (const ip of ips) {
    const s = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(bodies.get(req.socket.localAddress!.replace(/^::ffff:/, '')));
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, ip, () => resolve());
    });
    port = (s.address() as { port: number }).port;
    servers.push(s);
  }
  return { ips, port, close: async () => void (await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))) };
}

interface CycleResult {
  mode: string;
  cycles: number;
  cpuMsPerCycle: number;
  wallMsPerCycle: number;
  rssMiB: number;
  heapUsedMiB: number;
  datumsPerPeriod: number;
  callsPerPeriod: number;
}

function runChild(env: Record<string, string>): Promise<CycleResult> {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  delete childEnv.NODE_EXTRA_CA_CERTS; // 50 ms and memory no pod pays (DESIGN.md §6)
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CHILD], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as CycleResult) : reject(new Error(`publisher-cycle exited ${code}: ${err}`))));
  });
}

export async function benchPublisher(opts: { nodes?: number; cycles?: number; repeats?: number } = {}) {
  const nodes = opts.nodes ?? 100;
  const srv = await serve(nodes);
  try {
    const base = { TARGETS: srv.ips.join(','), PORT: String(srv.port), CYCLES: String(opts.cycles ?? 40) };
    const runs: Record<string, CycleResult[]> = { baseline: [], full: [], perNode: [] };
    // Interleaved, so a noisy neighbour on the shared cores hits every mode alike.
    for (let r = 0; r < (opts.repeats ?? 3); r++) {
      runs.baseline!.push(await runChild({ ...base, MODE: 'baseline' }));
      runs.full!.push(await runChild({ ...base, MODE: 'full' }));
      runs.perNode!.push(await runChild({ ...base, MODE: 'full', NODE_DIMENSION: 'true' }));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const summary = (k: string) => {
      const xs = runs[k]!;
      return {
        cpuMsPerCycle: median(xs.map((x) => x.cpuMsPerCycle)),
        wallMsPerCycle: median(xs.map((x) => x.wallMsPerCycle)),
        rssMiB: median(xs.map((x) => x.rssMiB)),
        heapUsedMiB: median(xs.map((x) => x.heapUsedMiB)),
        datumsPerPeriod: median(xs.map((x) => x.datumsPerPeriod)),
        callsPerPeriod: median(xs.map((x) => x.callsPerPeriod)),
      };
    };
    const baseline = summary('baseline');
    const full = summary('full');
    const perNode = summary('perNode');
    return {
      nodes,
      expositionBytes: readFileSync(RECORDED).length,
      baseline,
      full,
      perNode,
      parseAndAggregateMsPerCycle: full.cpuMsPerCycle - baseline.cpuMsPerCycle,
      cpuRatioToBaseline: full.cpuMsPerCycle / baseline.cpuMsPerCycle,
      runs,
    };
  } finally {
    await srv.close();
  }
}
