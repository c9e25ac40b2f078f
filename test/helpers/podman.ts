/**
 * A throwaway podman for tests (DESIGN.md §7, issue 9 item 3): Debian's podman 4.3 with its CNI
 * network backend, run inside a test-owned network namespace (the emulated node), so its plugins
 * (vpcwire, tuning, portmap) change networking only there. Everything podman writes lives under
 * `dir`: storage, run state, libpod's tmp dir and file locks, events, runc's state (through a
 * wrapper that passes `--root`), each container's root filesystem. Outside it podman touches only
 * what it cannot be told to put elsewhere, and stop() removes that too: the sandbox netns bind
 * mounts under /run/netns, libcni's result cache (leftovers.ts), and the containers' cgroups
 * (under a cgroup parent of our own; conmon gets none, `cgroups = "no-conmon"`).
 *
 * Containers run from a directory (`--rootfs`) holding Debian's static busybox: no registry, and
 * no image copy, which would write c/image's blob cache to /var/lib/containers/cache.
 *
 * Started with `nsenter --net=` rather than `ip netns exec` (as the containerd harness): the latter
 * enters a private mount namespace, where the netns files podman bind-mounts under /run/netns would
 * be invisible to the test. podman gets a runtime's sparse environment, not the test's: it hands
 * its own environment to every plugin it execs.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../sim/dataplane/ip.ts';
import { killMentioning, mountsUnder, removeCgroupTree, removeCniCache, unmount } from './leftovers.ts';

export const PODMAN = '/usr/bin/podman';
const TOOLS = [PODMAN, '/usr/bin/conmon', '/usr/bin/nsenter', '/usr/bin/timeout', '/bin/busybox'];
const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'];
/** A runtime's PATH (what plugins get), not the test's. */
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Every podman command is killed after this long (a hung podman must not hang the suite). */
const COMMAND_TIMEOUT_S = 120;

export interface PodmanOptions {
  /** Name of the test-owned netns (under /run/netns) podman runs in: the emulated node. */
  netns: string;
  /** Everything podman writes goes under here; removed by stop(). */
  dir: string;
  /** Where podman looks for CNI plugins (the installer's bin dir). */
  cniPluginDirs: readonly string[];
  /** The CNI config dir (the installer's conf dir). */
  cniConfDir: string;
}

export interface ContainerSpec {
  name: string;
  network: string;
  /** `-p` values, e.g. "18080:80". */
  publish?: readonly string[];
  /** More `podman run` options. */
  options?: readonly string[];
  /** The command, run from a busybox root filesystem (`/bin/busybox` and `/bin/sh`). */
  command: readonly string[];
}

export interface ContainerInfo {
  readonly id: string;
  readonly name: string;
  readonly running: boolean;
  /** The container's netns file, e.g. /run/netns/netns-<uuid>. */
  readonly sandboxKey: string;
  /** Address and MAC on each network, by network name. */
  readonly networks: Readonly<Record<string, { ip: string; mac: string }>>;
}

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Podman {
  readonly dir: string;
  /** `podman <args>` in the node's netns; rejects with podman's stderr on a non-zero exit. */
  podman(args: readonly string[]): Promise<string>;
  /** The same, resolving whatever the exit code. */
  tryPodman(args: readonly string[]): Promise<CommandResult>;
  /** `podman run -d` of a busybox container; resolves to its ID. */
  run(spec: ContainerSpec): Promise<string>;
  inspect(nameOrId: string): Promise<ContainerInfo>;
  /** Removes every container (so their networks are torn down), then whatever podman left. */
  stop(): Promise<void>;
}

/** Why podman tests cannot run here, or undefined when they can. */
export function podmanSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'podman tests need root';
  const missing = TOOLS.filter((t) => !existsSync(t));
  if (!RUNC.some((r) => existsSync(r))) missing.push('runc');
  return missing.length ? `missing: ${missing.join(', ')} (apt-get install -y podman busybox-static; .ci/run installs them)` : undefined;
}

function containersConf(o: PodmanOptions, d: { tmp: string; runc: string; events: string }): string {
  const q = (s: string) => JSON.stringify(s); // TOML basic strings accept JSON string escapes
  return `[containers]
cgroups = "no-conmon"
# runc here cannot raise limits above the test's own (podman would ask for 1048576 open files), and
# nproc must stay at 1024 (DESIGN.md §7).
default_ulimits = ["nproc=1024:1024", "nofile=1024:1024"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = ${q(d.events)}
lock_type = "file"
tmp_dir = ${q(d.tmp)}
runtime = "runc"

[engine.runtimes]
runc = [${q(d.runc)}]

[network]
network_backend = "cni"
cni_plugin_dirs = [${o.cniPluginDirs.map(q).join(', ')}]
network_config_dir = ${q(o.cniConfDir)}
`;
}

