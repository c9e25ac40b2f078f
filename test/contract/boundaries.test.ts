// The import boundaries (DESIGN.md §1, §8; issue 10 items 2 and 6) are lint rules, so a forbidden
// import fails `npm run lint`: shown here on snippets linted as if they were files of each part.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: ROOT });

/** The no-restricted-imports messages for `code` as the file `path` (relative to the root). */
async function restricted(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries', () => {
  test('cni/ imports neither ipamd nor a gRPC runtime', async () => {
    assert.match((await restricted('cni/x.ts', "export { API_VERSION } from '../ipamd/api/version.ts';\n"))[0] ?? '', /shares only contract/);
    assert.match((await restricted('cni/x.ts', "export { Server } from '@grpc/grpc-js';\n"))[0] ?? '', /lean one-shot/);
    assert.deepEqual(await restricted('cni/x.ts', "export { API_VERSION } from '../contract/api.ts';\n"), []);
  });

  test('ipamd/ imports nothing of the plugin', async () => {
    assert.match((await restricted('ipamd/api/x.ts', "export { ipamPort } from '../../cni/ipam-port.ts';\n"))[0] ?? '', /shares only contract/);
    assert.deepEqual(await restricted('ipamd/api/x.ts', "export { API_VERSION } from '../../contract/api.ts';\n"), []);
  });

  test('contract/ imports nothing outside itself', async () => {
    for (const spec of ['../ipamd/api/version.ts', '../cni/config.ts', 'node:fs', '@grpc/grpc-js']) {
      assert.match((await restricted('contract/x.ts', `export * from '${spec}';\n`))[0] ?? '', /imports nothing but contract/, spec);
    }
    assert.deepEqual(await restricted('contract/x.ts', "export type { AddNetworkReply } from './messages.ts';\n"), []);
  });
});
