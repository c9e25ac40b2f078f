/**
 * The emulator serves this machine only (issue 9 item 5): it answers anyone holding the
 * credentials it prints, and its admin endpoint rewrites the VPC with no credentials at all. A
 * non-loopback host is refused with a message naming the option, by the CLI (`--host`), by
 * startEmulator (`host`) and by the HTTP layer under every endpoint.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { startEmulator } from '../../sim/emulator.ts';
import { isLoopback, listen } from '../../sim/http/server.ts';

const BIN = new URL('../../bin/vpcwire-dev.ts', import.meta.url).pathname;

async function sim(...args: string[]) {
  const child = spawn(process.execPath, [BIN, 'sim', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, stdout, stderr };
}

describe('the emulator binds loopback only', () => {
  test('the CLI refuses --host 0.0.0.0 (and other non-loopback hosts) naming the option, exit 2', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'localhost']) {
      const r = await sim('--host', host, '--once');
      assert.equal(r.code, 2, `${host}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stdout, '', 'nothing started');
      assert.equal(r.stderr, `vpcwire sim: --host must be a loopback address (127.0.0.0/8 or ::1), got '${host}': the emulator and its unauthenticated admin endpoint serve this machine only\n`);
    }
    const ok = await sim('--host', '127.0.0.1', '--once', '--json');
    assert.equal(ok.code, 0, ok.stderr);
    const endpoints = (JSON.parse(ok.stdout) as { endpoints: Record<string, string> }).endpoints;
    for (const url of Object.values(endpoints)) assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('startEmulator and listen refuse a non-loopback host; every endpoint of a loopback one is on it', async () => {
    await assert.rejects(startEmulator({ host: '0.0.0.0' }), /^Error: host must be a loopback address \(127\.0\.0\.0\/8 or ::1\), got '0\.0\.0\.0'/);
    const handler = async () => ({ status: 200, body: '' });
    await assert.rejects(listen(handler, { host: '10.0.0.1' }), /host must be a loopback address .*got '10\.0\.0\.1'/);
    const s = await startEmulator({ host: '127.0.0.2', throttling: false });
    try {
      const urls = [...Object.values(s.endpoints), s.imdsEndpoint(s.instance('node-1').id)];
      for (const url of urls) assert.match(url, /^http:\/\/127\.0\.0\.2:\d+$/);
    } finally {
      await s.stop();
    }
  });

  test('what counts as loopback', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) assert.ok(isLoopback(h), h);
    for (const h of ['0.0.0.0', '::', '128.0.0.1', '10.0.0.1', '::ffff:10.0.0.1', '1::1', 'localhost', '', '127.0.0.1.example.com']) {
      assert.ok(!isLoopback(h), h);
    }
  });
});
