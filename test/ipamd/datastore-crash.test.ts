/**
 * kill -9 in the middle of allocation bursts (issue 3, "recovery after kill -9"): this file forks
 * itself as a child that assigns and releases in concurrent bursts, printing each call's result
 * only after it resolved, and SIGKILLs it at random moments. After every kill the checkpoint must
 * load cleanly and hold every allocation whose assign resolved (and no resolved release), each
 * with the address the child was given, no address twice, and nothing the child never asked for.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Checkpoint } from '../../ipamd/datastore/checkpoint.ts';
import { Datastore } from '../../ipamd/datastore/datastore.ts';
import type { AddressChooser } from '../../ipamd/datastore/types.ts';

const CHILD_ENV = 'VPCWIRE_DS_CRASH_CHILD';
const quiet = { info() {}, warn() {}, error() {} };
const firstFree: AddressChooser = (snap) => {
  for (const eni of snap.enis) for (const a of eni.addresses) if (a.state === 'free') return { eniId: eni.id, ip: a.ip };
  return undefined;
};
const key = (containerId: string) => ({ networkName: 'vpcwire', containerId, ifName: 'eth0' });

type Line =
  | { op: 'ready'; allocations: number }
  | { op: 'corrupt'; reason: string }
  | { op: 'begin-assign' | 'begin-release' | 'released'; id: string }
  | { op: 'assigned'; id: string; ip: string };

/** Synchronous, so a line is in the pipe before the child goes on (and before any kill can land). */
function emit(line: Line): void {
  const buf = Buffer.from(`${JSON.stringify(line)}\n`);
  for (let off = 0; off < buf.length; ) {
    try {
      off += writeSync(1, buf, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
  }
}

async function child(dir: string, round: string): Promise<never> {
  const checkpoint = new Checkpoint({ path: join(dir, 'ipam.json'), logger: quiet });
  const loaded = await checkpoint.load();
  if (loaded.corrupt) {
    emit({ op: 'corrupt', reason: loaded.corrupt.reason });
    process.exit(3);
  }
  const ds = new Datastore({ checkpoint, logger: quiet, chooseAddress: firstFree, cooldownMs: 50 });
  for (let e = 0; e < 4; e++) {
    await ds.addEni({
      id: `eni-${e}`, deviceIndex: e, mac: `02:00:00:00:00:0${e}`, isPrimary: e === 0, subnetCidr: `10.0.${e}.0/24`, primaryIp: `10.0.${e}.4`,
      secondaryIps: Array.from({ length: 40 }, (_, i) => `10.0.${e}.${10 + i}`),
    });
  }
  await ds.restore(loaded.state, { vethExists: async () => true });
  emit({ op: 'ready', allocations: ds.allocations().length });
  for (let n = 0; ; ) {
    const live = ds.allocations();
    if (live.length > 100 || (live.length > 0 && Math.random() < 0.3)) {
      const victims = live.filter(() => Math.random() < 4 / live.length).slice(0, 4);
      for (const v of victims) emit({ op: 'begin-release', id: v.key.containerId });
      await Promise.all(victims.map((v) => ds.release(v.key).then(() => emit({ op: 'released', id: v.key.containerId }))));
    } else {
      const ids = Array.from({ length: 1 + Math.floor(Math.random() * 8) }, () => `r${round}-${n++}`);
      for (const id of ids) emit({ op: 'begin-assign', id });
      await Promise.allSettled(
        ids.map((id) => ds.assign(key(id), { namespace: 'crash', name: id, uid: id }).then((a) => emit({ op: 'assigned', id, ip: a.ip }))),
      );
    }
  }
}

/** Runs one child, kills it at a random moment, returns the complete lines it printed. */
async function runAndKill(dir: string, round: number): Promise<Line[]> {
  const env: NodeJS.ProcessEnv = { ...process.env, [CHILD_ENV]: dir, CRASH_ROUND: String(round) };
  delete env.NODE_TEST_CONTEXT; // the child is not a test file
  const proc = spawn(process.execPath, [import.meta.filename], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => proc.on('exit', (code, signal) => resolve(signal ?? code)));
  const early = Math.random() < 0.25; // sometimes during load/restore, mostly during the bursts
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number) => (timer ??= setTimeout(() => proc.kill('SIGKILL'), ms));
  if (early) arm(Math.random() * 250);
  proc.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (!early && out.includes('"op":"ready"')) arm(20 + Math.random() * 200);
  });
  const watchdog = setTimeout(() => proc.kill('SIGKILL'), 5_000);
  const how = await exited;
  clearTimeout(watchdog);
  clearTimeout(timer);
  assert.equal(how, 'SIGKILL', `child ended by ${how}, output: ${out.slice(-500)}`);
  return out.split('\n').slice(0, -1).map((l) => JSON.parse(l) as Line); // the last, unterminated piece is dropped
}

if (process.env[CHILD_ENV]) {
  await child(process.env[CHILD_ENV], process.env.CRASH_ROUND ?? '0');
} else {
  const { test } = await import('node:test');
  test('SIGKILL at random moments never loses a resolved allocation, nor doubles one', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'vpcwire-crash-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    let durable = new Map<string, string>(); // containerId -> ip, as proven after the previous kill
    let resolvedAssigns = 0;
    for (let round = 0; round < 10; round++) {
      const lines = await runAndKill(dir, round);
      assert.ok(!lines.some((l) => l.op === 'corrupt'), `round ${round}: the child found a corrupt checkpoint`);
      const ready = lines.find((l) => l.op === 'ready');
      if (ready?.op === 'ready') assert.equal(ready.allocations, durable.size, `round ${round}: restore kept everything`);

      const must = new Map(durable);
      const maybe = new Set<string>(); // calls in flight at the kill: either outcome is correct
      const released = new Set<string>();
      for (const l of lines) {
        if (l.op === 'begin-assign' || l.op === 'begin-release') maybe.add(l.id);
        else if (l.op === 'assigned') {
          maybe.delete(l.id);
          must.set(l.id, l.ip);
          resolvedAssigns++;
        } else if (l.op === 'released') {
          maybe.delete(l.id);
          must.delete(l.id);
          released.add(l.id);
        }
      }

      const errors: string[] = [];
      const loaded = await new Checkpoint({ path: join(dir, 'ipam.json'), logger: { ...quiet, error: (m) => errors.push(m) } }).load();
      assert.equal(loaded.corrupt, undefined, `round ${round}: ${errors.join('; ')}`);
      const onDisk = new Map(loaded.state.allocations.map((a) => [a.key.containerId, a.ip]));
      assert.equal(new Set(onDisk.values()).size, onDisk.size, `round ${round}: an address is held twice`);
      for (const [id, ip] of must) {
        if (!maybe.has(id)) assert.equal(onDisk.get(id), ip, `round ${round}: resolved allocation ${id} (${ip}) lost or changed`);
      }
      for (const id of released) if (!maybe.has(id)) assert.ok(!onDisk.has(id), `round ${round}: resolved release of ${id} undone`);
      for (const id of onDisk.keys()) assert.ok(must.has(id) || maybe.has(id), `round ${round}: ${id} was never assigned`);
      for (const c of loaded.state.cooling) assert.ok(![...onDisk.values()].includes(c.ip), `round ${round}: ${c.ip} both cooling and assigned`);
      durable = onDisk;
    }
    assert.ok(resolvedAssigns >= 50, `only ${resolvedAssigns} assigns resolved over the rounds`);
  });
}
