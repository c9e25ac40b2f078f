/**
 * The README's metrics table is contract/metrics.ts (issue 13: keep it accurate to the code): one
 * row per metric with its type and labels, and no row for a metric ipamd does not define.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { METRICS } from '../../contract/metrics.ts';

test("the README's metrics table lists exactly contract/metrics.ts, with types and labels", () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const rows = [...readme.matchAll(/^\| `((?:awscni|vpcwire|process)_[a-z0-9_]+)` \| (\w+) \| ([^|]*) \|/gm)].map((m) => ({
    name: m[1]!,
    type: m[2]!,
    labels: m[3]!.trim() === '-' ? [] : m[3]!.split(',').map((l) => l.trim().replace(/`/g, '')),
  }));
  assert.deepEqual(
    rows.map((r) => r.name).sort(),
    METRICS.map((d) => d.name).sort(),
  );
  for (const d of METRICS) {
    const r = rows.find((x) => x.name === d.name)!;
    assert.equal(r.type, d.type, d.name);
    assert.deepEqual(r.labels, [...d.labels], d.name);
  }
});
