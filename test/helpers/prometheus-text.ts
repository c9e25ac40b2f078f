/**
 * Reading a Prometheus text exposition in tests with a real parser (parse-prometheus-text-format,
 * prom2json's output shape), and scraping an endpoint over HTTP as Prometheus does.
 */
import assert from 'node:assert/strict';
import parser, { type ParsedFamily, type ParsedSample } from 'parse-prometheus-text-format';

// The parser's types live with the publisher that ships it (metrics-helper/parse-prometheus-text-format.d.ts).
export type Sample = ParsedSample;
export type Family = ParsedFamily;

/**
 * Families by name. The parser folds a histogram's or summary's series into one sample and drops
 * their labels when there are labels besides `le`/`quantile` (prom2json's shape), so those are also
 * read a second time declared untyped: then `<name>_bucket`, `_sum`, `_count` (and a summary's
 * quantile series under its own name) come out as plain labelled samples, merged by name here.
 */
export function parseExposition(text: string): Map<string, Family> {
  const typed = parser(text);
  const out = new Map(typed.map((f) => [f.name, f]));
  const untyped = text.replace(/^# TYPE (\S+) (histogram|summary)$/gm, '# TYPE $1 untyped');
  const flat = new Map<string, Sample[]>();
  for (const f of parser(untyped)) flat.set(f.name, [...(flat.get(f.name) ?? []), ...f.metrics]);
  for (const f of typed) {
    if (f.type !== 'HISTOGRAM' && f.type !== 'SUMMARY') continue;
    for (const suffix of ['_bucket', '_sum', '_count']) {
      const series = flat.get(f.name + suffix);
      if (series) out.set(f.name + suffix, { name: f.name + suffix, help: f.help, type: 'UNTYPED', metrics: series });
    }
    if (f.type === 'SUMMARY') out.set(`${f.name}:quantiles`, { name: `${f.name}:quantiles`, help: f.help, type: 'UNTYPED', metrics: flat.get(f.name) ?? [] });
  }
  return out;
}

/** GET http://<address>/metrics; fails the test on anything but 200 text. */
export async function scrape(address: string, path = '/metrics'): Promise<{ text: string; families: Map<string, Family> }> {
  const r = await fetch(`http://${address}${path}`);
  assert.equal(r.status, 200, `scrape of ${address}${path}`);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await r.text();
  return { text, families: parseExposition(text) };
}

const matches = (s: Sample, labels: Record<string, string>) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v);

/** The samples of a family whose labels include `labels`. */
export function samples(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): Sample[] {
  return (families.get(name)?.metrics ?? []).filter((s) => matches(s, labels));
}

/** The value of the one sample of `name` with these labels; undefined when there is none. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples(families, name, labels);
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value === undefined ? undefined : Number(found[0].value);
}

/** The sum of `name` over every sample whose labels include `labels` (0 when none). */
export function sumOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  return samples(families, name, labels).reduce((n, s) => n + Number(s.value ?? 0), 0);
}
