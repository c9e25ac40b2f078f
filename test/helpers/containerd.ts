/**
 * A throwaway containerd for tests (DESIGN.md §7): Debian's containerd 1.6 + runc, started by hand
 * with its own config, root, state and sockets under `dir`, its CRI plugin pointed at the given CNI
 * bin/conf dirs, optionally inside a test-owned network namespace (the emulated node). Driven over
 * CRI by test/helpers/cri-client.ts, it runs CNI plugins exactly as under kubelet.
 *
 * Started with `nsenter --net=` rather than `ip netns exec`: the latter also enters a private mount
 * namespace, and the sandbox netns files containerd bind-mounts under /run/netns must stay visible
 * to the test and to the plugins it execs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../../sim/dataplane/ip.ts';
import { connectCri, type CriClient } from './cri-client.ts';
import { killMentioning, mountsUnder, removeCniCache, unmount } from './leftovers.ts';
import { buildPauseImageTar, importPauseImage, PAUSE_IMAGE } from './pause-image.ts';

export const CONTAINERD = '/usr/bin/containerd';
const TOOLS = [CONTAINERD, '/usr/bin/ctr', '/usr/bin/containerd-shim-runc-v2', '/usr/bin/nsenter'];
const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'];
/**
 * The snapshotter: "native" (plain directory copies) works on any filesystem; overlayfs would need
 * an upper dir on a filesystem that supports it, which a test's temp dir may not be.
 */
export const SNAPSHOTTER = 'native';

export interface ContainerdOptions {
  /** Name of a test-owned netns (under /run/netns) to run containerd in; the host netns otherwise. */
  netns?: string;
  /** Everything containerd writes goes under here; removed by stop(). */
  dir: string;
  cniBinDir: string;
  cniConfDir: string;
}

export interface Containerd {
  readonly address: string;
  readonly dir: string;
  readonly cri: CriClient;
  readonly child: ChildProcess;
  /** containerd's own log (stdout and stderr). */
  readonly logFile: string;
  /** How long start took: containerd to answer CRI Version, then the pause image import. */
  readonly timings: { readonly criReadyMs: number; readonly imageImportMs: number };
  log(): string;
  /** Tears down every sandbox over CRI, stops containerd, then removes what is left and `dir`. */
  stop(): Promise<void>;
}

/** Why containerd tests cannot run here, or undefined when they can. */
export function containerdSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'containerd tests need root';
  const missing = TOOLS.filter((t) => !existsSync(t));
  if (!RUNC.some((r) => existsSync(r))) missing.push('runc');
  return missing.length ? `missing: ${missing.join(', ')}` : undefined;
}

