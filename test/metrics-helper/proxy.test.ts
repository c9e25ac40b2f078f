/**
 * Proxy mode end to end (the chart's default): proxy-scenario.ts run inside a network namespace
 * this test creates and deletes, with an interface (one end of a veth pair, both ends inside) carrying 10.213.0.1-3/24, so the API server
 * proxies to non-loopback pod IPs as it would to nodes. Root only (skipped otherwise); nothing
 * outside the namespace is touched.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { test } from 'node:test';

const NS = `vpcw-mh-proxy-${process.pid}`;
const SCENARIO = new URL('./proxy-scenario.ts', import.meta.url).pathname;
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

test('proxy mode: the publisher scrapes each ipamd through the API server\'s pod proxy and CloudWatch holds their sums', { skip: process.getuid?.() !== 0 && 'needs root (network namespaces)', timeout: 180_000 }, (t) => {
  ip('netns', 'add', NS);
  t.after(() => ip('netns', 'delete', NS));
  ip('-n', NS, 'link', 'set', 'lo', 'up');
  // A veth pair with both ends in the namespace (the kernel here has no dummy driver): mh0 carries the addresses.
  ip('-n', NS, 'link', 'add', 'mh0', 'type', 'veth', 'peer', 'name', 'mh1');
  ip('-n', NS, 'link', 'set', 'mh1', 'up');
  for (const a of ['10.213.0.1/24', '10.213.0.2/24', '10.213.0.3/24']) ip('-n', NS, 'addr', 'add', a, 'dev', 'mh0');
  ip('-n', NS, 'link', 'set', 'mh0', 'up');
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT; // the scenario is a plain script, not a child test run
  const r = spawnSync('ip', ['netns', 'exec', NS, process.execPath, SCENARIO], { env, encoding: 'utf8', timeout: 170_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { adds: number; addReqCount: number; assignIPAddresses: number; warnings: unknown[] };
  assert.equal(result.adds, 5);
  assert.equal(result.addReqCount, 5, 'ADDs on both nodes, read through the proxy');
  assert.equal(result.assignIPAddresses, 5);
  assert.deepEqual(result.warnings, [], 'no scrape through the proxy failed');
});
