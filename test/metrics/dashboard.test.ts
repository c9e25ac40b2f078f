/**
 * The Grafana dashboard (deploy/grafana/vpcwire-dashboard.json, issue 13) asks only for metrics
 * ipamd really exposes: every panel query's and template variable's metric names, read with a
 * PromQL tokenizer, are checked against a real scrape of a real ipamd (a histogram exposes
 * _bucket/_sum/_count, a summary its name, _sum and _count).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { startObservedIpamd } from '../helpers/observed-ipamd.ts';
import { scrape } from '../helpers/prometheus-text.ts';
import { metricNames } from './promql-names.ts';

interface Panel {
  title?: string;
  type: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}
const dashboard = JSON.parse(readFileSync(new URL('../../deploy/grafana/vpcwire-dashboard.json', import.meta.url), 'utf8')) as {
  panels: Panel[];
  templating: { list: { name: string; query?: string | { query?: string } }[] };
};

/** Every query of the dashboard with where it is: panel targets (rows' panels too) and template variables. */
function queries(): { where: string; names: string[] }[] {
  const out: { where: string; names: string[] }[] = [];
  const walk = (ps: Panel[]) => {
    for (const p of ps) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ where: `panel "${p.title}": ${t.expr}`, names: metricNames(t.expr) });
      walk(p.panels ?? []);
    }
  };
  walk(dashboard.panels);
  for (const v of dashboard.templating.list) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    const m = q ? /^label_values\(\s*([^,)]+)/.exec(q) : null;
    if (m) out.push({ where: `variable ${v.name}: ${q}`, names: metricNames(m[1]!) });
  }
  return out;
}

describe('the Grafana dashboard', () => {
  test('the tokenizer finds metric names and nothing else', () => {
    assert.deepEqual(metricNames('histogram_quantile(0.99, sum by (le, op) (rate(x_seconds_bucket{instance=~"$instance", a="b{c}"}[$__rate_interval])))'), ['x_seconds_bucket']);
    assert.deepEqual(metricNames('sum(a_total) / on (instance) group_left (node) b offset 5m > bool 1e3 and c'), ['a_total', 'b', 'c']);
    assert.deepEqual(metricNames('max by (api) (lat{quantile="0.99"}) == 1'), ['lat']);
    assert.deepEqual(metricNames('sum without (state) (rate(x[1m:10s]))'), ['x']);
  });

  test('has the panels operators need, each with queries', () => {
    const titles = dashboard.panels.filter((p) => p.type !== 'row').map((p) => p.title ?? '');
    for (const want of [/addresses by state/i, /warm.*target/i, /ADD \/ DEL rate/, /latency p50 \/ p99/i, /EC2 requests/, /throttl/i, /drift/i, /no available ip/i]) {
      assert.ok(titles.some((t) => want.test(t)), `a panel matching ${want}: ${titles.join(' | ')}`);
    }
    for (const p of dashboard.panels.filter((x) => x.type !== 'row')) assert.ok((p.targets ?? []).length > 0, `${p.title} has queries`);
  });

  test('every metric a query names is one a running ipamd exposes', async (t) => {
    const o = await startObservedIpamd({ env: { DISABLE_INTROSPECTION: 'true' } });
    t.after(() => o.stop());
    await o.add(0);
    await o.del(0);
    const { families } = await scrape(o.metrics);
    const exposed = new Set<string>();
    for (const f of families.values()) {
      if (f.type === 'HISTOGRAM') for (const s of ['_bucket', '_sum', '_count']) exposed.add(f.name + s);
      else if (f.type === 'SUMMARY') for (const s of ['', '_sum', '_count']) exposed.add(f.name + s);
      else if (f.type !== 'UNTYPED') exposed.add(f.name);
    }
    const all = queries();
    assert.ok(all.length >= 15, `the dashboard's queries: ${all.length}`);
    for (const q of all) {
      assert.ok(q.names.length > 0, `${q.where} names no metric`);
      for (const n of q.names) assert.ok(exposed.has(n), `${q.where} asks for ${n}, which ipamd does not expose`);
    }
  });
});
