/**
 * ipamd's introspection endpoint (issue 13) over TCP and over a unix socket, from a real ipamd
 * process: what each route shows, that no CNI triple (container ID, interface name) ever leaks, an
 * unknown route's 404; and the switches: DISABLE_METRICS / DISABLE_INTROSPECTION open no port (and
 * with metrics off prom-client is never loaded), bad bind addresses refused naming the variable.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseConfig } from '../../ipamd/config.ts';
import { listenHttp } from '../../ipamd/metrics/http-listen.ts';
import { silentLogger } from '../../ipamd/logger.ts';
import { startObservedIpamd } from '../helpers/observed-ipamd.ts';
import { ec2Counts } from '../helpers/pool.ts';

const getJson = async (address: string, path: string) => {
  const r = await fetch(`http://${address}${path}`);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};

function getUnix(socketPath: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end();
  });
}

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });

/** A module hook for NODE_OPTIONS=--import that records every prom-client URL ipamd resolves. */
function promClientHook(dir: string): { hook: string; loaded: string } {
  const hook = join(dir, 'hook.mjs');
  const loaded = join(dir, 'loaded.log');
  writeFileSync(
    hook,
    `import { registerHooks } from 'node:module'; import { appendFileSync } from 'node:fs';
registerHooks({ resolve(s, c, next) { const r = next(s, c); if (r.url.includes('prom-client')) appendFileSync(${JSON.stringify(loaded)}, r.url + '\\n'); return r; } });\n`,
  );
  writeFileSync(loaded, '');
  return { hook, loaded };
}

describe('introspection', () => {
  test('over TCP: every route answers JSON without a container ID or interface name; an unknown route is a 404 naming the routes', async (t) => {
    const o = await startObservedIpamd({ env: { IP_COOLDOWN_PERIOD: '3600' } });
    t.after(() => o.stop());
    const ips: string[] = [];
    for (let i = 0; i < 3; i++) ips.push(await o.add(i));
    await o.del(1);
    // Until the pool is where the targets want it (the DEL may have the planner add an ENI).
    for (let i = 0; i < 100; i++) {
      const enis = ((await getJson(o.introspection, '/v1/enis')).body.enis as unknown[]).length;
      const decision = ((await getJson(o.introspection, '/v1/targets')).body.lastDecision as { kind: string }).kind;
      if (decision === 'none' && enis === ec2Counts(o.sim, o.instanceId).enis) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const missing = await getJson(o.introspection, '/v1/nope');
    assert.equal(missing.status, 404);
    const routes = missing.body.routes as string[];
    for (const r of ['/v1/enis', '/v1/pool', '/v1/targets', '/v1/eni-configs', '/v1/env-settings', '/v1/ipam-env-settings', '/v1/settings', '/v1/history']) {
      assert.ok(routes.includes(r), `${r} is listed: ${routes.join(' ')}`);
    }
    let all = '';
    for (const r of routes) {
      const res = await fetch(`http://${o.introspection}${r}${r === '/v1/history' ? `?ip=${ips[1]}` : ''}`);
      assert.equal(res.status, 200, r);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const text = await res.text();
      JSON.parse(text);
      all += text;
    }
    for (const key of o.keys.values()) {
      assert.ok(!all.includes(key.containerId), 'a container ID leaked');
      assert.ok(!all.includes(key.ifName), 'an interface name leaked');
    }
    assert.ok(!all.includes(o.sim.credentials.secretAccessKey), 'the AWS secret key leaked');

    const enis = (await getJson(o.introspection, '/v1/enis')).body.enis as { addresses: { state: string; pod?: { name: string } }[] }[];
    const addrs = enis.flatMap((e) => e.addresses);
    assert.deepEqual(addrs.filter((a) => a.state === 'assigned').map((a) => a.pod?.name).sort(), ['pod-0', 'pod-2']);
    const pool = (await getJson(o.introspection, '/v1/pool')).body as { totals: Record<string, number>; enis: { coolingEnds: unknown[] }[] };
    assert.deepEqual({ assigned: pool.totals.assigned, cooling: pool.totals.cooling }, { assigned: 2, cooling: 1 });
    assert.equal(pool.enis.flatMap((e) => e.coolingEnds).length, 1, 'the released address and when it cools down');
    const targets = (await getJson(o.introspection, '/v1/targets')).body as { targets: Record<string, number>; lastDecision: { kind: string; reason: string } };
    assert.equal(targets.targets.warm_eni, 1);
    assert.ok(targets.lastDecision.reason.length > 0, 'the planner says why');
    const ipam = (await getJson(o.introspection, '/v1/ipam-env-settings')).body;
    assert.equal(ipam.IP_COOLDOWN_PERIOD, 3600);
    const env = (await getJson(o.introspection, '/v1/env-settings')).body;
    assert.equal(env.IP_COOLDOWN_PERIOD, '3600');
    assert.equal(env.AWS_SECRET_ACCESS_KEY, undefined);
    const placement = (await getJson(o.introspection, '/v1/eni-configs')).body as { inForce: { source: string; subnetId: string }; enis: { id: string; current: boolean | null }[] };
    assert.equal(placement.inForce.source, 'subnet-discovery', 'ENABLE_SUBNET_DISCOVERY is on by default');
    assert.equal(placement.inForce.subnetId, o.sim.subnet('nodes').id);
    assert.deepEqual(placement.enis.map((e) => e.id).sort(), o.sim.state.enisOf(o.instanceId).filter((e) => e.attachment?.status === 'attached').map((e) => e.id).sort());
    assert.ok(placement.enis.every((e) => e.current !== false), 'no ENI is retired');
    // The address history, as ipamd wrote it: pod-1 held the released address, from its ADD to its DEL.
    const held = (await getJson(o.introspection, `/v1/history?ip=${ips[1]}`)).body as { holdings: { pod: { name: string }; startHow: string; end?: string; endHow?: string }[] };
    assert.deepEqual(held.holdings.map((h) => [h.pod.name, h.startHow, h.endHow, typeof h.end]), [['pod-1', 'add', 'del', 'string']]);
    const badIp = await getJson(o.introspection, '/v1/history?ip=10.0.0.300');
    assert.equal(badIp.status, 400);
    assert.match(String(badIp.body.error), /10\.0\.0\.300/);
    const post = await fetch(`http://${o.introspection}/v1/enis`, { method: 'POST' });
    assert.equal(post.status, 405);
  });

  test('over a unix socket (0600), with metrics off: no metrics port, prom-client never loaded', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'vw-introspect-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const socket = join(dir, 'run', 'introspect.sock');
    const { hook, loaded } = promClientHook(dir);
    const o = await startObservedIpamd({ env: { DISABLE_METRICS: 'true', INTROSPECTION_BIND_ADDRESS: `unix:${socket}`, NODE_OPTIONS: `--import=${hook}` } });
    t.after(() => o.stop());
    await o.add(0);
    assert.equal(statSync(socket).mode & 0o777, 0o600);
    const pool = await getUnix(socket, '/v1/pool');
    assert.equal(pool.status, 200);
    assert.equal((pool.body.totals as Record<string, number>).assigned, 1);
    assert.equal(await refused(Number(o.metrics.split(':')[1])), true, 'DISABLE_METRICS=true opens no port');
    assert.equal(readFileSync(loaded, 'utf8'), '', 'prom-client was loaded with metrics off');
  });

  test('the hook sees prom-client when metrics are on; DISABLE_INTROSPECTION=true opens no port', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'vw-introspect-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const { hook, loaded } = promClientHook(dir);
    const o = await startObservedIpamd({ env: { DISABLE_INTROSPECTION: 'true', NODE_OPTIONS: `--import=${hook}` } });
    t.after(() => o.stop());
    assert.match(readFileSync(loaded, 'utf8'), /prom-client/, 'the check above can fail');
    assert.equal(await refused(Number(o.introspection.split(':')[1])), true, 'DISABLE_INTROSPECTION=true opens no port');
    assert.equal((await fetch(`http://${o.metrics}/metrics`)).status, 200);
  });
});

