/**
 * ipamd's Prometheus registry (issue 13): the only file that imports prom-client. Every metric of
 * contract/metrics.ts is registered on a registry of ipamd's own (never prom-client's global one),
 * events arrive through the MetricsPort, and the pool's gauges and the drift counters are read from
 * the daemon at each scrape (pool-reading.ts).
 */
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { DECISION_KINDS, GROWTH_BLOCKS, METRICS, type MetricDef, type MetricName } from '../../contract/metrics.ts';
import type { HostCheckReport } from '../ports.ts';
import type { PoolReading } from './pool-reading.ts';
import type { Ec2Attempt, Ec2CallOutcome, IpamOp, MetricsPort } from './port.ts';

type AnyMetric = Counter | Gauge | Histogram | Summary;

/** What the registry reads at scrape time. */
export interface ScrapeSources {
  pool(): PoolReading;
  drift(): { found: Record<string, number>; repaired: Record<string, number> };
  /** The address history's writer; undefined with VPCWIRE_HISTORY=false (no series then). */
  history?(): { writeFailures: number; pending: number; dropped: number } | undefined;
}

export class IpamdMetrics implements MetricsPort {
  readonly registry = new Registry();
  readonly #m = new Map<string, AnyMetric>();
  #sources: ScrapeSources | undefined;
  /** Running totals (drift, history) already added to their counters: they only grow, the difference is added. */
  readonly #seen = new Map<string, number>();
  #cpuSeen = 0;

  constructor(opts: { version: string }) {
    for (const d of METRICS) this.#m.set(d.name, this.#create(d));
    this.#gauge('awscni_build_info').set({ version: opts.version, nodeversion: process.version }, 1);
    // As prom-client's default collector computes it: constant for the process's life.
    this.#gauge('process_start_time_seconds').set(Math.round(Date.now() / 1000 - process.uptime()));
  }

