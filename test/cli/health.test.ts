/**
 * `vpcwire health` (issue 12 item 2): the DaemonSet's probes. grpc.health.v1 Check on the socket;
 * exit 0 only on SERVING, 1 on NOT_SERVING or no answer (one line saying why), 2 on bad options.
 * The server here is ipamd's own health service (ipamd/api/health.ts) on a unix socket.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { createHealth } from '../../ipamd/api/health.ts';
import { healthService } from '../../ipamd/api/proto.ts';
import { startEmulator } from '../../sim/emulator.ts';
import { startIpamdProcess } from '../helpers/ipamd-process.ts';

const BIN = new URL('../../bin/vpcwire.ts', import.meta.url).pathname;

/** Async: the server answering is in this process, so spawnSync would block it. */
function health(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'health', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('exit 0 only while the server answers SERVING; 1 with the status or the socket problem otherwise', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vpcwire-health-'));
  const socket = join(dir, 'ipamd.sock');
  const state = createHealth();
  const server = new Server();
  server.addService(healthService(), state.implementation);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${socket}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  try {
    const starting = await health('--socket', socket);
    assert.equal(starting.code, 1, starting.stderr);
    assert.equal(starting.stderr, `vpcwire health: ipamd at ${socket} answers NOT_SERVING\n`);

    state.set(true);
    const serving = await health('--socket', socket);
    assert.equal(serving.code, 0, serving.stderr);
    assert.equal(serving.stdout, `ipamd at ${socket}: SERVING\n`);

    const viaEnv = await new Promise<number | null>((resolve) =>
      spawn(process.execPath, [BIN, 'health'], { env: { ...process.env, VPCWIRE_SOCKET: socket }, stdio: 'ignore' }).on('close', resolve),
    );
    assert.equal(viaEnv, 0, 'VPCWIRE_SOCKET names the socket when --socket is not given');
  } finally {
    state.endWatches();
    server.forceShutdown();
  }
  const gone = await health('--socket', join(dir, 'none.sock'));
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /^vpcwire health: ipamd is not running: there is no socket at .*none\.sock/);
  rmSync(dir, { recursive: true, force: true });
});

test('a real ipamd, serving: exit 0; once it is stopped: exit 1', async () => {
  const sim = await startEmulator({ profile: 'fast', throttling: false });
  const p = await startIpamdProcess(sim, sim.instance('node-1').id);
  try {
    const serving = await health('--socket', p.socket);
    assert.equal(serving.code, 0, serving.stderr);
    await p.stop();
    const stopped = await health('--socket', p.socket);
    assert.equal(stopped.code, 1);
    assert.match(stopped.stderr, /^vpcwire health: ipamd is not running/);
  } finally {
    await p.stop();
    await sim.stop();
  }
});

test('a socket that accepts but never answers: exit 1 after --timeout-ms, saying so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vpcwire-health-'));
  const socket = join(dir, 'mute.sock');
  const mute = createServer(() => {});
  await new Promise<void>((resolve) => mute.listen(socket, resolve));
  try {
    const began = Date.now();
    const r = await health('--socket', socket, '--timeout-ms', '300');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `vpcwire health: no health answer from ${socket}: no answer within 300 ms\n`);
    assert.ok(Date.now() - began < 5000);
  } finally {
    mute.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad options exit 2 naming the option', async () => {
  const relative = await health('--socket', 'ipamd.sock');
  assert.equal(relative.code, 2);
  assert.match(relative.stderr, /--socket must be an absolute path/);
  const timeout = await health('--timeout-ms', 'soon');
  assert.equal(timeout.code, 2);
  assert.match(timeout.stderr, /--timeout-ms must be a positive integer/);
  const unknown = await health('--sock', '/x');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown option '--sock'/);
});
