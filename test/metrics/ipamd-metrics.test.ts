/**
 * ipamd's Prometheus metrics (issue 13), scraped over HTTP from a real ipamd process against the
 * emulator and read with a real parser: the values must say what the test did and what EC2 (the
 * emulator's state and request log) saw.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { AssignPrivateIpAddressesCommand } from '@aws-sdk/client-ec2';
import { METRICS } from '../../contract/metrics.ts';
import { ec2Client } from '../helpers/emulator.ts';
import { type ObservedIpamd, startObservedIpamd } from '../helpers/observed-ipamd.ts';
import { ec2Counts, settles } from '../helpers/pool.ts';
import { type Family, scrape, sumOf, valueOf } from '../helpers/prometheus-text.ts';

/** Scrapes until two scrapes in a row agree on `probe` (the reconciler has stopped moving). */
async function steady(o: ObservedIpamd, probe: (f: Map<string, Family>) => unknown): Promise<Map<string, Family>> {
  let last = JSON.stringify(probe((await scrape(o.metrics)).families));
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const { families } = await scrape(o.metrics);
    const now = JSON.stringify(probe(families));
    if (now === last) return families;
    last = now;
  }
  throw new Error(`metrics did not settle: ${last}`);
}

const ec2Requests = (o: ObservedIpamd) => {
  const by = new Map<string, number>();
  for (const e of o.sim.log.entries({ service: 'ec2' })) by.set(e.action, (by.get(e.action) ?? 0) + 1);
  return by;
};

