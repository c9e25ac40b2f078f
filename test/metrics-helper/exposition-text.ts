/**
 * ipamd expositions for the publisher's tests, in prom-client's text format (what ipamd/metrics
 * serves: HELP, TYPE, labelled series, a summary's quantiles, _sum and _count), with the figures a
 * test chooses. Series are split across labels so tests see the publisher sum them.
 */
import { PUBLISHED_METRICS } from '../../metrics-helper/catalog.ts';
export interface IpamdFigures {
  assigned?: number;
  total?: number;
  enis?: number;
  eniMax?: number;
  ipMax?: number;
  adds?: number;
  dels?: number;
  ec2Requests?: number;
  /** EC2 latency: total ms and call count (the summary's _sum and _count). */
  latency?: { sumMs: number; count: number };
  processStart?: number;
}

export function exposition(f: IpamdFigures): string {
  const lines: string[] = [];
  const family = (name: string, type: string, series: string[]) => {
    lines.push(`# HELP ${name} ${name}`, `# TYPE ${name} ${type}`, ...series);
  };
  if (f.enis !== undefined) family('awscni_eni_allocated', 'gauge', [`awscni_eni_allocated ${f.enis}`]);
  if (f.eniMax !== undefined) family('awscni_eni_max', 'gauge', [`awscni_eni_max ${f.eniMax}`]);
  if (f.ipMax !== undefined) family('awscni_ip_max', 'gauge', [`awscni_ip_max ${f.ipMax}`]);
  if (f.total !== undefined) family('awscni_total_ip_addresses', 'gauge', [`awscni_total_ip_addresses ${f.total}`]);
  if (f.assigned !== undefined) {
    family('awscni_assigned_ip_addresses', 'gauge', [`awscni_assigned_ip_addresses ${f.assigned}`]);
    // Per CIDR: split in two /32 series and the rest, which must add up again.
    const a = Math.min(1, f.assigned);
    family('awscni_assigned_ip_per_cidr', 'gauge', [`awscni_assigned_ip_per_cidr{cidr="10.0.1.10/32"} ${a}`, `awscni_assigned_ip_per_cidr{cidr="10.0.1.16/28"} ${f.assigned - a}`]);
  }
  if (f.adds !== undefined) family('awscni_add_ip_req_count', 'counter', [`awscni_add_ip_req_count ${f.adds}`]);
  if (f.dels !== undefined) {
    const half = Math.floor(f.dels / 2);
    family('awscni_del_ip_req_count', 'counter', [`awscni_del_ip_req_count{reason="cni-del"} ${half}`, `awscni_del_ip_req_count{reason="cni-gc"} ${f.dels - half}`]);
  }
  if (f.ec2Requests !== undefined) {
    family('awscni_ec2api_req_count', 'counter', [`awscni_ec2api_req_count{fn="DescribeNetworkInterfaces"} ${f.ec2Requests}`, `awscni_ec2api_req_count{fn="AssignPrivateIpAddresses"} 0`]);
  }
  if (f.latency) {
    family('awscni_aws_api_latency_ms', 'summary', [
      `awscni_aws_api_latency_ms{quantile="0.99",api="DescribeInstances",error="false",status="200"} 999`,
      `awscni_aws_api_latency_ms_sum{api="DescribeInstances",error="false",status="200"} ${f.latency.sumMs}`,
      `awscni_aws_api_latency_ms_count{api="DescribeInstances",error="false",status="200"} ${f.latency.count}`,
    ]);
  }
  if (f.processStart !== undefined) family('process_start_time_seconds', 'gauge', [`process_start_time_seconds ${f.processStart}`]);
  return `${lines.join('\n')}\n`;
}

/**
 * Every metric the publisher reads (metrics-helper/catalog.ts), each gauge at `gauge`, each counter
 * at `counter` (at least 1: two label series, `counter - 1` and 1), the EC2 latency summary with
 * `counter` calls of 10 ms, and the process's start.
 */
export function catalogExposition(f: { gauge: number; counter: number; processStart: number }): string {
  const lines: string[] = [];
  for (const m of PUBLISHED_METRICS) {
    const type = m.aggregation === 'latency' ? 'summary' : m.aggregation;
    lines.push(`# HELP ${m.source} ${m.source}`, `# TYPE ${m.source} ${type}`);
    if (m.aggregation === 'gauge') lines.push(`${m.source} ${f.gauge}`);
    else if (m.aggregation === 'counter') lines.push(`${m.source}{reason="a"} ${f.counter - 1}`, `${m.source}{reason="b"} 1`);
    else {
      lines.push(`${m.source}{api="DescribeInstances",quantile="0.99"} 10`);
      lines.push(`${m.source}_sum{api="DescribeInstances"} ${10 * f.counter}`, `${m.source}_count{api="DescribeInstances"} ${f.counter}`);
    }
  }
  lines.push('# HELP process_start_time_seconds start', '# TYPE process_start_time_seconds gauge', `process_start_time_seconds ${f.processStart}`);
  return `${lines.join('\n')}\n`;
}
