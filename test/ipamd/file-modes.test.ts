/**
 * ipamd's private files (issue 9 item 5): its log (AWS_VPC_K8S_CNI_LOG_FILE) names pods and
 * addresses and is created 0600, an existing wider one narrowed; the release-notes directory,
 * whose notes make ipamd give addresses back, is narrowed to 0700 when others can write it, and a
 * note another user owns is never replayed. Real ipamd processes against the emulator.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Emulator, startEmulator } from '../../sim/emulator.ts';
import { startIpamdProcess } from '../helpers/ipamd-process.ts';

const mode = (path: string) => statSync(path).mode & 0o7777;
const logLines = (path: string) =>
  readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown> & { message: string });
const note = (dir: string, name: string, containerId: string) =>
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ network: 'vpcwire', containerId, ifName: 'eth0' }), { mode: 0o644 });

describe('ipamd file modes', () => {
  let sim: Emulator;
  let dir: string;
  before(async () => {
    sim = await startEmulator({ profile: 'fast', throttling: false });
    dir = mkdtempSync(join(tmpdir(), 'vpcwire-modes-'));
  });
  after(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the log file is created 0600, and an existing 0644 one is narrowed to 0600 and says so', async () => {
    const fresh = join(dir, 'logs', 'ipamd.log');
    const old = join(dir, 'old.log');
    writeFileSync(old, '', { mode: 0o644 });
    chmodSync(old, 0o644);
    const p = await startIpamdProcess(sim, sim.instance('node-1').id, { AWS_VPC_K8S_CNI_LOG_FILE: fresh });
    try {
      assert.equal(mode(fresh), 0o600, 'created 0600');
      // The logger writes asynchronously: the line may land just after ipamd answers SERVING.
      for (const deadline = Date.now() + 10_000; !logLines(fresh).some((l) => l.message === 'ipamd serving'); ) {
        if (Date.now() > deadline) assert.fail(`no 'ipamd serving' line in ${fresh}`);
        await sleep(20);
      }
      await p.kill('SIGTERM');
      await p.restart({ AWS_VPC_K8S_CNI_LOG_FILE: old });
      assert.equal(mode(old), 0o600, 'narrowed to 0600');
      const said = () => logLines(old).find((l) => /log file was readable by others/.test(l.message));
      for (const deadline = Date.now() + 10_000; !said() && Date.now() < deadline; ) await sleep(20);
      const narrowed = said();
      assert.deepEqual([narrowed?.from, narrowed?.to, narrowed?.path], ['644', '600', old]);
    } finally {
      await p.stop();
    }
  });

  test('a release-notes directory others can write is narrowed to 0700; a note owned by another user is not replayed', {
    skip: process.getuid?.() !== 0 ? 'needs root to give a note to another user' : undefined,
  }, async () => {
    const notes = join(dir, 'notes');
    mkdirSync(notes);
    chmodSync(notes, 0o777);
    note(notes, 'ours', 'c-ours');
    note(notes, 'planted', 'c-planted');
    chownSync(join(notes, 'planted.json'), 65534, 65534);
    const log = join(dir, 'notes.log');
    const p = await startIpamdProcess(sim, sim.instance('node-2').id, { VPCWIRE_RELEASE_NOTES_DIR: notes, AWS_VPC_K8S_CNI_LOG_FILE: log });
    try {
      assert.equal(mode(notes), 0o700);
      const lines = logLines(log);
      assert.ok(lines.some((l) => /narrowed the release-notes directory to 0700/.test(l.message) && l.dir === notes && l.from === '777'));
      assert.equal(existsSync(join(notes, 'ours.json')), false, "ipamd's own note was replayed and removed");
      assert.equal(existsSync(join(notes, 'planted.json')), true, 'the foreign note is left in place');
      assert.ok(lines.some((l) => /owned by another user/.test(l.message) && l.file === join(notes, 'planted.json') && l.owner === 65534));
      assert.ok(lines.some((l) => l.message === 'replayed release note' && l.containerId === 'c-ours'));
      assert.ok(!lines.some((l) => l.message === 'replayed release note' && l.containerId === 'c-planted'));
    } finally {
      await p.stop();
    }
  });
});
