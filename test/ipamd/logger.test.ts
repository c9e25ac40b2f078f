/**
 * ipamd's log (issue 13 item 6): the variables (defaults, values, refusals naming the variable),
 * the line's shape and level filtering, rotation through the logger (bounded files, each within
 * the size, every line whole and none lost, 0600), nothing lost when a process exits right after
 * logging, and a real ipamd whose log rotates while it allocates.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../../ipamd/config.ts';
import { isIpamdError } from '../../ipamd/errors.ts';
import { createLogger } from '../../ipamd/logger.ts';
import { rotatedFiles } from '../../durable/rotating-log.ts';
import { type Emulator, startEmulator } from '../../sim/emulator.ts';
import type { Topology } from '../../sim/topology.ts';
import { startIpamdProcess } from '../helpers/ipamd-process.ts';

const refused = (env: Record<string, string>, variable: string) =>
  assert.throws(
    () => parseConfig(env),
    (e: unknown) => isIpamdError(e, 'IPAMD_CONFIG_INVALID') && e.message.startsWith(`invalid ${variable}=${JSON.stringify(env[variable])}`),
    JSON.stringify(env),
  );

type Line = Record<string, unknown> & { level: string; message: string; timestamp: string };
const readLines = (files: string[]): Line[] =>
  files.flatMap((f) => {
    const text = readFileSync(f, 'utf8');
    assert.ok(text === '' || text.endsWith('\n'), `${f} ends mid-line`);
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  });

describe('ipamd log', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'vpcwire-ipamd-log-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("variables: upstream's defaults, values, and bad values named", () => {
    const d = parseConfig({});
    assert.deepEqual([d.logLevel, d.logFile], ['debug', 'stdout']);
    assert.deepEqual(d.logRotation, { maxSizeMb: 100, maxBytes: 100 * 1024 * 1024, maxFiles: 5 });
    const c = parseConfig({ AWS_VPC_K8S_CNI_LOGLEVEL: 'Info', AWS_VPC_K8S_CNI_LOG_FILE: '/var/log/vpcwire/ipamd.log', VPCWIRE_LOG_MAX_SIZE_MB: '0.5', VPCWIRE_LOG_MAX_FILES: '2' });
    assert.deepEqual([c.logLevel, c.logFile, c.logRotation.maxBytes, c.logRotation.maxFiles], ['info', '/var/log/vpcwire/ipamd.log', 512 * 1024, 2]);
    assert.equal(parseConfig({ AWS_VPC_K8S_CNI_LOG_FILE: 'stderr' }).logFile, 'stderr');
    refused({ AWS_VPC_K8S_CNI_LOGLEVEL: 'TRACE' }, 'AWS_VPC_K8S_CNI_LOGLEVEL');
    refused({ AWS_VPC_K8S_CNI_LOG_FILE: 'ipamd.log' }, 'AWS_VPC_K8S_CNI_LOG_FILE');
    refused({ AWS_VPC_K8S_CNI_LOG_FILE: '/var/log/vpcwire/' }, 'AWS_VPC_K8S_CNI_LOG_FILE');
    refused({ VPCWIRE_LOG_MAX_SIZE_MB: '0' }, 'VPCWIRE_LOG_MAX_SIZE_MB');
    refused({ VPCWIRE_LOG_MAX_SIZE_MB: '100MB' }, 'VPCWIRE_LOG_MAX_SIZE_MB');
    refused({ VPCWIRE_LOG_MAX_SIZE_MB: '20000' }, 'VPCWIRE_LOG_MAX_SIZE_MB');
    refused({ VPCWIRE_LOG_MAX_FILES: '0' }, 'VPCWIRE_LOG_MAX_FILES');
    refused({ VPCWIRE_LOG_MAX_FILES: 'all' }, 'VPCWIRE_LOG_MAX_FILES');
  });

  test('JSON lines of the right shape at the configured level, rotated within bounds, none lost', async () => {
    const path = join(dir, 'unit', 'ipamd.log');
    const cfg = parseConfig({ AWS_VPC_K8S_CNI_LOGLEVEL: 'INFO', AWS_VPC_K8S_CNI_LOG_FILE: path, VPCWIRE_LOG_MAX_SIZE_MB: '0.01', VPCWIRE_LOG_MAX_FILES: '4' });
    const logger = createLogger(cfg);
    for (let i = 0; i < 2000; i++) {
      logger.debug('dropped at INFO', { i });
      logger.info('allocated', { i, pod: `ns/pod-${i}`, pad: 'p'.repeat(i % 97) });
      if (i % 100 === 0) logger.error('an error', { i, error: new Error('boom').message });
    }
    await new Promise<void>((resolve) => {
      logger.on('finish', resolve);
      logger.end();
    });
    const rotated = rotatedFiles(path);
    assert.equal(rotated.length, 4, readdirSync(join(dir, 'unit')).join(' '));
    assert.equal(readdirSync(join(dir, 'unit')).length, 5, 'the log and four rotated files, nothing else');
    const lines = readLines([...rotated, path]);
    for (const f of [...rotated, path]) {
      assert.ok(statSync(f).size <= cfg.logRotation.maxBytes, `${f}: ${statSync(f).size} bytes`);
      assert.equal(statSync(f).mode & 0o7777, 0o600, f);
    }
    assert.ok(!lines.some((l) => l.level === 'debug'), 'debug lines at INFO');
    const first = lines.find((l) => l.message === 'allocated')!;
    assert.deepEqual(Object.keys(first).sort(), ['component', 'i', 'level', 'message', 'pad', 'pod', 'timestamp']);
    assert.equal(first.component, 'ipamd');
    for (const l of lines) assert.match(l.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'RFC 3339, UTC, milliseconds');
    // The kept lines are the newest, in order, without a gap.
    const seq = lines.filter((l) => l.message === 'allocated').map((l) => l.i as number);
    assert.deepEqual(seq, Array.from({ length: seq.length }, (_, k) => 1999 - seq.length + 1 + k));
    assert.ok(seq.length > 4 * 60, `${seq.length} lines kept`);
  });

  test('a process that exits right after logging loses nothing (the file is written synchronously)', () => {
    const path = join(dir, 'exit', 'ipamd.log');
    const code = `
      const { parseConfig } = await import(${JSON.stringify(new URL('../../ipamd/config.ts', import.meta.url).pathname)});
      const { createLogger } = await import(${JSON.stringify(new URL('../../ipamd/logger.ts', import.meta.url).pathname)});
      const logger = createLogger(parseConfig(process.env));
      for (let i = 0; i < 3000; i++) logger.info('line', { i });
      process.exit(3);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      env: { PATH: process.env.PATH ?? '', AWS_VPC_K8S_CNI_LOG_FILE: path, VPCWIRE_LOG_MAX_SIZE_MB: '0.05', VPCWIRE_LOG_MAX_FILES: '100' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 3, r.stderr);
    const seq = readLines([...rotatedFiles(path), path]).map((l) => l.i as number);
    assert.deepEqual(seq, Array.from({ length: 3000 }, (_, k) => k));
  });
});

describe('an unusable AWS_VPC_K8S_CNI_LOG_FILE', () => {
  test('ipamd exits 2 with one line naming the variable and why: a directory, a path under a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vpcwire-ipamd-logfile-'));
    try {
      writeFileSync(join(dir, 'a-file'), '');
      for (const [path, why] of [[dir, /EISDIR/], [join(dir, 'a-file', 'ipamd.log'), /ENOTDIR|EEXIST/]] as const) {
        const r = spawnSync(process.execPath, [new URL('../../ipamd/main.ts', import.meta.url).pathname], {
          env: { PATH: process.env.PATH ?? '', AWS_VPC_K8S_CNI_LOG_FILE: path, VPCWIRE_INSTALL_CNI: 'false' },
          encoding: 'utf8',
          timeout: 20_000,
        });
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, new RegExp(`^ipamd: AWS_VPC_K8S_CNI_LOG_FILE=${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `), r.stderr);
        assert.match(r.stderr, why);
        assert.equal(r.stderr.trim().split('\n').length, 1, 'one line, no stack');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a real ipamd whose log rotates', () => {
  const topology: Topology = {
    vpc: { cidrs: ['10.81.0.0/16'], subnets: [{ name: 'nodes', cidr: '10.81.0.0/20', az: 'us-west-2a' }], securityGroups: [{ name: 'node-sg' }] },
    instances: [{ name: 'node', type: 'm5.large', subnet: 'nodes', securityGroups: ['node-sg'] }],
  };
  let sim: Emulator;
  before(async () => (sim = await startEmulator({ topology, profile: 'fast', throttling: false })));
  after(async () => sim?.stop());

  test('DEBUG with a 4 KiB limit and two rotated files: bounded, 0600, every line whole JSON', async () => {
    const p = await startIpamdProcess(sim, sim.instance('node').id, { AWS_VPC_K8S_CNI_LOGLEVEL: 'DEBUG', VPCWIRE_LOG_MAX_SIZE_MB: '0.004', VPCWIRE_LOG_MAX_FILES: '2' });
    try {
      for (let i = 0; i < 40; i++) {
        const key = { networkName: 'vpcwire', containerId: `log${i}`, ifName: 'eth0' };
        await p.client.addNetwork({ key, netns: `/var/run/netns/log${i}`, pod: { namespace: 'logs', name: `pod-${i}`, uid: `uid-${i}` } }).catch(() => undefined);
        await p.client.delNetwork({ key, reason: 'test' }).catch(() => undefined);
      }
      const path = join(p.dir, 'ipamd.log');
      const rotated = rotatedFiles(path);
      assert.equal(rotated.length, 2, readdirSync(p.dir).join(' '));
      assert.deepEqual(readdirSync(p.dir).filter((n) => n.startsWith('ipamd')).sort(), ['ipamd.log', ...rotated.map((f) => f.slice(p.dir.length + 1))].sort());
      const lines = readLines([...rotated, path]);
      assert.ok(lines.length > 10);
      for (const f of [...rotated, path]) {
        assert.equal(statSync(f).mode & 0o7777, 0o600, f);
        // One process: within the size, unless a single line is larger than it.
        const size = statSync(f).size;
        assert.ok(size <= Math.floor(0.004 * 1024 * 1024) || readLines([f]).length === 1, `${f}: ${size} bytes`);
      }
      assert.ok(lines.some((l) => l.level === 'debug'), 'DEBUG lines');
    } finally {
      await p.stop();
    }
  });
});
