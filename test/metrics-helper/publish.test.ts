/**
 * The publisher's edges without a cluster: settings (errors name the variable or flag),
 * PutMetricData's limits, the retry bounds, and the loop's order (send, then store, then move the
 * baselines; a failed send carries the period).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import { batches, MAX_DATUMS_PER_CALL, retryingSender, SendError } from '../../metrics-helper/cloudwatch.ts';
import { emptyLedgerState, Ledger, type LedgerState } from '../../metrics-helper/ledger.ts';
import { Publisher } from '../../metrics-helper/publisher.ts';
import { parseSettings } from '../../metrics-helper/settings.ts';
import { SCRAPE_CONCURRENCY, scrapeAll, type Target } from '../../metrics-helper/targets.ts';
import { exposition } from './exposition-text.ts';

const ENV = { AWS_CLUSTER_ID: 'c1', AWS_REGION: 'us-west-2' };

describe('settings', () => {
  test('defaults: upstream namespace, proxy scraping, 30 s / 60 s', () => {
    const s = parseSettings([], ENV);
    assert.equal(s.cloudwatchNamespace, 'Kubernetes');
    assert.equal(s.scrape, 'proxy');
    assert.equal(s.scrapeIntervalMs, 30_000);
    assert.equal(s.publishIntervalMs, 60_000);
    assert.equal(s.ipamdPort, 61678);
  });

  test('errors name the variable, or the flag when the value came from one; flags win', () => {
    assert.throws(() => parseSettings([], { AWS_REGION: 'us-west-2' }), /invalid AWS_CLUSTER_ID="": required/);
    assert.throws(() => parseSettings([], { AWS_CLUSTER_ID: 'c1' }), /invalid AWS_REGION="": required/);
    assert.throws(() => parseSettings([], { ...ENV, SCRAPE_MODE: 'pull' }), /invalid SCRAPE_MODE="pull": expected 'proxy'/);
    assert.throws(() => parseSettings(['--scrape-interval', 'soon'], ENV), /invalid --scrape-interval="soon": expected a duration/);
    assert.throws(() => parseSettings([], { ...ENV, SCRAPE_INTERVAL: '2m', PUBLISH_INTERVAL: '1m' }), /invalid PUBLISH_INTERVAL="1m": must not be shorter/);
    assert.throws(() => parseSettings([], { ...ENV, CLOUDWATCH_NAMESPACE: 'AWS/EC2' }), /invalid CLOUDWATCH_NAMESPACE="AWS\/EC2"/);
    assert.throws(() => parseSettings(['--bogus', 'x'], ENV), /Unknown option '--bogus'/);
    const s = parseSettings(['--scrape', 'direct', '--cloudwatch-namespace', 'Mine'], { ...ENV, SCRAPE_MODE: 'proxy' });
    assert.equal(s.scrape, 'direct');
    assert.equal(s.cloudwatchNamespace, 'Mine');
  });
});

describe('the command', () => {
  const cli = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, [new URL('../../bin/vpcwire.ts', import.meta.url).pathname, 'metrics-helper', ...args], { env: { PATH: process.env.PATH!, ...env }, encoding: 'utf8' });

  test('a missing or bad setting exits 2 naming it, before loading any SDK; --help lists every variable', () => {
    const missing = cli([], { AWS_REGION: 'us-west-2' });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /invalid AWS_CLUSTER_ID="": required/);
    const noCluster = cli(['--scrape', 'direct'], { AWS_CLUSTER_ID: 'c1', AWS_REGION: 'us-west-2' });
    assert.equal(noCluster.status, 2, 'no KUBECONFIG and not in a pod');
    assert.match(noCluster.stderr, /KUBERNETES_SERVICE_HOST/);
    const help = cli(['--help'], {});
    assert.equal(help.status, 0);
    for (const v of ['AWS_CLUSTER_ID', 'CLOUDWATCH_NAMESPACE', 'SCRAPE_MODE', 'PUBLISH_INTERVAL', 'STATE_CONFIGMAP']) assert.match(help.stdout, new RegExp(v));
  });
});

describe('PutMetricData limits and retries', () => {
  const datum = (i: number, pad = 0): MetricDatum => ({ MetricName: `m${i}${'x'.repeat(pad)}`, Value: i, Unit: 'Count', Dimensions: [{ Name: 'CLUSTER_ID', Value: 'c1' }] });

  test('at most 1,000 datums and 1 MB per call, none dropped, order kept', () => {
    const many = Array.from({ length: 2500 }, (_, i) => datum(i));
    const b = batches(many);
    assert.deepEqual(b.map((x) => x.length), [MAX_DATUMS_PER_CALL, MAX_DATUMS_PER_CALL, 500]);
    const big = Array.from({ length: 600 }, (_, i) => datum(i, 3000));
    const bb = batches(big);
    assert.ok(bb.length >= 2);
    for (const x of bb) assert.ok(Buffer.byteLength(JSON.stringify(x)) < 1_000_000);
    assert.deepEqual(bb.flat(), big);
  });

  test("one metric's datums (its cluster-wide one, then per node) never span two calls while they fit in one", () => {
    const series = (metrics: number, nodes: number) =>
      Array.from({ length: metrics }, (_, m) => [datum(m), ...Array.from({ length: nodes }, (_, n) => ({ ...datum(m), Dimensions: [...datum(m).Dimensions!, { Name: 'NodeName', Value: `n${n}` }] }))]).flat();
    const b = batches(series(19, 67)); // 68 datums a metric: 14 metrics a call
    assert.deepEqual(b.map((x) => x.length), [952, 340]);
    for (const call of b) assert.equal(call.length % 68, 0);
    assert.deepEqual(b.flat(), series(19, 67));
    // More datums than a call holds (over 999 nodes): split, its cluster-wide datum in its first call.
    const huge = batches(series(2, 1200));
    assert.deepEqual(huge.map((x) => x.length), [1000, 1000, 402]);
    assert.equal(huge[1]![201]!.MetricName, 'm1');
    assert.equal(huge[1]![201]!.Dimensions!.length, 1, "m1's cluster-wide datum opens its first call");
  });

  test('throttling is retried within the bound; a refusal (403) is not; the last error is thrown', async () => {
    const throttle = Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const sleeps: number[] = [];
    const policy = { attempts: 3, baseMs: 100, maxMs: 150, sleep: async (ms: number) => void sleeps.push(ms) };
    let calls = 0;
    const flaky = retryingSender(async () => {
      if (++calls < 3) throw throttle;
    }, policy);
    assert.deepEqual(await flaky.send([datum(1)]), { calls: 3, retries: 2 });
    assert.ok(sleeps.every((ms) => ms <= 150));
    calls = 0;
    await assert.rejects(retryingSender(async () => void (calls++, (() => { throw throttle; })()), policy).send([datum(1)]), /Rate exceeded/);
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(retryingSender(async () => void (calls++, (() => { throw denied; })()), policy).send([datum(1)]), /not authorized/);
    assert.equal(calls, 1);
  });

  test('a refusal after some calls of a period went through says how many datums were accepted', async () => {
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    let calls = 0;
    const sender = retryingSender(async () => {
      if (++calls === 2) throw denied;
    });
    const err = await sender.send(Array.from({ length: 2500 }, (_, i) => datum(i))).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SendError);
    assert.equal(err.accepted, MAX_DATUMS_PER_CALL);
    assert.match(err.message, /AccessDenied: not authorized/);
  });
});

describe('scraping', () => {
  test('at most SCRAPE_CONCURRENCY at once; a hung or failing ipamd costs only its own reading', async () => {
    const targets: Target[] = Array.from({ length: 40 }, (_, i) => ({ key: `ns/p${i}`, name: `p${i}`, uid: `u${i}`, node: `n${i}`, restarts: 0, startedAt: undefined, ip: `127.0.0.${i + 2}` }));
    let running = 0;
    let peak = 0;
    const out = await scrapeAll(targets, async (t) => {
      peak = Math.max(peak, ++running);
      try {
        if (t.name === 'p3') await new Promise(() => undefined); // never answers
        if (t.name === 'p4') throw new Error('connection refused');
        await new Promise((r) => setTimeout(r, 5));
        return `text of ${t.name}`;
      } finally {
        running--;
      }
    }, 300);
    assert.equal(peak, SCRAPE_CONCURRENCY);
    assert.equal(out.size, 40);
    assert.match(String(out.get('ns/p3')), /took longer than 300 ms/);
    assert.match(String(out.get('ns/p4')), /connection refused/);
    assert.equal(out.get('ns/p39'), 'text of p39');
  });
});

describe('the loop', () => {
  const target: Target = { key: 'kube-system/vpcwire-a', name: 'vpcwire-a', uid: 'u1', node: 'n1', restarts: 0, startedAt: undefined, ip: '127.0.0.2' };

  test('a failed send stores nothing and carries the period; a failed store still moves this process on', async () => {
    let adds = 3;
    let failSend = true;
    let failStore = false;
    const sent: MetricDatum[][] = [];
    const saved: LedgerState[] = [];
    const logs: string[] = [];
    const pub = new Publisher({
      ledger: new Ledger(emptyLedgerState(0)),
      list: async () => [target],
      scrape: async () => exposition({ adds }),
      sender: {
        async send(d) {
          if (failSend) throw Object.assign(new Error('boom'), { name: 'InternalFailure' });
          sent.push([...d]);
          return { calls: 1, retries: 0 };
        },
      },
      store: {
        load: async () => emptyLedgerState(0),
        async save(s) {
          if (failStore) throw new Error('etcd is down');
          saved.push(s);
        },
      },
      log: (level, msg) => void logs.push(`${level} ${msg}`),
      clusterId: 'c1',
      nodeDimension: false,
      scrapeTimeoutMs: 1000,
      maxReadingAgeMs: 60_000,
    });
    const addsSent = () => sent.flat().filter((d) => d.MetricName === 'addReqCount').map((d) => d.Value);
    await pub.scrapeOnce();
    assert.equal(await pub.publishOnce(), false);
    assert.equal(saved.length, 0);
    failSend = false;
    adds = 5;
    await pub.scrapeOnce();
    assert.equal(await pub.publishOnce(), true);
    assert.deepEqual(addsSent(), [5]);
    assert.equal(saved.at(-1)!.baselines['u1#0']!.values.addReqCount, 5);
    failStore = true;
    adds = 6;
    await pub.scrapeOnce();
    assert.equal(await pub.publishOnce(), false);
    assert.deepEqual(addsSent(), [5, 1]);
    failStore = false;
    await pub.scrapeOnce();
    assert.equal(await pub.publishOnce(), true);
    assert.deepEqual(addsSent(), [5, 1, 0]);
    assert.equal(saved.at(-1)!.baselines['u1#0']!.values.addReqCount, 6);
    assert.ok(logs.some((l) => l.startsWith('error PutMetricData failed')));
  });
});
