// The plugin's ipamd client (cni/ipam/) as the CNI plugin uses it: from short-lived processes of
// their own. A process exits as soon as its call is done, whatever the outcome (the socket is
// destroyed and the deadline timer cleared); a non-root process is told EACCES by ipamd's 0600
// plugin socket; importing the client loads neither node:http2 nor grpc-js, protobufjs or anything
// of ipamd.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { apiServerFixture, FakeCore } from '../helpers/fake-ipam-handlers.ts';

const fx = apiServerFixture();
const CLIENT_URL = new URL('../../cni/ipam/client.ts', import.meta.url).href;

describe('one-shot processes', () => {
  const run = promisify(execFile);
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const node = (code: string, ...args: string[]) =>
    run(process.execPath, ['--input-type=module', '-e', code, ...args], { env, timeout: 10_000 });

  test('UNAVAILABLE with EACCES for a caller the 0600 socket refuses (a non-root process)', { skip: process.getuid?.() !== 0 && 'needs root to drop to nobody' }, async () => {
    const server = await fx.serve(new FakeCore(1));
    try {
      const code = `import { callIpamd } from ${JSON.stringify(CLIENT_URL)};
        callIpamd(process.argv[1], 'GetPoolStatus', { client_version: '1.1.0' }).then(console.log, (e) => console.log(e.code, e.details));`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', code, server.pluginSocketPath], {
        uid: 65534, gid: 65534, cwd: '/', env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 10_000,
      });
      assert.match(out, /^CNI_IPAM_UNAVAILABLE cannot connect to \/\S+: EACCES \(permission denied/);
    } finally {
      await server.close();
    }
  });

  test('a process exits as soon as its call is done, whatever the outcome, with a 60 s deadline', async () => {
    const server = await fx.serve(new FakeCore(2));
    server.setServing(true);
    const silent = createServer((sock) => sock.resume());
    await new Promise<void>((r) => silent.listen(join(fx.dir, 'silent-oneshot.sock'), r));
    const code = `
      import { callIpamd } from ${JSON.stringify(CLIENT_URL)};
      const [socket, deadlineMs] = process.argv.slice(1);
      const p = { client_version: '1.1.0', network_name: 'vpcwire', container_id: 'oneshot', if_name: 'eth0', netns: '/var/run/netns/x' };
      callIpamd(socket, 'AddNetwork', p, { deadlineMs: Number(deadlineMs) }).then((r) => console.log(r.ipv4_address), (e) => console.log(e.code));`;
    try {
      const cases: [string, string, RegExp][] = [
        [server.pluginSocketPath, '60000', /^10\.0\.16\.0$/],
        [join(fx.dir, 'nothing-here.sock'), '60000', /^CNI_IPAM_UNAVAILABLE$/],
        [join(fx.dir, 'silent-oneshot.sock'), '300', /^CNI_IPAM_DEADLINE_EXCEEDED$/],
      ];
      for (const [socket, deadline, want] of cases) {
        const t0 = performance.now();
        const { stdout } = await node(code, socket, deadline);
        assert.match(stdout.trim(), want);
        assert.ok(performance.now() - t0 < 5000, `${socket}: the process lingered`);
      }
    } finally {
      silent.close();
      await server.close();
    }
  });

  test('importing the client loads no node:http2, grpc-js, protobuf code, nor anything of ipamd', async () => {
    const code = `
      import { registerHooks } from 'node:module';
      const urls = [];
      registerHooks({ resolve: (spec, ctx, next) => { const r = next(spec, ctx); urls.push(r.url); return r; } });
      await import(${JSON.stringify(CLIENT_URL)});
      console.log(JSON.stringify({ urls, builtins: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')) }));`;
    const { urls, builtins } = JSON.parse((await node(code)).stdout) as { urls: string[]; builtins: string[] };
    assert.ok(urls.some((u) => u.endsWith('/contract/plugin-protocol.ts')), 'the hook saw the client graph');
    assert.ok(urls.includes('node:net'));
    for (const u of urls) assert.doesNotMatch(u, /node:http2|@grpc|protobuf|\/ipamd\/|\/generated\//, u);
    for (const b of builtins) assert.doesNotMatch(b, /http2/, b);
  });
});
