/**
 * `vpcwire metrics-helper` end to end (issue 13): a real kube-apiserver and etcd, the emulator's
 * CloudWatch, three real ipamd processes (each its metrics on its own loopback address, its Pod
 * object's status.podIP), and the publisher as a real process in direct mode, in-cluster under a
 * token of the chart's ServiceAccount and RBAC, sending through IRSA as a role that holds only
 * iam's metrics policy. What CloudWatch holds, read back with GetMetricData, must equal what the
 * ipamds did: across an ipamd restart (a counter reset), a publisher killed with SIGKILL and
 * started again (no period counted twice or lost), and emulated throttling (retried).
 *
 * Direct mode: the API server refuses to proxy to loopback pod IPs (IsProxyableIP), and these
 * ipamds listen on 127.0.0.x; proxy mode is proxy.test.ts, inside a network namespace.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { metricsPolicy } from '../../iam/policies.ts';
import type { PolicyDocument as SimPolicy } from '../../sim/iam/evaluate.ts';
import type { Topology } from '../../sim/topology.ts';
import { cloudwatchClient } from '../helpers/cloudwatch.ts';
import type { IpamdProcess } from '../helpers/ipamd-process.ts';
import { startKubeTestbed } from '../helpers/kube/testbed.ts';
import { freePort } from '../helpers/observed-ipamd.ts';
import { scrape, valueOf } from '../helpers/prometheus-text.ts';
import { addPods, createIpamdPod, publisherIdentity, setIpamdPodStatus, startPublisher } from './harness.ts';

const NODES = ['node-a', 'node-b', 'node-c'];
const ROLE = 'arn:aws:iam::111122223333:role/vpcwire-metrics';
const CLUSTER = 'e2e-cluster';

const topology: Topology = {
  vpc: { cidrs: ['10.62.0.0/16'], subnets: [{ name: 'nodes', cidr: '10.62.0.0/20', az: 'us-west-2a' }], securityGroups: [{ name: 'node-sg' }] },
  instances: NODES.map((name) => ({ name, type: 't3.medium', subnet: 'nodes', securityGroups: ['node-sg'] })),
  roles: [{ arn: ROLE, trustedSubjects: ['system:serviceaccount:kube-system:vpcwire-metrics'] }],
};

test('figures in CloudWatch equal the sums of the ipamds, through an ipamd restart, a publisher SIGKILL and throttling', { timeout: 240_000 }, async (t) => {
  const tb = await startKubeTestbed(topology);
  t.after(() => tb.stop());
  const { sim, cp, core, dir } = tb;
  sim.iam.setPolicies(ROLE, [metricsPolicy({ namespace: 'Kubernetes' }) as unknown as SimPolicy]);

  // ipamd per node, metrics on 127.0.0.<2+i>:<port>; no introspection (its default address is shared).
  const port = await freePort();
  const ipamds = new Map<string, { p: IpamdProcess; ip: string; adds: number }>();
  for (const [i, node] of NODES.entries()) {
    const ip = `127.0.0.${i + 2}`;
    const p = await tb.ipamd(node, {
      VPCWIRE_METRICS_BIND_ADDRESS: `${ip}:${port}`,
      DISABLE_INTROSPECTION: 'true',
      DISABLE_LEAKED_ENI_CLEANUP: 'true',
      VPCWIRE_RESYNC_INTERVAL_MS: '3600000',
    });
    await createIpamdPod(core, node, `vpcwire-${node}`);
    await setIpamdPodStatus(core, node, ip, 0);
    ipamds.set(node, { p, ip, adds: 0 });
  }
  const add = async (node: string, n: number) => {
    const x = ipamds.get(node)!;
    await addPods(x.p, node, n, x.adds);
    x.adds += n;
  };


  // The publisher: the chart's RBAC and env (direct scraping), a service-account token, IRSA.
  const { id, env: chartEnv } = await publisherIdentity(cp, dir, { scrape: 'direct', clusterId: CLUSTER });
  const tokenFile = join(dir, 'web-identity-token');
  writeFileSync(tokenFile, sim.oidc.issueServiceAccountToken({ namespace: 'kube-system', serviceAccount: 'vpcwire-metrics' }));
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...chartEnv,
    ...id.env,
    AWS_CLUSTER_ID: CLUSTER,
    AWS_REGION: sim.region,
    AWS_CLOUDWATCH_ENDPOINT: sim.endpoints.cloudwatch,
    AWS_ROLE_ARN: ROLE,
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    AWS_ENDPOINT_URL_STS: sim.endpoints.sts,
    AWS_EC2_METADATA_DISABLED: 'true',
    IPAMD_METRICS_PORT: String(port),
    SCRAPE_INTERVAL: '500ms',
    PUBLISH_INTERVAL: '1500ms',
    LOG_LEVEL: 'debug',
  };
  assert.equal(chartEnv.SCRAPE_MODE, 'direct');
  let pub = startPublisher(env);
  t.after(() => pub.kill());
  const published = (from: number, what: string) => pub.waitFor((l) => l.msg === 'published', { from, what });
  const scrapedAll = (from: number) => pub.waitFor((l) => l.msg === 'scraped' && l.scraped === NODES.length, { from, what: 'a scrape of every ipamd' });

  await scrapedAll(0);
  await add('node-a', 3);
  await add('node-b', 2);
  await add('node-c', 1);
  let mark = pub.lines.length;
  await scrapedAll(mark);
  await published(pub.lines.length, 'a period after the first ADDs');

  // ipamd on node-c restarts (its counters begin again at 0) after one more ADD, seen by a scrape.
  await add('node-c', 1);
  mark = pub.lines.length;
  await scrapedAll(mark);
  await ipamds.get('node-c')!.p.kill('SIGTERM');
  await ipamds.get('node-c')!.p.restart();
  await setIpamdPodStatus(core, 'node-c', ipamds.get('node-c')!.ip, 1);
  await add('node-c', 2);
  mark = pub.lines.length;
  await scrapedAll(mark);
  await published(pub.lines.length, 'a period after the ipamd restart');

  // SIGKILL right after a period is stored; ADDs while no publisher runs; a new process continues.
  await add('node-a', 1);
  mark = pub.lines.length;
  await published(mark, 'a period before the kill');
  assert.equal(await pub.kill('SIGKILL'), null);
  await add('node-a', 2);
  await add('node-b', 1);
  // Emulated throttling: the SDK's attempts and one of the publisher's own are refused.
  sim.faults.failNext('PutMetricData', 4, { code: 'Throttling', status: 400, message: 'Rate exceeded' });
  pub = startPublisher(env);
  const started = await pub.waitFor((l) => l.msg === 'started', { what: 'the restarted publisher' });
  assert.equal(started.storedBaselines, NODES.length, 'the new process read the stored baselines');
  const retried = await published(0, 'a period through throttling');
  assert.ok((retried.retries as number) >= 1, `the publisher retried: ${JSON.stringify(retried)}`);
  mark = pub.lines.length;
  await scrapedAll(mark);
  await published(pub.lines.length, 'a last period');
  await published(pub.lines.length, 'one more period');

  // SIGTERM (a rollout, a drain): the send in progress finishes and is stored, then exit 0.
  assert.equal(await pub.kill('SIGTERM'), 0, pub.stderr);
  assert.ok(pub.lines.some((l) => l.msg === 'stopped'), 'logged its stop');

  const totalAdds = [...ipamds.values()].reduce((a, x) => a + x.adds, 0);
  assert.equal(totalAdds, 13);
  // The ipamds' own figures now (a restarted ipamd keeps only allocations whose host veth it finds,
  // and these test pods have none, so node-c's earlier two are gone).
  let assignedNow = 0;
  for (const x of ipamds.values()) assignedNow += valueOf((await scrape(`${x.ip}:${port}`)).families, 'awscni_assigned_ip_addresses')!;
  const cw = cloudwatchClient(sim);
  t.after(() => cw.destroy());
  const q = (name: string, stat: string) => ({
    Id: name,
    MetricStat: { Metric: { Namespace: 'Kubernetes', MetricName: name, Dimensions: [{ Name: 'CLUSTER_ID', Value: CLUSTER }] }, Period: 60, Stat: stat },
  });
  const out = await cw.send(new GetMetricDataCommand({
    StartTime: new Date(Date.now() - 30 * 60_000),
    EndTime: new Date(Date.now() + 60_000),
    MetricDataQueries: [q('addReqCount', 'Sum'), q('assignIPAddresses', 'Maximum'), q('eniAllocated', 'Maximum'), q('awsAPILatency', 'Maximum'), q('ec2ApiReqCount', 'Sum')],
  }));
  const values = (name: string) => out.MetricDataResults!.find((r) => r.Id === name)!.Values!;
  const sum = (name: string) => values(name).reduce((a, b) => a + b, 0);
  assert.equal(sum('addReqCount'), totalAdds, 'every ADD counted once: none twice across the SIGKILL, none lost across the ipamd restart');
  assert.equal(assignedNow, totalAdds - 2);
  assert.equal(Math.max(...values('assignIPAddresses')), assignedNow, 'addresses assigned, summed across nodes (never higher before)');
  assert.ok(Math.max(...values('eniAllocated')) >= NODES.length, 'at least each node\'s primary ENI');
  assert.ok(Math.max(...values('awsAPILatency')) > 0, 'EC2 latency, the slowest node\'s mean');
  assert.ok(sum('ec2ApiReqCount') >= NODES.length, 'EC2 requests');
  // Every PutMetricData came as the role, into its namespace: nothing refused but the injected throttling.
  const puts = sim.log.entries({ service: 'cloudwatch' }).filter((e) => e.action === 'PutMetricData');
  assert.ok(puts.some((e) => e.errorCode === 'Throttling'), 'throttling was injected');
  assert.deepEqual([...new Set(puts.map((e) => e.errorCode ?? 'ok'))].sort(), ['Throttling', 'ok']);
});
