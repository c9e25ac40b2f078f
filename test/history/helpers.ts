/**
 * A datastore writing a real checkpoint and a real address history into a temp dir, on a clock
 * the test moves: the unit edge of issue 13's tests (no emulator, no kernel).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chooseAddress } from '../../warm-pool/index.ts';
import { Checkpoint } from '../../ipamd/datastore/checkpoint.ts';
import { Datastore } from '../../ipamd/datastore/datastore.ts';
import type { CheckpointState, EniSpec } from '../../ipamd/datastore/types.ts';
import { HistoryJournal } from '../../ipamd/history/journal.ts';
import type { RotationLimits } from '../../ipamd/history/rotation.ts';
import { silentLogger } from '../../ipamd/logger.ts';
import { vethOfAllocation } from '../../ipamd/veth.ts';

export const ENI0: EniSpec = {
  id: 'eni-0', deviceIndex: 0, mac: '02:00:00:00:00:00', isPrimary: true, subnetCidr: '10.0.3.0/24', primaryIp: '10.0.3.4',
  secondaryIps: ['10.0.3.7', '10.0.3.8', '10.0.3.9', '10.0.3.10'],
};
export const T0 = Date.UTC(2026, 11, 2, 21, 0, 0);
export const key = (i: number) => ({ networkName: 'vpcwire', containerId: `c${String(i).padStart(63, '0')}`, ifName: 'eth0' });
export const pod = (i: number) => ({ namespace: 'default', name: `pod-${i}`, uid: `uid-${i}` });

export interface Node {
  readonly dir: string;
  readonly historyDir: string;
  readonly clock: { t: number };
  ds: Datastore;
  journal: HistoryJournal;
  /** Errors logged (the history's failures are said so). */
  readonly errors: string[];
  /** A new datastore and journal on the same files (an ipamd restart), restoring `state` (default: the checkpoint). */
  restart(state?: CheckpointState): Promise<void>;
}

export async function node(t: TestContext, opts: { limits?: Partial<RotationLimits>; cooldownMs?: number; historyDir?: string; checkpoint?: { write(s: CheckpointState): Promise<void> } } = {}): Promise<Node> {
  const dir = await mkdtemp(join(tmpdir(), 'vpcwire-history-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const clock = { t: T0 };
  const errors: string[] = [];
  const quiet = silentLogger();
  const logger = Object.assign(Object.create(quiet) as typeof quiet, { error: (m: string) => void errors.push(m) });
  const historyDir = opts.historyDir ?? join(dir, 'history');
  const checkpoint = new Checkpoint({ path: join(dir, 'ipam.json'), logger });
  const n: Node = {
    dir, historyDir, clock, errors,
    ds: undefined as unknown as Datastore,
    journal: undefined as unknown as HistoryJournal,
    async restart(state) {
      await n.journal?.close();
      n.journal = await HistoryJournal.open({
        dir: historyDir, logger, now: () => clock.t, vethOf: (a) => vethOfAllocation('eni', a),
        maxFileBytes: 16 * 1024 * 1024, maxFiles: 16, maxAgeMs: 30 * 86_400_000, ...opts.limits,
      });
      n.ds = new Datastore({ checkpoint: opts.checkpoint ?? checkpoint, chooseAddress, logger, now: () => clock.t, cooldownMs: opts.cooldownMs ?? 0, journal: n.journal });
      await n.ds.addEni(ENI0);
      await n.ds.restore(state ?? (await checkpoint.load()).state, { vethExists: async () => true });
      await n.journal.reconcile(n.ds.allocations());
    },
  };
  await n.restart({ allocations: [], cooling: [] });
  t.after(() => n.journal.close());
  return n;
}
