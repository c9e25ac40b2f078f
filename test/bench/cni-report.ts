/**
 * The CNI section of `npm run bench` (issue 4): runs cni-bench.ts, prints the figures and ratios,
 * and writes bench-results/cni.json, a Markdown summary (cni.md) and a small chart (cni-chart.svg).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelTestsSkipReason } from '../helpers/pod-netns.ts';
import { benchCni, type CniBenchResult } from './cni-bench.ts';

const ms = (x: number): string => `${x.toFixed(1)} ms`;

/** Where one ADD's time goes, from the plugin's own timeline (ms since its process started). */
function phaseLines(p: Record<string, number>, wall: number): string[] {
  const keys = Object.keys(p);
  const out: string[] = [];
  let prev = 0;
  for (const k of keys) {
    out.push(`${k === 'node' ? 'exec + Node start-up' : k} ${ms(p[k]! - prev)}`);
    prev = p[k]!;
  }
  out.push(`exit and the runtime's wait ${ms(wall - prev)}`);
  return out;
}

export function cniReport(r: CniBenchResult): string[] {
  const v = r.vpcwire;
  const p = r.ptp;
  const net = (x: number) => x - r.context.nsenterTrue.median;
  return [
    `CNI plugin: vpcwire (${(r.binaryBytes / 1048576).toFixed(0)} MiB single executable, ${(r.bundleBytes / 1024).toFixed(1)} KiB of bundled JS) vs Debian ptp + host-local, same node netns, exec'd through nsenter by this process (${r.machine.cpus} CPUs, kernel ${r.machine.kernel})`,
    `  ADD, one pod, warm pool, median of ${r.iterations}: vpcwire ${ms(v.add.median)} (p90 ${ms(v.add.p90)}), ptp ${ms(p.add.median)} (p90 ${ms(p.add.p90)}) -> ${r.ratios.add.toFixed(2)}x (target <= 4x)`,
    `    without the harness's own spawn (nsenter + exec of /bin/true, ${ms(r.context.nsenterTrue.median)}): ${ms(net(v.add.median))} vs ${ms(net(p.add.median))} -> ${(net(v.add.median) / net(p.add.median)).toFixed(2)}x`,
    `  DEL, one pod, median of ${r.iterations}: vpcwire ${ms(v.del.median)}, ptp ${ms(p.del.median)} -> ${r.ratios.del.toFixed(2)}x`,
    `  ${r.concurrent} ADDs at once, total (median of ${r.rounds} rounds): vpcwire ${ms(v.concurrentAddTotal.median)}, ptp ${ms(p.concurrentAddTotal.median)} -> ${r.ratios.concurrentAdd.toFixed(2)}x (target <= 2x); each ADD's own wall time median ${ms(v.concurrentAddEach.median)} vs ${ms(p.concurrentAddEach.median)}`,
    `  ${r.concurrent} DELs at once, total: vpcwire ${ms(v.concurrentDelTotal.median)}, ptp ${ms(p.concurrentDelTotal.median)} -> ${r.ratios.concurrentDel.toFixed(2)}x`,
    `  context, same run: node -e 0 ${ms(r.context.nodeBare.median)}; the plugin binary answering VERSION ${ms(r.context.pluginVersion.median)}; nsenter of /bin/true ${ms(r.context.nsenterTrue.median)}`,
    `    ${r.concurrent} VERSION starts of the plugin binary at once (any Node plugin's floor): ${ms(r.context.concurrentVersionTotal.median)} = ${(r.context.concurrentVersionTotal.median / p.concurrentAddTotal.median).toFixed(2)}x ptp's ${r.concurrent} ADDs`,
    `  where one ADD goes (plugin's own timeline, medians): ${phaseLines(r.addPhases, v.add.median).join(', ')}`,
    `  where one DEL goes: ${phaseLines(r.delPhases, v.del.median).join(', ')}`,
  ];
}

/** Runs the section if the kernel tests can run here (root, iproute2, ping, Debian's ptp). */
export async function benchCniSection(dir: string): Promise<CniBenchResult | { skipped: string }> {
  const why = await kernelTestsSkipReason();
  if (why) {
    process.stdout.write(`CNI plugin benchmark skipped: ${why}\n`);
    return { skipped: why };
  }
  const r = await benchCni({
    iterations: Number(process.env.BENCH_CNI_ITERATIONS ?? 50),
    concurrent: Number(process.env.BENCH_CNI_CONCURRENT ?? 50),
    rounds: Number(process.env.BENCH_CNI_ROUNDS ?? 3),
  });
  const lines = cniReport(r);
  process.stdout.write(`${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'cni.json'), `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(join(dir, 'cni.md'), `# CNI plugin benchmark (${new Date().toISOString()})\n\n![chart](cni-chart.svg)\n\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n`);
  writeFileSync(join(dir, 'cni-chart.svg'), cniChart(r));
  process.stdout.write(`wrote ${dir}/cni.json, cni.md, cni-chart.svg\n`);
  return r;
}

/**
 * A small SVG chart: one panel per comparison (ADD, DEL, concurrent ADDs), each on its own scale
 * so the single-pod bars stay readable, with the Node start-up floor drawn in each panel.
 */
export function cniChart(r: CniBenchResult): string {
  const groups = [
    { label: 'ADD, one pod (median)', bars: [['ptp + host-local', r.ptp.add.median], ['vpcwire', r.vpcwire.add.median], ['node -e 0', r.context.nodeBare.median]] },
    { label: 'DEL, one pod (median)', bars: [['ptp + host-local', r.ptp.del.median], ['vpcwire', r.vpcwire.del.median], ['node -e 0', r.context.nodeBare.median]] },
    {
      label: `${r.concurrent} ADDs at once (total)`,
      bars: [
        ['ptp + host-local', r.ptp.concurrentAddTotal.median],
        ['vpcwire', r.vpcwire.concurrentAddTotal.median],
        [`${r.concurrent} bare plugin starts`, r.context.concurrentVersionTotal.median],
      ],
    },
  ] as const;
  const colors = ['#9aa5b1', '#2b6cb0', '#e2a03f'];
  const W = 700;
  const left = 200;
  const barH = 16;
  const rowH = 3 * (barH + 4) + 26;
  const H = 40 + groups.length * rowH;
  const rows = groups
    .map((g, i) => {
      const y0 = 40 + i * rowH;
      const max = Math.max(...g.bars.map((b) => b[1])) * 1.45;
      const base = g.bars[0][1];
      const bars = g.bars
        .map(([name, ms], j) => {
          const y = y0 + 18 + j * (barH + 4);
          const w = (ms / max) * (W - left - 20);
          const ratio = j === 1 ? ` (${(ms / base).toFixed(2)}x)` : '';
          return (
            `<text x="${left - 6}" y="${y + 12}" font-size="12" text-anchor="end">${name}</text>` +
            `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${colors[j]}"/>` +
            `<text x="${(left + w + 4).toFixed(1)}" y="${y + 12}" font-size="12">${ms.toFixed(1)} ms${ratio}</text>`
          );
        })
        .join('');
      return `<text x="10" y="${y0 + 10}" font-size="13" font-weight="bold">${g.label}</text>${bars}`;
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="white"/>
<text x="10" y="22" font-size="15" font-weight="bold">vpcwire CNI plugin vs ptp + host-local, wall time on ${r.machine.cpus} CPUs (lower is better)</text>
${rows}
</svg>
`;
}
