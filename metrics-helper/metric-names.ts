/**
 * The ipamd metric families the publisher reads. Upstream's names (awscni_*), which ipamd keeps
 * (issue 13). TODO(merge metrics): replace with contract/metrics.ts, their one home, once the
 * `metrics` branch lands; until then this file is the only place they are spelled.
 */
export const IPAMD_METRIC_NAMES = Object.freeze({
  assignedIpAddresses: 'awscni_assigned_ip_addresses',
  totalIpAddresses: 'awscni_total_ip_addresses',
  totalIpv4Prefixes: 'awscni_total_ipv4_prefixes',
  eniAllocated: 'awscni_eni_allocated',
  eniMax: 'awscni_eni_max',
  ipMax: 'awscni_ip_max',
  ipamdActionInProgress: 'awscni_ipamd_action_inprogress',
  awsApiLatency: 'awscni_aws_api_latency_ms',
  awsApiErrorCount: 'awscni_aws_api_error_count',
  awsUtilsErrorCount: 'awscni_aws_utils_error_count',
  ipamdErrorCount: 'awscni_ipamd_error_count',
  forceRemovedEnis: 'awscni_force_removed_enis',
  forceRemovedIps: 'awscni_force_removed_ips',
  reconcileCount: 'awscni_reconcile_count',
  addIpReqCount: 'awscni_add_ip_req_count',
  delIpReqCount: 'awscni_del_ip_req_count',
  ec2ApiReqCount: 'awscni_ec2api_req_count',
  ec2ApiErrorCount: 'awscni_ec2api_error_count',
  /** prom-client's default process metric: tells an ipamd restart (a counter reset) from a scrape. */
  processStartTime: 'process_start_time_seconds',
});