  #create(d: MetricDef): AnyMetric {
    const common = { name: d.name, help: d.help, labelNames: [...d.labels], registers: [this.registry] };
    switch (d.type) {
      case 'counter':
        return new Counter(common);
      case 'gauge':
        return new Gauge(common);
      case 'histogram':
        return new Histogram({ ...common, ...(d.buckets ? { buckets: [...d.buckets] } : {}) });
      case 'summary':
        // A sliding window, so quantiles say how EC2 answers now rather than since the start.
        return new Summary({ ...common, percentiles: [...(d.percentiles ?? [0.5, 0.9, 0.99])], maxAgeSeconds: 600, ageBuckets: 5 });
    }
  }

  #counter = (n: MetricName) => this.#m.get(n) as Counter;
  #gauge = (n: MetricName) => this.#m.get(n) as Gauge;
  #histogram = (n: MetricName) => this.#m.get(n) as Histogram;

  /** Where the pool and drift are read at each scrape; set once the daemon has them. */
  setSources(sources: ScrapeSources): void {
    this.#sources = sources;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition, with the pool gauges read now. */
  async scrape(): Promise<string> {
    this.#refresh();
    return this.registry.metrics();
  }

  #refresh(): void {
    this.#gauge('process_resident_memory_bytes').set(process.memoryUsage.rss());
    const { user, system } = process.cpuUsage();
    const cpu = (user + system) / 1e6;
    this.#counter('process_cpu_seconds_total').inc(Math.max(0, cpu - this.#cpuSeen));
    this.#cpuSeen = Math.max(cpu, this.#cpuSeen);
    const s = this.#sources;
    if (!s) return;
    const p = s.pool();
    const g = (n: MetricName) => {
      const gauge = this.#gauge(n);
      gauge.reset(); // series of ENIs and CIDRs that went away go with them
      return gauge;
    };
    g('awscni_eni_allocated').set(p.enis.length);
    g('awscni_eni_max').set(p.eniMax);
    g('awscni_ip_max').set(p.ipMax);
    g('awscni_total_ip_addresses').set(p.totals.free + p.totals.assigned + p.totals.cooling);
    g('awscni_assigned_ip_addresses').set(p.totals.assigned);
    g('awscni_total_ipv4_prefixes').set(p.prefixes);
    const perEni = g('awscni_assigned_ip_per_eni');
    const perCidr = g('awscni_assigned_ip_per_cidr');
    const byState = g('vpcwire_addresses');
    const retired = g('vpcwire_eni_retired');
    for (const e of p.enis) {
      perEni.set({ eni: e.id }, e.counts.assigned);
      for (const [cidr, n] of e.assignedPerCidr) perCidr.set({ cidr }, n);
      for (const [state, n] of Object.entries(e.counts)) byState.set({ eni: e.id, state }, n);
      retired.set({ eni: e.id }, e.retired ? 1 : 0);
    }
    const targets = g('vpcwire_pool_target');
    for (const [target, v] of Object.entries(p.targets)) targets.set({ target }, v);
    const kind = g('vpcwire_pool_last_decision');
    if (p.decision) for (const k of DECISION_KINDS) kind.set({ kind: k }, p.decision.step.kind === k ? 1 : 0);
    const blocked = g('vpcwire_pool_growth_blocked');
    // Paused growth is in force until it ends, whatever the last plan said.
    const reason = p.growthPausedUntil ? 'subnet-full' : p.decision?.blocked;
    if (reason) for (const r of GROWTH_BLOCKS) blocked.set({ reason: r }, r === reason ? 1 : 0);
    g('vpcwire_prewarm_expected_pods').set(p.expectedPods);
    g('vpcwire_prewarm_reserved_addresses').set(p.reservedForExpected);
    const d = s.drift();
    for (const [kind, n] of Object.entries(d.found)) this.#addTotal('vpcwire_drift_found_total', n, { kind });
    for (const [kind, n] of Object.entries(d.repaired)) this.#addTotal('vpcwire_drift_repaired_total', n, { kind });
    const h = s.history?.();
    if (h) {
      this.#addTotal('vpcwire_history_write_failures_total', h.writeFailures);
      this.#addTotal('vpcwire_history_dropped_lines_total', h.dropped);
      g('vpcwire_history_pending_lines').set(h.pending);
    }
  }

  /** Brings a counter up to a running total kept elsewhere. */
  #addTotal(name: MetricName, total: number, labels: Record<string, string> = {}): void {
    const key = `${name} ${JSON.stringify(labels)}`;
    const delta = total - (this.#seen.get(key) ?? 0);
    if (delta > 0) this.#counter(name).inc(labels, delta);
    else if (!this.#seen.has(key)) this.#counter(name).inc(labels, 0); // a series from the first scrape, at 0
    this.#seen.set(key, Math.max(total, this.#seen.get(key) ?? 0));
  }

  ipamRequest(op: IpamOp, seconds: number, outcome: { ok: boolean; delReason?: string; poolEmpty?: boolean }): void {
    if (op === 'add') this.#counter('awscni_add_ip_req_count').inc();
    // The plugin's reasons are a handful of fixed words; anything else is folded so a caller
    // cannot grow the label's cardinality.
    else this.#counter('awscni_del_ip_req_count').inc({ reason: delReason(outcome.delReason) });
    if (outcome.poolEmpty) this.#counter('awscni_no_available_ip_addresses').inc();
    else if (!outcome.ok) this.#counter('awscni_ipamd_error_count').inc({ fn: op });
    this.#histogram('vpcwire_ipam_request_duration_seconds').observe({ op, result: outcome.ok ? 'ok' : 'error' }, seconds);
  }

  releaseNoteReplayed(): void {
    this.#counter('awscni_del_ip_req_count').inc({ reason: 'release-note' });
  }

  ec2Call(o: Ec2CallOutcome): void {
    const failed = o.awsCode !== undefined;
    (this.#m.get('awscni_aws_api_latency_ms') as Summary).observe({ api: o.action, error: String(failed), status: o.status !== undefined ? String(o.status) : '' }, o.ms);
    if (failed) {
      this.#counter('awscni_ec2api_error_count').inc({ fn: o.action });
      this.#counter('awscni_aws_api_error_count').inc({ api: o.action, error: o.awsCode! });
    }
  }

  ec2Attempt(a: Ec2Attempt): void {
    this.#counter('awscni_ec2api_req_count').inc({ fn: a.action });
    if (a.attempt > 1) this.#counter('vpcwire_ec2_retries_total').inc({ action: a.action });
    if (a.awsCode === 'RequestLimitExceeded' || a.awsCode === 'Throttling' || a.awsCode === 'ThrottlingException') {
      this.#counter('vpcwire_ec2_throttled_total').inc({ action: a.action });
    }
  }

  ipamdError(fn: string): void {
    this.#counter('awscni_ipamd_error_count').inc({ fn });
  }

  action(fn: string): () => void {
    const g = this.#gauge('awscni_ipamd_action_inprogress');
    g.inc({ fn });
    let done = false;
    return () => {
      if (done) return;
      done = true;
      g.dec({ fn });
    };
  }

  reconciled(fn: string): void {
    this.#counter('awscni_reconcile_count').inc({ fn });
  }

  forceRemoved(what: 'eni' | 'ip'): void {
    this.#counter(what === 'eni' ? 'awscni_force_removed_enis' : 'awscni_force_removed_ips').inc();
  }

  hostCheck(r: HostCheckReport): void {
    const c = this.#counter('vpcwire_host_network_repairs_total');
    if (r.missing.length) c.inc({ action: 'added' }, r.missing.length);
    if (r.removed.length) c.inc({ action: 'removed' }, r.removed.length);
    this.#gauge('vpcwire_host_network_unrepaired').set(r.unrepaired.length);
  }

  started(seconds: number, withApiServer: boolean): void {
    this.#histogram('awscni_ipamd_startup_duration_seconds').observe({ success: 'true', with_api_server: String(withApiServer), failure_reason: '' }, seconds);
  }
}

// The CNI plugin's reasons (cni/verbs/): a fixed handful.
const DEL_REASONS = new Set(['cni-del', 'cni-gc', 'cni-add-failed']);
const delReason = (r: string | undefined): string => (r === undefined || r === '' ? 'unknown' : DEL_REASONS.has(r) ? r : 'other');
