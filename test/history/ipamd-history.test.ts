/**
 * The address history through a real ipamd against the emulator (issue 13 items 1, 2, 4): ADD and
 * DEL recorded, kept across a restart (with what the restart found gone closed between its last
 * sign of life and the restart), answered by `vpcwire history` run as a real process (output and
 * exit codes, ipamd down) and by the introspection route handler (no container IDs).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { historyRoute } from '../../ipamd/history/route.ts';
import { hostVethName } from '../../ipamd/veth.ts';
import { startEmulator } from '../../sim/emulator.ts';
import { startIpamdProcess } from '../helpers/ipamd-process.ts';
import { startObservedIpamd } from '../helpers/observed-ipamd.ts';
import { addPods, delPods, podKey } from '../helpers/pool.ts';
import { scrape, valueOf } from '../helpers/prometheus-text.ts';

const BIN = new URL('../../bin/vpcwire.ts', import.meta.url).pathname;

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.VPCWIRE_HISTORY_DIR;
    delete env.VPCWIRE_CHECKPOINT;
    const child = spawn(process.execPath, [BIN, 'history', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('address history through ipamd', () => {
  test('ADD/DEL recorded; a restart keeps the history and closes what it found gone; the CLI and the route answer', async (t) => {
    const sim = await startEmulator({ profile: 'fast', throttling: false, dataPlane: false });
    t.after(() => sim.stop());
    const p = await startIpamdProcess(sim, sim.instance('node-1').id, { WARM_IP_TARGET: '4' });
    t.after(() => p.stop());
    const dir = join(p.dir, 'state', 'history');

    const before = Date.now();
    const ips = await addPods(p, 0, 4);
    const added = Date.now();
    await delPods(p, 1, 2);
    const deleted = Date.now();

    // pod-0 still runs (its veth exists); pod-2's sandbox vanished while ipamd was down.
    writeFileSync(join(p.netDir, hostVethName('eni', 'default', 'pod-0')), '');
    // pod-3 was deleted by the plugin while ipamd was down: its release note is replayed at start.
    writeFileSync(join(p.netDir, hostVethName('eni', 'default', 'pod-3')), '');
    await p.kill('SIGKILL');
    mkdirSync(p.releaseNotesDir, { recursive: true });
    const k3 = podKey(3);
    writeFileSync(join(p.releaseNotesDir, 'note-3.json'), JSON.stringify({ network: k3.networkName, containerId: k3.containerId, ifName: k3.ifName }));

    // A crash mid-write left a torn last line.
    const files = readdirSync(dir);
    appendFileSync(join(dir, files.at(-1)!), '{"v":1,"e":"end","ip":"10.');

    // ipamd down: the CLI reads the files.
    const whole = await cli(ips[1]!, '--dir', dir, '--json');
    assert.equal(whole.code, 0, whole.stderr);
    assert.match(whole.stderr, /skipped a torn last line \(a crash mid-write\) at \S+history-\S+\.jsonl:\d+/);
    const h1 = JSON.parse(whole.stdout) as { holdings: { pod: { name: string; uid: string }; containerId: string; start: string; end?: string; endHow?: string }[] };
    assert.equal(h1.holdings.length, 1);
    assert.equal(h1.holdings[0]!.pod.name, 'pod-1');
    assert.equal(h1.holdings[0]!.pod.uid, 'uid-1');
    assert.equal(h1.holdings[0]!.containerId, 'c00000001', 'root on the node sees the container');
    assert.equal(h1.holdings[0]!.endHow, 'del');
    const start1 = Date.parse(h1.holdings[0]!.start);
    const end1 = Date.parse(h1.holdings[0]!.end!);
    assert.ok(before <= start1 && start1 <= added && added <= end1 && end1 <= deleted);

    // Exactly at the start: held; exactly at the end: not (half-open).
    const atStart = await cli(ips[1]!, '--dir', dir, '--at', new Date(start1).toISOString());
    assert.equal(atStart.code, 0);
    assert.match(atStart.stdout, /: default\/pod-1 \(uid uid-1\)\n {2}container c00000001 eth0, network vpcwire/);
    const atEnd = await cli(ips[1]!, '--dir', dir, '--at', new Date(end1).toISOString());
    assert.equal(atEnd.code, 0, "nobody is an answer, not an error");
    assert.match(atEnd.stdout, /held by no pod on this node/);

    await p.restart();
    const restarted = Date.now();
    assert.equal(readdirSync(dir).length, files.length + 1, 'after a torn line ipamd goes on in a new file');
    assert.match(readFileSync(join(p.dir, 'ipamd.log'), 'utf8'), /skipped a torn last line/);
    await p.client.addNetwork({ key: { networkName: 'vpcwire', containerId: 'c00000009', ifName: 'eth0' }, netns: '/x', pod: { namespace: 'web', name: 'later', uid: 'u9' } });

    // pod-0: one holding, still open (not duplicated by the restart).
    const h0 = await cli(ips[0]!, '--dir', dir, '--json');
    const r0 = (JSON.parse(h0.stdout) as { holdings: { pod: { name: string }; end?: string }[] }).holdings;
    assert.deepEqual(r0.map((r) => [r.pod.name, r.end]), [['pod-0', undefined]]);
    // pod-2: closed at the restart, "somewhere between" its last sign of life (its start: no kernel here) and then.
    const h2 = await cli(ips[2]!, '--dir', dir, '--at', 'now');
    assert.equal(h2.code, 0);
    const text2 = await cli(ips[2]!, '--dir', dir);
    assert.match(text2.stdout, /somewhere between \S+ and \S+ \(ipamd found it gone at start-up\)\s+default\/pod-2\s+uid-2\s+c00000002\/eth0/);
    const atRestart = await cli(ips[2]!, '--dir', dir, '--at', new Date(added).toISOString());
    assert.match(atRestart.stdout, /POSSIBLY default\/pod-2/);
    assert.ok(restarted > added);
    const text3 = await cli(ips[3]!, '--dir', dir);
    assert.match(text3.stdout, /somewhere between \S+ and \S+ \(its DEL, replayed at start-up from the plugin's release note\)\s+default\/pod-3/);

    // The route: same answers, pod identity only.
    const route = historyRoute({ dir });
    const r = await route(new URLSearchParams({ ip: ips[1]!, at: new Date(start1).toISOString() }));
    assert.equal(r.status, 200);
    const body = r.body as { holders: Record<string, unknown>[] };
    assert.equal(body.holders.length, 1);
    assert.deepEqual(body.holders[0]!.pod, { namespace: 'default', name: 'pod-1', uid: 'uid-1' });
    assert.doesNotMatch(JSON.stringify(r.body), /c00000001|eth0|hostVeth|containerId/, 'no container ID, interface or veth');
    const all = await route(new URLSearchParams({ ip: ips[1]! }));
    assert.equal((all.body as { holdings: unknown[] }).holdings.length, 1);
    assert.deepEqual(await route(new URLSearchParams({ ip: '10.0.3.300' })), { status: 400, body: { error: 'invalid address "10.0.3.300": expected an IPv4 address such as 10.0.3.7' } });
    const badAt = await route(new URLSearchParams({ ip: ips[1]!, at: 'yesterday' }));
    assert.equal(badAt.status, 400);
    assert.match((badAt.body as { error: string }).error, /invalid time "yesterday"/);
    assert.equal((await historyRoute({ dir: undefined })(new URLSearchParams({ ip: ips[1]! }))).status, 503);
  });
});

describe('address history: an unwritable directory', () => {
  test('pods are still served; the failure is logged loudly and counted in the metrics; the ledger is unaffected', async (t) => {
    const o = await startObservedIpamd({ env: { WARM_IP_TARGET: '4', VPCWIRE_HISTORY_DIR: '/proc/version/history' } });
    t.after(() => o.stop());
    const p = o.p;
    const ips = await addPods(p, 0, 3);
    assert.equal(new Set(ips).size, 3);
    assert.deepEqual((await p.client.getStatus()).allocations.map((a) => a.ipv4Address).sort(), [...ips].sort());
    await delPods(p, 0, 1);
    assert.match(readFileSync(join(p.dir, 'ipamd.log'), 'utf8'), /ADDRESS HISTORY NOT WRITTEN: writing the address history in \/proc\/version\/history failed; pods are still served/);
    // Three starts and one end, at least, wait in memory; each failed batch is counted.
    const { families } = await scrape(o.metrics);
    assert.ok(valueOf(families, 'vpcwire_history_write_failures_total')! >= 4, 'each ADD and the DEL failed to append');
    assert.ok(valueOf(families, 'vpcwire_history_pending_lines')! >= 4, 'the lines wait in memory');
    assert.equal(valueOf(families, 'vpcwire_history_dropped_lines_total'), 0);
  });
});

describe('vpcwire history: errors', () => {
  test('a bad address or time is an error naming it (exit 2); an unreadable directory exit 1; nobody is exit 0', async () => {
    const badIp = await cli('10.0.3.256', '--dir', '/nonexistent');
    assert.equal(badIp.code, 2);
    assert.match(badIp.stderr, /invalid address "10.0.3.256"/);
    const noIp = await cli('--dir', '/nonexistent');
    assert.equal(noIp.code, 2);
    assert.match(noIp.stderr, /an address is required/);
    for (const at of ['2026-13-02T21:14:05Z', '2026-02-30T00:00:00Z', '2026-12-02 21:14', 'tomorrow']) {
      const r = await cli('10.0.3.7', '--at', at, '--dir', '/nonexistent');
      assert.equal(r.code, 2, at);
      assert.match(r.stderr, new RegExp(`invalid time "${at}"`), at);
    }
    const badOpt = await cli('10.0.3.7', '--frobnicate');
    assert.equal(badOpt.code, 2);
    assert.match(badOpt.stderr, /frobnicate/);
    const noDir = await cli('10.0.3.7', '--dir', '/nonexistent/history');
    assert.equal(noDir.code, 1);
    assert.match(noDir.stderr, /cannot read the history at \/nonexistent\/history: no such directory/);
  });
});
