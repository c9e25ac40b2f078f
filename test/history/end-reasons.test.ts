/**
 * How a holding ended, as the address history records it from ipamd's allocation API: the plugin's
 * GC (a runtime's CNI GC verb, reason cni-gc) is `gc`, any other DEL is `del` (issue 13 item 5).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readHistory } from '../../ipamd/history/reader.ts';
import { startEmulator } from '../../sim/emulator.ts';
import { startIpamdProcess } from '../helpers/ipamd-process.ts';
import { addPods, podKey } from '../helpers/pool.ts';

test("a DEL from the plugin's GC ends the holding as gc; a plain DEL as del", async (t) => {
  const sim = await startEmulator({ profile: 'fast', throttling: false, dataPlane: false });
  t.after(() => sim.stop());
  const p = await startIpamdProcess(sim, sim.instance('node-1').id, { WARM_IP_TARGET: '2' });
  t.after(() => p.stop());
  const ips = await addPods(p, 0, 3);
  await p.client.delNetwork({ key: podKey(0), reason: 'cni-gc' });
  await p.client.delNetwork({ key: podKey(1), reason: 'cni-del' });
  await p.client.delNetwork({ key: podKey(2), reason: '' });
  const dir = join(p.dir, 'state', 'history');
  const endOf = async (ip: string) => (await readHistory(dir, { ip })).records.map((r) => r.endHow);
  assert.deepEqual(await endOf(ips[0]!), ['gc']);
  assert.deepEqual(await endOf(ips[1]!), ['del']);
  assert.deepEqual(await endOf(ips[2]!), ['del'], 'a stock client that gives no reason');
});