describe('ipamd metrics over HTTP', () => {
  test('5 ADDs and a DEL: pool gauges, request counters and EC2 request counts agree with the test and with EC2', async (t) => {
    // A long cooldown keeps the released address cooling; no periodic resync, so EC2 is quiet once settled.
    const o = await startObservedIpamd({ env: { IP_COOLDOWN_PERIOD: '3600', VPCWIRE_RESYNC_INTERVAL_MS: '3600000' } });
    t.after(() => o.stop());
    for (let i = 0; i < 5; i++) await o.add(i);
    const f = await steady(o, (x) => [sumOf(x, 'awscni_ec2api_req_count'), valueOf(x, 'awscni_total_ip_addresses')]);

    assert.equal(valueOf(f, 'awscni_assigned_ip_addresses'), 5);
    assert.equal(valueOf(f, 'awscni_add_ip_req_count'), o.calls.add);
    assert.equal(o.calls.add, 5, 'the warm pool served every ADD at once');
    const ec2 = ec2Counts(o.sim, o.instanceId);
    assert.equal(valueOf(f, 'awscni_eni_allocated'), ec2.enis, 'ENIs as EC2 attaches them');
    assert.equal(valueOf(f, 'awscni_total_ip_addresses'), ec2.ips, 'addresses as EC2 assigns them');
    assert.equal(sumOf(f, 'vpcwire_addresses', { state: 'assigned' }), 5);
    assert.equal(sumOf(f, 'vpcwire_addresses', { state: 'free' }) + 5, ec2.ips);
    assert.equal(valueOf(f, 'awscni_eni_max'), 3, 't3.medium attaches 3 ENIs');
    assert.equal(valueOf(f, 'awscni_ip_max'), 15, '3 ENIs x 5 secondary addresses');
    assert.equal(valueOf(f, 'vpcwire_pool_target', { target: 'warm_eni' }), 1);
    assert.equal(valueOf(f, 'vpcwire_pool_target', { target: 'max_pods' }), 17);
    assert.equal(valueOf(f, 'vpcwire_pool_last_decision', { kind: 'none' }), 1, 'the pool is at its targets');
    assert.equal(sumOf(f, 'awscni_assigned_ip_per_eni'), 5);
    assert.equal(sumOf(f, 'awscni_assigned_ip_per_cidr'), 5);
    assert.equal(valueOf(f, 'vpcwire_ipam_request_duration_seconds_count', { op: 'add', result: 'ok' }), 5);
    assert.equal(valueOf(f, 'awscni_build_info', { version: '0.1.0', nodeversion: process.version }), 1);
    assert.equal(valueOf(f, 'awscni_ipamd_startup_duration_seconds_count', { success: 'true', with_api_server: 'false' }), 1, 'one start, standalone');
    assert.ok((valueOf(f, 'awscni_ipamd_startup_duration_seconds_sum', { success: 'true' }) ?? 0) > 0);

    // Every EC2 request ipamd sent, by action, is one the emulator logged, and no other.
    const logged = ec2Requests(o);
    assert.ok(logged.size >= 3, `EC2 was called: ${JSON.stringify([...logged])}`);
    for (const [action, n] of logged) assert.equal(valueOf(f, 'awscni_ec2api_req_count', { fn: action }), n, action);
    assert.equal(sumOf(f, 'awscni_ec2api_req_count'), [...logged.values()].reduce((a, b) => a + b, 0));
    for (const [action, n] of logged) {
      assert.equal(valueOf(f, 'awscni_aws_api_latency_ms_count', { api: action, error: 'false', status: '200' }), n, `latency samples of ${action}`);
    }

    // A DEL: one address leaves `assigned` for `cooling`, and is counted with the plugin's reason.
    await o.del(2, 'cni-del');
    const after = (await scrape(o.metrics)).families;
    assert.equal(valueOf(after, 'awscni_assigned_ip_addresses'), 4);
    assert.equal(sumOf(after, 'vpcwire_addresses', { state: 'cooling' }), 1);
    assert.equal(sumOf(after, 'vpcwire_addresses', { state: 'assigned' }), 4);
    assert.equal(valueOf(after, 'awscni_del_ip_req_count', { reason: 'cni-del' }), 1);
    assert.equal(valueOf(after, 'vpcwire_ipam_request_duration_seconds_count', { op: 'del', result: 'ok' }), 1);

    // The address history wrote every line (nothing waiting, nothing failed).
    assert.equal(valueOf(after, 'vpcwire_history_pending_lines'), 0);
    assert.equal(valueOf(after, 'vpcwire_history_write_failures_total'), 0);
    assert.equal(valueOf(after, 'vpcwire_history_dropped_lines_total'), 0);
    // The process: its start time (what the publisher reads to tell a restart) as the kernel has it, and
    // its memory and CPU as /proc shows them.
    const pid = o.p.child.pid!;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
    const startedAt = bootSeconds + Number(stat[19]) / 100; // starttime, in clock ticks (USER_HZ 100) since boot
    const start = valueOf(after, 'process_start_time_seconds')!;
    assert.ok(Math.abs(start - startedAt) <= 2, `process_start_time_seconds ${start} vs /proc ${startedAt}`);
    const again = (await scrape(o.metrics)).families;
    assert.equal(valueOf(again, 'process_start_time_seconds'), start, 'constant for the life of the process');
    const rssBytes = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
    const rss = valueOf(again, 'process_resident_memory_bytes')!;
    assert.ok(rss > 20 * 2 ** 20 && Math.abs(rss - rssBytes) / rssBytes < 0.25, `RSS ${rss} vs /proc ${rssBytes}`);
    const cpuTicks = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const cpu = (Number(cpuTicks[11]) + Number(cpuTicks[12])) / 100; // utime + stime
    const cpuMetric = valueOf(again, 'process_cpu_seconds_total')!;
    assert.ok(cpuMetric > 0 && Math.abs(cpuMetric - cpu) < 0.5, `CPU ${cpuMetric} s vs /proc ${cpu} s`);
    assert.ok(cpuMetric >= valueOf(after, 'process_cpu_seconds_total')!, 'a counter never goes down');
  });

  test('EC2 throttling shows per action, requests still match the emulator, and drift EC2 caused is counted as found and repaired', async (t) => {
    const o = await startObservedIpamd({
      // Fast resyncs so the drift the test causes is found quickly; WARM_IP_TARGET 1 makes one
      // AssignPrivateIpAddresses per pod, against a bucket of one token refilled every 2 s.
      env: { WARM_IP_TARGET: '1', VPCWIRE_RESYNC_INTERVAL_MS: '300', DISABLE_INTROSPECTION: 'true' },
      sim: { throttling: { AssignPrivateIpAddresses: { capacity: 1, refillPerSecond: 0.5 } } },
    });
    t.after(() => o.stop());
    for (let i = 0; i < 3; i++) await o.add(i);
    await settles(() => ec2Counts(o.sim, o.instanceId).ips, 4, { ms: 30_000 });
    const throttled = o.sim.log.entries({ service: 'ec2', action: 'AssignPrivateIpAddresses' }).filter((e) => e.errorCode === 'RequestLimitExceeded').length;
    assert.ok(throttled > 0, 'the emulator throttled ipamd');
    const f = (await scrape(o.metrics)).families;
    assert.equal(valueOf(f, 'vpcwire_ec2_throttled_total', { action: 'AssignPrivateIpAddresses' }), throttled);
    assert.ok((valueOf(f, 'vpcwire_ec2_retries_total', { action: 'AssignPrivateIpAddresses' }) ?? 0) >= throttled, 'each throttled request was retried');
    const assigns = o.sim.log.entries({ service: 'ec2', action: 'AssignPrivateIpAddresses' }).length;
    assert.equal(valueOf(f, 'awscni_ec2api_req_count', { fn: 'AssignPrivateIpAddresses' }), assigns, 'retries are requests too');

    // Drift: EC2 assigns the node's ENI an address ipamd never asked for; the next resync adopts it.
    const eniId = o.sim.state.enisOf(o.instanceId).find((e) => e.attachment?.deviceIndex === 0)!.id;
    const ec2 = ec2Client(o.sim, 5);
    t.after(() => ec2.destroy());
    await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, SecondaryPrivateIpAddressCount: 1 }));
    let drift = 0;
    for (let i = 0; i < 100 && drift === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      drift = valueOf((await scrape(o.metrics)).families, 'vpcwire_drift_found_total', { kind: 'ec2-untracked' }) ?? 0;
    }
    const g = (await scrape(o.metrics)).families;
    assert.equal(drift, 1, 'one address EC2 assigned behind ipamd\'s back');
    assert.equal(valueOf(g, 'vpcwire_drift_repaired_total', { kind: 'ec2-untracked' }), 1, 'adopted into the pool');
    assert.ok((valueOf(g, 'awscni_reconcile_count', { fn: 'resync' }) ?? 0) > 0);

    // A call EC2 refuses for good (no retry helps): counted as an EC2 error by action and AWS code,
    // timed with error="true", and as the reconcile pass's error.
    o.sim.faults.failNext('AssignPrivateIpAddresses', 1, { code: 'UnauthorizedOperation' });
    const before = ec2Requests(o).get('AssignPrivateIpAddresses') ?? 0;
    await o.add(3);
    let h = g;
    for (let i = 0; i < 100 && !valueOf(h, 'awscni_ec2api_error_count', { fn: 'AssignPrivateIpAddresses' }); i++) {
      await new Promise((r) => setTimeout(r, 100));
      h = (await scrape(o.metrics)).families;
    }
    assert.equal(valueOf(h, 'awscni_ec2api_error_count', { fn: 'AssignPrivateIpAddresses' }), 1);
    assert.equal(valueOf(h, 'awscni_aws_api_error_count', { api: 'AssignPrivateIpAddresses', error: 'UnauthorizedOperation' }), 1);
    assert.equal(sumOf(h, 'awscni_aws_api_latency_ms_count', { api: 'AssignPrivateIpAddresses', error: 'true' }), 1);
    assert.ok((valueOf(h, 'awscni_ipamd_error_count', { fn: 'reconcile' }) ?? 0) >= 1);
    assert.ok((ec2Requests(o).get('AssignPrivateIpAddresses') ?? 0) > before);

    // A resync EC2 refuses once: one error, under resync, not also under the reconcile pass it ran in.
    const errors = (f: Map<string, Family>) => ({ resync: valueOf(f, 'awscni_ipamd_error_count', { fn: 'resync' }) ?? 0, all: sumOf(f, 'awscni_ipamd_error_count') });
    const was = errors(h);
    o.sim.faults.failNext('DescribeNetworkInterfaces', 1, { code: 'UnauthorizedOperation' });
    let now = was;
    for (let i = 0; i < 100 && now.resync === was.resync; i++) {
      await new Promise((r) => setTimeout(r, 100));
      now = errors((await scrape(o.metrics)).families);
    }
    await new Promise((r) => setTimeout(r, 500)); // the pass that ran the resync has ended
    now = errors((await scrape(o.metrics)).families);
    assert.deepEqual({ resync: now.resync - was.resync, all: now.all - was.all }, { resync: 1, all: 1 });
  });

  test('the exposition holds every metric of contract/metrics.ts with its type, and nothing else of ours; a pool held at max pods says so', async (t) => {
    // WARM_ENI_TARGET 1 asks for 5 free addresses on a t3.medium; max pods 3 stops the pool at 3.
    const o = await startObservedIpamd({ env: { DISABLE_INTROSPECTION: 'true', VPCWIRE_MAX_PODS: '3' } });
    t.after(() => o.stop());
    await o.add(0);
    const families = await steady(o, (x) => valueOf(x, 'vpcwire_pool_growth_blocked', { reason: 'max-pods' }));
    assert.equal(valueOf(families, 'vpcwire_pool_growth_blocked', { reason: 'max-pods' }), 1);
    assert.equal(sumOf(families, 'vpcwire_pool_growth_blocked'), 1, 'one reason at a time');
    assert.equal(valueOf(families, 'vpcwire_pool_target', { target: 'max_pods' }), 3);
    assert.equal(valueOf(families, 'awscni_total_ip_addresses'), 3);
    for (const d of METRICS) {
      const fam = families.get(d.name);
      assert.ok(fam, `${d.name} is exposed`);
      assert.equal(fam.type, d.type.toUpperCase(), d.name);
      assert.equal(fam.help, d.help, d.name);
    }
    const ours = [...families.values()].filter((f) => f.type !== 'UNTYPED').map((f) => f.name).filter((n) => n.startsWith('awscni_') || n.startsWith('vpcwire_') || n.startsWith('process_'));
    assert.deepEqual(ours.sort(), METRICS.map((d) => d.name).sort());
  });
});