function configToml(o: ContainerdOptions, address: string): string {
  const q = (s: string) => JSON.stringify(s); // TOML basic strings accept JSON string escapes
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = ${q(join(o.dir, 'root'))}
state = ${q(join(o.dir, 'state'))}
# /opt/containerd is shared host state; snapshotters that cannot work here only add noise.
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = ${q(address)}

[ttrpc]
  address = ${q(`${address}.ttrpc`)}

[debug]
  level = "info"

[${cri}]
  sandbox_image = ${q(PAUSE_IMAGE)}
  # containerd would otherwise set a negative oom_score_adj, which an unprivileged parent refuses.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true

[${cri}.containerd]
  snapshotter = ${q(SNAPSHOTTER)}
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  # runc's state next to ours (default /run/containerd/runc), so stop() can find leftovers.
  Root = ${q(join(o.dir, 'runc'))}
  SystemdCgroup = false

[${cri}.cni]
  bin_dir = ${q(o.cniBinDir)}
  conf_dir = ${q(o.cniConfDir)}
  max_conf_num = 1
`;
}

export async function startContainerd(o: ContainerdOptions): Promise<Containerd> {
  const why = containerdSkipReason();
  if (why) throw new Error(`cannot start containerd: ${why}`);
  mkdirSync(o.dir, { recursive: true });
  const address = join(o.dir, 'containerd.sock');
  const configPath = join(o.dir, 'config.toml');
  writeFileSync(configPath, configToml(o, address));
  const logFile = join(o.dir, 'containerd.log');
  const logFd = openSync(logFile, 'a');
  const args = ['--config', configPath];
  const t0 = performance.now();
  const child = o.netns
    ? spawn('nsenter', [`--net=/run/netns/${o.netns}`, CONTAINERD, ...args], { stdio: ['ignore', logFd, logFd] })
    : spawn(CONTAINERD, args, { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const exited = once(child, 'exit');
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const raw = connectCri(address, 60_000);
  // Every sandbox (and its netns) this containerd made, so stop() can remove what is left of them
  // even after containerd died.
  const sandboxNetns = new Set<string>();
  const sandboxIds = new Set<string>();
  const cri: CriClient = {
    ...raw,
    async runPodSandbox(pod, opts) {
      const id = await raw.runPodSandbox(pod, opts);
      sandboxIds.add(id);
      const st = await raw.podSandboxStatus(id).catch(() => undefined);
      if (st?.netnsPath) sandboxNetns.add(st.netnsPath);
      return id;
    },
  };

  const stop = async () => {
    // 1. The way kubelet would: stop and remove every sandbox, so CNI DEL runs and containerd
    //    unmounts and deletes the sandbox netns itself.
    if (child.exitCode === null && child.signalCode === null) {
      const sandboxes = await cri.listPodSandbox().catch(() => []);
      for (const s of sandboxes) {
        sandboxIds.add(s.id);
        const st = await cri.podSandboxStatus(s.id).catch(() => undefined);
        if (st?.netnsPath) sandboxNetns.add(st.netnsPath);
        await cri.stopPodSandbox(s.id).catch(() => undefined);
        await cri.removePodSandbox(s.id).catch(() => undefined);
      }
    }
    cri.close();
    // 2. containerd itself.
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    // 3. Shims outlive containerd by design; runc containers outlive their shim. Ours only: the
    //    shims carry our socket address, runc's state is under our dir.
    killMentioning(address);
    const runcRoot = join(o.dir, 'runc', 'k8s.io');
    if (existsSync(runcRoot)) {
      const listed = await run('runc', ['--root', runcRoot, 'list', '-q']);
      for (const id of listed.stdout.split('\n').filter(Boolean)) {
        await run('runc', ['--root', runcRoot, 'delete', '--force', id]);
      }
    }
    // 4. Mounts: sandbox netns bind mounts it did not get to remove, rootfs and shm under dir.
    // mountinfo names real paths: containerd reports /var/run/netns/..., mounted at /run/netns/...
    const netnsReal = [...sandboxNetns].filter((p) => existsSync(p)).map((p) => realpathSync(p));
    for (const m of mountsUnder([o.dir, ...netnsReal])) await unmount(m);
    // 5. libcni's cached results of sandboxes that never got their DEL (containerd was killed).
    const failures = removeCniCache(sandboxIds);
    for (const path of [...sandboxNetns, o.dir]) {
      try {
        rmSync(path, { recursive: true, force: true });
      } catch (e) {
        failures.push(`${path}: ${(e as Error).message}`);
      }
    }
    if (failures.length) throw new Error(`containerd harness left behind: ${failures.join('; ')}`);
  };

  try {
    for (const deadline = Date.now() + 30_000; ; await sleep(20)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`containerd exited at start:\n${log()}`);
      if (existsSync(address) && (await cri.version().then(() => true, () => false))) break;
      if (Date.now() > deadline) throw new Error(`containerd's CRI did not answer within 30 s:\n${log()}`);
    }
    const criReadyMs = performance.now() - t0;
    const t1 = performance.now();
    const tarPath = join(o.dir, 'pause-image.tar');
    buildPauseImageTar(tarPath);
    await importPauseImage(address, tarPath, SNAPSHOTTER);
    const imageImportMs = performance.now() - t1;
    return {
      address,
      dir: o.dir,
      cri,
      child,
      logFile,
      timings: { criReadyMs, imageImportMs },
      log,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
