// contract/generated/ is checked in (`npm run contract:gen`): this fails when it no longer matches
// what @grpc/proto-loader's generator makes of contract/*.proto, so a .proto edit without
// regenerating cannot land (issue 10 item 2).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { generateContractTypes } from '../../contract/generate.ts';

const ROOT = join(import.meta.dirname, '..', '..');

const files = (dir: string): Map<string, string> =>
  new Map(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => [relative(dir, join(e.parentPath, e.name)), readFileSync(join(e.parentPath, e.name), 'utf8')]),
  );

test('contract/generated/ is what the generator makes of contract/*.proto now (else: npm run contract:gen)', () => {
  const out = mkdtempSync(join(tmpdir(), 'vw-contract-gen-'));
  try {
    generateContractTypes(join(out, 'generated'), ROOT);
    const fresh = files(join(out, 'generated'));
    const checkedIn = files(join(ROOT, 'contract', 'generated'));
    assert.deepEqual([...checkedIn.keys()].sort(), [...fresh.keys()].sort(), 'the same files');
    for (const [name, text] of fresh) assert.equal(checkedIn.get(name), text, `${name} is stale: run npm run contract:gen`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
