/** `vpcwire --version` and `vpcwire version` (issue 9 item 5): the package version and the API version. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { API_VERSION } from '../../ipamd/api/version.ts';

const BIN = new URL('../../bin/vpcwire.ts', import.meta.url).pathname;
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

test('--version, -V and version print the package version and the ipamd API version, exit 0', () => {
  assert.match(version, /^\d+\.\d+\.\d+/);
  for (const arg of ['--version', '-V', 'version']) {
    const r = spawnSync(process.execPath, [BIN, arg], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${arg}: ${r.stderr}`);
    assert.equal(r.stdout, `vpcwire ${version} (ipamd API ${API_VERSION})\n`, arg);
    assert.equal(r.stderr, '');
  }
  const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
  assert.match(help.stdout, /\n {2}version +print vpcwire's version/);
});

test('the node CLI offers only the operator commands: sim and demo point to the developer CLI (issue 10 item 3)', () => {
  const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.doesNotMatch(help.stdout, /\n {2}(sim|demo) /);
  for (const command of ['sim', 'demo']) {
    const r = spawnSync(process.execPath, [BIN, command], { encoding: 'utf8' });
    assert.equal(r.status, 2, command);
    assert.match(r.stderr, new RegExp(`'${command}' is a developer command.*npm run ${command}.*bin/vpcwire-dev\\.ts`));
  }
});