export function startPodman(o: PodmanOptions): Podman {
  const why = podmanSkipReason();
  if (why) throw new Error(`cannot start podman: ${why}`);
  const p = (...parts: string[]) => join(o.dir, ...parts);
  for (const d of ['root', 'runroot', 'tmp', 'os-tmp', 'runc', 'rootfs']) mkdirSync(p(d), { recursive: true });
  const runcState = p('runc', 'state');
  const runcWrapper = p('runc', 'runc'); // named runc: podman and conmon pick runc's behaviour by name
  writeFileSync(runcWrapper, `#!/bin/sh\nexec ${JSON.stringify(RUNC.find((r) => existsSync(r)))} --root ${JSON.stringify(runcState)} "$@"\n`, { mode: 0o755 });
  writeFileSync(p('containers.conf'), containersConf(o, { tmp: p('tmp'), runc: runcWrapper, events: p('events.log') }));
  writeFileSync(p('storage.conf'), `[storage]\ndriver = "vfs"\ngraphroot = ${JSON.stringify(p('root'))}\nrunroot = ${JSON.stringify(p('runroot'))}\n`);
  const cgroupParent = `/vpcwire-podman-${randomBytes(4).toString('hex')}`;
  const env = [`PATH=${PATH}`, `HOME=${o.dir}`, `TMPDIR=${p('os-tmp')}`, `CONTAINERS_CONF=${p('containers.conf')}`, `CONTAINERS_STORAGE_CONF=${p('storage.conf')}`];
  const global = ['--root', p('root'), '--runroot', p('runroot'), '--storage-driver', 'vfs'];
  const ids = new Set<string>();
  const sandboxKeys = new Set<string>();

  const tryPodman = (args: readonly string[]): Promise<CommandResult> =>
    run('env', ['-i', ...env, 'timeout', '-k', '5', String(COMMAND_TIMEOUT_S), 'nsenter', `--net=/run/netns/${o.netns}`, PODMAN, ...global, ...args]);
  const podman = async (args: readonly string[]) => {
    const r = await tryPodman(args);
    if (r.code !== 0) throw new Error(`podman ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  const inspect = async (nameOrId: string): Promise<ContainerInfo> => {
    const [c] = JSON.parse(await podman(['container', 'inspect', nameOrId])) as {
      Id: string;
      Name: string;
      State: { Running: boolean };
      NetworkSettings: { SandboxKey: string; Networks?: Record<string, { IPAddress: string; MacAddress: string }> };
    }[];
    if (!c) throw new Error(`podman inspect ${nameOrId}: no such container`);
    if (c.NetworkSettings.SandboxKey) sandboxKeys.add(c.NetworkSettings.SandboxKey);
    const networks = Object.fromEntries(Object.entries(c.NetworkSettings.Networks ?? {}).map(([n, v]) => [n, { ip: v.IPAddress, mac: v.MacAddress }]));
    return { id: c.Id, name: c.Name, running: c.State.Running, sandboxKey: c.NetworkSettings.SandboxKey, networks };
  };

  return {
    dir: o.dir,
    podman,
    tryPodman,
    inspect,
    async run(spec) {
      // A root filesystem per container: podman creates its mount points (/etc/hosts, ...) in it.
      const rootfs = p('rootfs', spec.name);
      mkdirSync(join(rootfs, 'bin'), { recursive: true });
      copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox')); // a link would fail across filesystems
      symlinkSync('busybox', join(rootfs, 'bin', 'sh'));
      const publish = (spec.publish ?? []).flatMap((m) => ['-p', m]);
      const args = ['run', '-d', '--name', spec.name, '--network', spec.network, '--cgroup-parent', cgroupParent, ...publish, ...(spec.options ?? [])];
      const id = (await podman([...args, '--rootfs', rootfs, ...spec.command])).trim();
      ids.add(id);
      await inspect(id).catch(() => undefined); // records its netns for stop()
      return id;
    },
    async stop() {
      const failures: string[] = [];
      // 1. As a user would, so every network is torn down through the plugins (needs the node netns).
      if (existsSync(`/run/netns/${o.netns}`)) {
        const listed = await tryPodman(['ps', '-aq', '--no-trunc']);
        for (const id of listed.stdout.split('\n').filter(Boolean)) ids.add(id);
        const r = await tryPodman(['rm', '-af', '-t', '0']);
        if (r.code !== 0) failures.push(`podman rm -af: ${r.stderr.trim()}`);
      }
      // 2. Whatever survived: conmon (it carries our exit dir), then runc's containers (its state is ours).
      killMentioning(p('tmp', 'exits'));
      const listed = await run(runcWrapper, ['list', '-q']).catch(() => ({ stdout: '' }));
      for (const id of listed.stdout.split('\n').filter(Boolean)) await run(runcWrapper, ['delete', '--force', id]);
      // 3. Mounts (the shm of each container under runroot, sandbox netns podman did not unmount),
      //    cgroups, libcni's cache of our attachments, then our files.
      const netns = [...sandboxKeys].filter((k) => existsSync(k));
      for (const m of mountsUnder([o.dir, ...netns.map((k) => realpathSync(k))])) await unmount(m);
      failures.push(...removeCgroupTree(cgroupParent), ...removeCniCache(ids));
      for (const path of [...netns, o.dir]) {
        try {
          rmSync(path, { recursive: true, force: true });
        } catch (e) {
          failures.push(`${path}: ${(e as Error).message}`);
        }
      }
      if (failures.length) throw new Error(`podman harness left behind: ${failures.join('; ')}`);
    },
  };
}
