/**
 * The address history outlives the checkpoint (issue 13 item 2). ipamd in-process against the
 * emulator, its kernel faked at the unit edge as kernel-recovery-unit.test.ts does (`podKernel`:
 * the `ip -j` snapshot of a node whose pods are running). The checkpoint is deleted with pods
 * running: the kernel audit recovers their addresses without pod identity, and the history keeps
 * the identity it recorded (matched by veth); a running pod it never recorded gets a holding
 * marked recovered; a pod gone meanwhile is closed as found gone at start-up.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectIpam } from '../../ipamd/api/client.ts';
import { parseSnapshot } from '../../ipamd/host-network/snapshot.ts';
import { heldAt } from '../../ipamd/history/query.ts';
import { readHistory } from '../../ipamd/history/reader.ts';
import { hostVethName } from '../../ipamd/veth.ts';
import { inProcessNode } from '../helpers/in-process-ipamd.ts';

/** A node kernel as `ip -j -batch` prints it: links, main-table routes, rules. */
function kernelText(pods: readonly { ip: string; veth: string }[]): string {
  const links = [{ ifname: 'lo', address: '00:00:00:00:00:00', mtu: 65536, flags: ['UP'], addr_info: [] }, ...pods.map((p) => ({ ifname: p.veth, address: '0a:58:00:00:00:01', mtu: 9001, flags: ['UP'], addr_info: [] }))];
  const routes = pods.map((p) => ({ dst: p.ip, dev: p.veth, scope: 'link' }));
  const rules = pods.map((p) => ({ priority: 512, src: 'all', dst: p.ip, table: 'main' }));
  return `${JSON.stringify(links)}\n${JSON.stringify(routes)}\n${JSON.stringify(rules)}\n`;
}

const veth = (name: string) => hostVethName('eni', 'default', name);
const key = (c: string) => ({ networkName: 'vpcwire', containerId: c, ifName: 'eth0' });

test('checkpoint deleted with pods running: identities kept from the history, a stranger recovered, the gone closed', async (t) => {
  const node = await inProcessNode(t, { dataPlane: false, prefix: 'vpcwire-history-loss-' });
  const config = node.config({
    VPCWIRE_HOST_NETWORK: 'false',
    WARM_IP_TARGET: '5',
    VPCWIRE_RESYNC_INTERVAL_MS: '200',
    VPCWIRE_RECONCILE_INTERVAL_MS: '50',
  });
  let running: { ip: string; veth: string }[] = [];
  const start = () => node.start(config, { podKernel: { snapshot: async () => parseSnapshot(kernelText(running)), ipBatch: async () => [] } });

  let ipamd = await start();
  let client = connectIpam(config.socketPath, { deadlineMs: 5000 });
  const add = async (name: string) =>
    (await client.addNetwork({ key: key(`ctr-${name}`), netns: `/run/netns/${name}`, pod: { namespace: 'default', name, uid: `uid-${name}` } })).ipv4Address;
  const a = await add('a');
  const b = await add('b');
  const c = await add('c');
  const addedAt = Date.now();
  const free = (await client.getStatus()).enis.flatMap((e) => e.addresses).find((x) => x.state === 'free')!.ip;
  client.close();
  await ipamd.stop();

  // a and b run; c's sandbox went while ipamd was down; a pod ipamd never recorded routes `free`.
  running = [{ ip: a, veth: veth('a') }, { ip: b, veth: veth('b') }, { ip: free, veth: veth('stranger') }];
  await rm(config.checkpointPath);
  ipamd = await start();
  client = connectIpam(config.socketPath, { deadlineMs: 5000 });
  t.after(() => client.close());
  const restartedAt = Date.now();
  assert.deepEqual(ipamd.store.allocations().filter((x) => x.recovered).map((x) => x.ip).sort(), [a, b, free].sort(), 'the kernel audit recovered them');

  const hist = config.history!.dir;
  const now = Date.now();
  const who = async (ip: string, at: number) => heldAt((await readHistory(hist, { ip })).records, at).map((h) => `${h.record.name}:${h.certainty}`);
  assert.deepEqual(await who(a, now), ['a:held'], "the recovered allocation keeps the pod the history recorded");
  assert.deepEqual((await readHistory(hist, { ip: a })).records.length, 1, 'one holding, not closed and reopened');
  const s = (await readHistory(hist, { ip: free })).records;
  assert.deepEqual(s.map((r) => [r.how, r.name, r.hostVeth]), [['recovered-kernel', '', veth('stranger')]]);
  assert.ok(s[0]!.at >= restartedAt - 5000 && s[0]!.at <= now, 'from the time the kernel showed it');
  const rc = (await readHistory(hist, { ip: c })).records;
  assert.deepEqual(rc.map((r) => [r.name, r.endHow]), [['c', 'restart-gone']]);
  assert.ok(rc[0]!.notBefore! <= addedAt && rc[0]!.end! >= addedAt, 'ended somewhere between its last sign of life and the restart');

  // a's DEL (its triple unknown to the recovered ledger, its veth known) ends a's holding.
  await client.delNetwork({ key: key('ctr-a'), reason: 'test', pod: { namespace: 'default', name: 'a' } });
  const ra = (await readHistory(hist, { ip: a })).records;
  assert.deepEqual(ra.map((r) => [r.name, r.endHow]), [['a', 'del']]);
  assert.deepEqual(await who(b, Date.now()), ['b:held']);

  // The periodic kernel audit leaves signs of life; b then goes while ipamd is down: its holding
  // ends somewhere between the last sighting of its veth and the restart.
  const seenLine = async () => (await readFile(join(hist, (await readdir(hist)).at(-1)!), 'utf8')).split('\n').filter((l) => l.includes('"e":"seen"')).length;
  for (let i = 0; (await seenLine()) < 2; i++) {
    assert.ok(i < 100, 'the periodic audit wrote no sign of life');
    await sleep(100);
  }
  client.close();
  await ipamd.stop();
  const stoppedAt = Date.now();
  const bStart = (await readHistory(hist, { ip: b })).records[0]!.at;
  running = running.filter((x) => x.ip !== b);
  await start(); // stopped at the test's end
  const rb = (await readHistory(hist, { ip: b })).records;
  assert.deepEqual(rb.map((r) => [r.name, r.endHow]), [['b', 'restart-gone']]);
  assert.ok(rb[0]!.notBefore! > bStart && rb[0]!.notBefore! <= stoppedAt, `last sign of life ${rb[0]!.notBefore} after its start ${bStart}, before ipamd stopped ${stoppedAt}`);
  assert.ok(rb[0]!.end! >= stoppedAt);
  assert.deepEqual(await who(b, rb[0]!.notBefore! - 1), ['b:held']);
  assert.deepEqual(await who(b, rb[0]!.notBefore!), ['b:possibly']);
});
