/**
 * A real Kubernetes control plane for tests (issue 11): etcd and kube-apiserver, built from the Go
 * module proxy by test/control-plane/build.sh, on loopback ports, with generated certificates,
 * RBAC authorization and service-account token signing. The test talks to it as an admin
 * (system:masters); ipamd never does (see service-account.ts).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { makePki, type Pki } from './pki.ts';

const BUILD = new URL('../../control-plane/build.sh', import.meta.url).pathname;

/** The directory holding kube-apiserver, kubectl and etcd; builds them on first use (cached). */
export function controlPlaneBin(): string {
  return execFileSync('bash', [BUILD], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/**
 * `n` distinct loopback ports free now: all held open until each is chosen, so one call never
 * returns the same port twice (closing each before the next listen could). Another process may
 * still take one before etcd or kube-apiserver binds it: startControlPlane retries on that.
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  try {
    for (const srv of servers) {
      srv.listen(0, '127.0.0.1');
      await once(srv, 'listening');
    }
    return servers.map((srv) => (srv.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
  }
}

export interface ControlPlane {
  readonly server: string;
  readonly pki: Pki;
  readonly bin: string;
  /** A KubeConfig for the test's admin identity. */
  admin(): KubeConfig;
  /** How long etcd plus kube-apiserver took from spawn to /readyz, in ms. */
  readonly startMs: number;
  /** Kills kube-apiserver (SIGKILL), leaving etcd, so clients see it vanish. */
  killApiServer(): Promise<void>;
  /** Starts kube-apiserver again on the same port and waits for /readyz. */
  startApiServer(): Promise<void>;
  stop(): Promise<void>;
}

function adminConfig(server: string, pki: Pki): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server, caData: readFileSync(pki.caCert).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'admin', certData: readFileSync(pki.adminCert).toString('base64'), keyData: readFileSync(pki.adminKey).toString('base64') }],
    contexts: [{ name: 'test', cluster: 'test', user: 'admin' }],
    currentContext: 'test',
  });
  return kc;
}

function spawnLogged(cmd: string, args: string[], log: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => {
    log.push(d.toString());
    if (log.length > 400) log.splice(0, log.length - 400);
  });
  return child;
}

async function waitReady(server: string, pki: Pki, child: ChildProcess, what: string, log: string[]): Promise<void> {
  const deadline = Date.now() + 90_000;
  const ca = readFileSync(pki.caCert);
  const cert = readFileSync(pki.adminCert);
  const key = readFileSync(pki.adminKey);
  const { request } = await import('node:https');
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}:\n${log.join('').slice(-3000)}`);
    const ok = await new Promise<boolean>((resolve) => {
      const req = request(`${server}/readyz`, { ca, cert, key, timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
      req.end();
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${what} not ready at ${server}/readyz within 90 s:\n${log.join('').slice(-3000)}`);
}

async function kill(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

/** Starts etcd and kube-apiserver; a start that lost a port race (address in use) is tried again. */
export async function startControlPlane(): Promise<ControlPlane> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (e) {
      if (attempt >= 3 || !/address already in use/.test((e as Error).message)) throw e;
    }
  }
}

async function startOnce(): Promise<ControlPlane> {
  const bin = controlPlaneBin();
  const dir = mkdtempSync(join(tmpdir(), 'vpcwire-kube-'));
  mkdirSync(join(dir, 'pki'));
  const pki = makePki(join(dir, 'pki'));
  const [etcdPort, peerPort, apiPort] = (await freePorts(3)) as [number, number, number];
  const began = Date.now();
  const etcdLog: string[] = [];
  const etcd = spawnLogged(join(bin, 'etcd'), [
    '--name', 'test', '--data-dir', join(dir, 'etcd'),
    '--listen-client-urls', `http://127.0.0.1:${etcdPort}`, '--advertise-client-urls', `http://127.0.0.1:${etcdPort}`,
    '--listen-peer-urls', `http://127.0.0.1:${peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
    '--initial-cluster', `test=http://127.0.0.1:${peerPort}`, '--unsafe-no-fsync', '--log-level', 'warn',
  ], etcdLog);
  const server = `https://127.0.0.1:${apiPort}`;
  const apiArgs = [
    '--etcd-servers', `http://127.0.0.1:${etcdPort}`,
    '--bind-address', '127.0.0.1', '--advertise-address', '127.0.0.1', '--secure-port', String(apiPort),
    '--tls-cert-file', pki.serverCert, '--tls-private-key-file', pki.serverKey, '--client-ca-file', pki.caCert,
    '--service-account-issuer', 'https://kubernetes.default.svc', '--service-account-key-file', pki.saPub,
    '--service-account-signing-key-file', pki.saKey, '--api-audiences', 'https://kubernetes.default.svc',
    '--authorization-mode', 'RBAC', '--service-cluster-ip-range', '10.96.0.0/16',
    // No kubernetes Service endpoints: the advertise address is loopback, which the reconciler refuses.
    '--endpoint-reconciler-type', 'none',
    '--enable-priority-and-fairness=false', '--profiling=false', '--v=1',
    // As EKS's API server: node daemons (the CNI's rp_filter step among them) may run privileged.
    '--allow-privileged=true',
  ];
  const apiLog: string[] = [];
  let api: ChildProcess | undefined;
  const startApi = async () => {
    api = spawnLogged(join(bin, 'kube-apiserver'), apiArgs, apiLog);
    await waitReady(server, pki, api, 'kube-apiserver', apiLog);
  };
  try {
    await startApi();
  } catch (e) {
    await kill(api, 'SIGKILL');
    await kill(etcd, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(e as Error).message}\netcd:\n${etcdLog.join('').slice(-2000)}`, { cause: e });
  }
  const startMs = Date.now() - began;
  return {
    server,
    pki,
    bin,
    startMs,
    admin: () => adminConfig(server, pki),
    killApiServer: () => kill(api, 'SIGKILL'),
    startApiServer: startApi,
    async stop() {
      await kill(api, 'SIGTERM');
      await kill(etcd, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