describe('bind addresses', () => {
  test('a bad value is refused naming the variable and the value', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ VPCWIRE_METRICS_BIND_ADDRESS: 'nonsense' }, /invalid VPCWIRE_METRICS_BIND_ADDRESS="nonsense": expected host:port/],
      [{ VPCWIRE_METRICS_BIND_ADDRESS: ':99999' }, /VPCWIRE_METRICS_BIND_ADDRESS=":99999": the port must be 0-65535/],
      [{ VPCWIRE_METRICS_BIND_ADDRESS: 'unix:/run/m.sock' }, /VPCWIRE_METRICS_BIND_ADDRESS.*no unix socket/],
      [{ INTROSPECTION_BIND_ADDRESS: 'unix:relative.sock' }, /INTROSPECTION_BIND_ADDRESS="unix:relative.sock": expected unix:\/absolute\/path/],
      [{ INTROSPECTION_BIND_ADDRESS: '127.0.0.1' }, /INTROSPECTION_BIND_ADDRESS="127.0.0.1"/],
      [{ DISABLE_METRICS: 'yes' }, /DISABLE_METRICS="yes": expected 'true' or 'false'/],
      // Refused even while disabled, so turning it on later cannot fail then.
      [{ DISABLE_INTROSPECTION: 'true', INTROSPECTION_BIND_ADDRESS: 'x:y' }, /INTROSPECTION_BIND_ADDRESS="x:y"/],
    ];
    for (const [env, re] of cases) assert.throws(() => parseConfig(env), re, JSON.stringify(env));
    const c = parseConfig({});
    assert.deepEqual(c.metricsListen, { kind: 'tcp', host: undefined, port: 61678 }, "upstream's :61678 on every interface");
    assert.deepEqual(c.introspectionListen, { kind: 'tcp', host: '127.0.0.1', port: 61679 });
    assert.deepEqual(parseConfig({ VPCWIRE_METRICS_BIND_ADDRESS: '[::1]:9100' }).metricsListen, { kind: 'tcp', host: '::1', port: 9100 });
    assert.equal(parseConfig({ DISABLE_METRICS: 'true', DISABLE_INTROSPECTION: 'true' }).metricsListen, undefined);
  });

  test('a port that cannot be had fails naming the variable', async (t) => {
    const first = await listenHttp({ kind: 'tcp', host: '127.0.0.1', port: 0 }, () => undefined, { variable: 'VPCWIRE_METRICS_BIND_ADDRESS', logger: silentLogger(), what: 'metrics endpoint' });
    t.after(() => first.close());
    const port = Number(first.address.split(':')[1]);
    await assert.rejects(
      listenHttp({ kind: 'tcp', host: '127.0.0.1', port }, () => undefined, { variable: 'VPCWIRE_METRICS_BIND_ADDRESS', logger: silentLogger(), what: 'metrics endpoint' }),
      new RegExp(`VPCWIRE_METRICS_BIND_ADDRESS: cannot listen on 127.0.0.1:${port} for metrics endpoint: .*EADDRINUSE`),
    );
  });
});
