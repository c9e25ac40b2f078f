/**
 * ipamd waiting for IMDS (issue 9 item 5): real ipamd processes pointed at a closed loopback port
 * and at a server that accepts but never answers say what they wait for on every attempt, stop
 * within VPCWIRE_IMDS_WAIT_MS with one line and no stack trace, and exit non-zero.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { waitForIdentity } from '../../ipamd/imds-wait.ts';
import type { ImdsPort, InstanceIdentity } from '../../ipamd/ports.ts';
import { capture } from '../helpers/fake-ipam-handlers.ts';

const MAIN = new URL('../../ipamd/main.ts', import.meta.url).pathname;

async function listening(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

/** A loopback port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  const port = await listening(s);
  await new Promise((r) => s.close(r));
  return port;
}

async function runIpamd(endpoint: string, waitMs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'vpcwire-imds-wait-'));
  const started = Date.now();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-west-2',
      AWS_EC2_METADATA_DISABLED: 'true',
      VPCWIRE_IMDS_ENDPOINT: endpoint,
      VPCWIRE_IMDS_WAIT_MS: String(waitMs),
      VPCWIRE_SOCKET: join(dir, 'run', 'ipamd.sock'),
      VPCWIRE_CHECKPOINT: join(dir, 'ipam.json'),
      VPCWIRE_RELEASE_NOTES_DIR: join(dir, 'notes'),
      VPCWIRE_HOST_NETWORK: 'false',
      AWS_VPC_K8S_CNI_LOGLEVEL: 'INFO',
      AWS_VPC_K8S_CNI_LOG_FILE: 'stdout',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  rmSync(dir, { recursive: true, force: true });
  const logs = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown> & { level: string; message: string });
  return { code, stdout, stderr, logs, ms: Date.now() - started };
}

function assertReported(r: Awaited<ReturnType<typeof runIpamd>>, endpoint: string, waitMs: number, error: RegExp): void {
  const waiting = r.logs.filter((l) => l.level === 'warn' && l.message.startsWith(`waiting for IMDS at ${endpoint}: attempt `));
  assert.ok(waiting.length >= 2, `a progress line per attempt:\n${r.stdout}`);
  assert.deepEqual(waiting.map((l) => l.attempt), waiting.map((_, i) => i + 1), 'attempts are counted');
  for (const l of waiting) {
    assert.match(l.message, error);
    assert.match(l.message, /next attempt in [\d.]+ s, giving up in [\d.]+ s$/);
    assert.equal(l.endpoint, endpoint);
  }
  // stderr: the error level of the JSON log, then one plain line for the person at the terminal.
  const lines = r.stderr.split('\n').filter(Boolean);
  const last = lines.pop()!;
  for (const l of lines) assert.equal((JSON.parse(l) as { level: string }).level, 'error', `only log lines before the last:\n${r.stderr}`);
  assert.match(last, new RegExp(`^ipamd: IMDS at ${endpoint.replaceAll('.', '\\.')} did not answer within ${waitMs / 1000} s \\(\\d+ attempts; last error: `));
  assert.match(last, /VPCWIRE_IMDS_ENDPOINT/);
  assert.doesNotMatch(r.stdout + r.stderr, /^\s+at /m, 'no stack frames');
  assert.equal(r.code, 1);
}

describe('ipamd waiting for IMDS', () => {
  test('a closed port: a line per attempt, then one error line, exit 1, within the wait', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const r = await runIpamd(endpoint, 2000);
    assertReported(r, endpoint, 2000, /ECONNREFUSED/);
    assert.ok(r.ms < 2000 + 4000, `gave up after ${r.ms} ms`);
  });

  test('a server that never answers: the last attempt is cut at the deadline', async () => {
    const held: Socket[] = [];
    const silent = createServer((s) => held.push(s));
    const endpoint = `http://127.0.0.1:${await listening(silent)}`;
    try {
      // Each attempt times out after 2 s; the one still running at 5 s is cut about a second later.
      const r = await runIpamd(endpoint, 5000);
      assertReported(r, endpoint, 5000, /timeout|no answer/i);
      assert.ok(r.ms < 5000 + 4000, `gave up after ${r.ms} ms`);
    } finally {
      for (const s of held) s.destroy();
      silent.close();
    }
  });

  test('an IMDS that answers after a few failures is used, and the wait says so', async () => {
    const identity: InstanceIdentity = { instanceId: 'i-1', instanceType: 't3.small', availabilityZone: 'us-west-2a', region: 'us-west-2', primaryMac: '02:00:00:00:00:01', primaryIp: '10.0.0.10' };
    let calls = 0;
    const singleTries: boolean[] = [];
    const imds: ImdsPort = {
      identity: async (o) => {
        singleTries.push(o?.singleTry === true);
        if (++calls < 3) throw new Error(`refused ${calls}`);
        return identity;
      },
      enis: async () => [],
    };
    const log = capture();
    const slept: number[] = [];
    const got = await waitForIdentity(imds, {
      endpoint: 'http://imds',
      waitMs: 60_000,
      logger: log.logger,
      sleep: async (ms) => void slept.push(ms),
    });
    assert.deepEqual(got, identity);
    assert.deepEqual(singleTries, [true, true, true], 'one try per attempt: the wait does the retrying');
    assert.deepEqual(slept, [250, 500]);
    assert.deepEqual(log.entries.map((e) => [e.level, e.meta.attempt]), [['warn', 1], ['warn', 2], ['info', 3]]);
    assert.match(log.entries[0]!.message, /attempt 1 failed \(refused 1\); next attempt in 0\.3 s, giving up in 60 s/);
  });
});
