/**
 * Plain aligned text tables for people reading a terminal: `vpcwire status` and the demo's report
 * (issue 10 item 4: one table printer). Columns are as wide as their widest cell, two spaces apart.
 */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => `  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}
