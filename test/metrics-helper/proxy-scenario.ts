/**
 * The proxy-mode scenario (proxy.test.ts runs it inside a network namespace of its own): the API
 * server's pod proxy refuses loopback pod IPs (apiserver IsProxyableIP), so here two ipamds serve
 * their metrics on 10.213.0.2 and .3, addresses of an interface that exists only in that
 * namespace, where kube-apiserver, etcd, the emulator, the ipamds and the publisher all run. The
 * publisher scrapes through `GET /api/v1/namespaces/kube-system/pods/<pod>:<port>/proxy/metrics`
 * under the chart's RBAC (pods/proxy get); prints what CloudWatch holds as one JSON line.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { Topology } from '../../sim/topology.ts';
import { cloudwatchClient } from '../helpers/cloudwatch.ts';
import { startKubeTestbed } from '../helpers/kube/testbed.ts';
import { freePort } from '../helpers/observed-ipamd.ts';
import { addPods, createIpamdPod, emulatorPublisherEnv, publisherIdentity, setIpamdPodStatus, startPublisher } from './harness.ts';

const NODES = ['node-a', 'node-b'];
const ADDS = [3, 2];
const topology: Topology = {
  vpc: { cidrs: ['10.62.0.0/16'], subnets: [{ name: 'nodes', cidr: '10.62.0.0/20', az: 'us-west-2a' }], securityGroups: [{ name: 'node-sg' }] },
  instances: NODES.map((name) => ({ name, type: 't3.medium', subnet: 'nodes', securityGroups: ['node-sg'] })),
};

const tb = await startKubeTestbed(topology);
let pub: ReturnType<typeof startPublisher> | undefined;
try {
  const { sim, cp, core, dir } = tb;
  const port = await freePort();
  const ipamds = [];
  for (const [i, node] of NODES.entries()) {
    const ip = `10.213.0.${i + 2}`;
    const p = await tb.ipamd(node, { VPCWIRE_METRICS_BIND_ADDRESS: `${ip}:${port}`, DISABLE_INTROSPECTION: 'true', DISABLE_LEAKED_ENI_CLEANUP: 'true', VPCWIRE_RESYNC_INTERVAL_MS: '3600000' });
    await createIpamdPod(core, node, `vpcwire-${node}`);
    await setIpamdPodStatus(core, node, ip, 0);
    ipamds.push(p);
  }
  const { id, env: chartEnv } = await publisherIdentity(cp, dir, { scrape: 'proxy', clusterId: 'proxy-cluster' });
  if (chartEnv.SCRAPE_MODE !== 'proxy') throw new Error(`the chart set SCRAPE_MODE=${chartEnv.SCRAPE_MODE}`);
  const keys = join(dir, 'no-aws-keys');
  writeFileSync(keys, '');
  pub = startPublisher({
    ...emulatorPublisherEnv(sim, { clusterId: 'proxy-cluster', port, chartEnv, identityEnv: id.env }),
    SCRAPE_INTERVAL: '500ms',
    PUBLISH_INTERVAL: '1500ms',
    LOG_LEVEL: 'debug',
  });
  const both = (from: number) => pub!.waitFor((l) => l.msg === 'scraped' && l.scraped === NODES.length, { from, what: 'a scrape of both ipamds through the pod proxy' });
  // ADDs after the first scrape: what ipamds did before the cluster's first publisher is history.
  await both(0);
  for (const [i, node] of NODES.entries()) await addPods(ipamds[i]!, node, ADDS[i]!);
  const scraped = await both(pub.lines.length);
  await pub.waitFor((l) => l.msg === 'published', { from: pub.lines.indexOf(scraped), what: 'a period' });
  const cw = cloudwatchClient(sim);
  const q = (name: string, stat: string) => ({
    Id: name,
    MetricStat: { Metric: { Namespace: 'Kubernetes', MetricName: name, Dimensions: [{ Name: 'CLUSTER_ID', Value: 'proxy-cluster' }] }, Period: 60, Stat: stat },
  });
  const out = await cw.send(new GetMetricDataCommand({
    StartTime: new Date(Date.now() - 30 * 60_000),
    EndTime: new Date(Date.now() + 60_000),
    MetricDataQueries: [q('addReqCount', 'Sum'), q('assignIPAddresses', 'Maximum')],
  }));
  cw.destroy();
  const values = (n: string) => out.MetricDataResults!.find((r) => r.Id === n)!.Values!;
  const warnings = pub.lines.filter((l) => l.level === 'warn' || l.level === 'error');
  process.stdout.write(`${JSON.stringify({ adds: ADDS.reduce((a, b) => a + b, 0), addReqCount: values('addReqCount').reduce((a, b) => a + b, 0), assignIPAddresses: Math.max(...values('assignIPAddresses')), warnings })}\n`);
} finally {
  await pub?.kill();
  await tb.stop();
}
