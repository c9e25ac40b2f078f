/**
 * The sandbox ("pause") image for the containerd harness (DESIGN.md §7), built here without docker
 * or a registry: an OCI image layout tarball (oci-layout, index.json, blobs) whose one layer holds
 * Debian's static busybox, imported with `ctr images import`. Its entrypoint sleeps until SIGTERM
 * or SIGINT, like the real pause binary: PID 1 ignores signals it has no handler for, so the trap
 * is what lets it stop promptly.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { run } from '../../sim/dataplane/ip.ts';

export const PAUSE_IMAGE = 'vpcwire.local/pause:1';
const BUSYBOX = '/bin/busybox';

interface TarEntry {
  name: string;
  type: 'dir' | 'file' | 'symlink';
  mode: number;
  data?: Buffer;
  linkname?: string;
}

/** One POSIX ustar header block (512 bytes) with its checksum. */
function tarHeader(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, off: number, len: number) => h.write(s, off, len, 'utf8');
  const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, '0') + '\0';
  if (Buffer.byteLength(e.name) > 100) throw new Error(`tar entry name too long for ustar: ${e.name}`);
  put(e.name, 0, 100);
  put(octal(e.mode, 8), 100, 8);
  put(octal(0, 8), 108, 8); // uid
  put(octal(0, 8), 116, 8); // gid
  put(octal(size, 12), 124, 12);
  put(octal(0, 12), 136, 12); // mtime: fixed, so the image digest is reproducible
  h.fill(' ', 148, 156); // checksum field counts as spaces while summing
  put(e.type === 'dir' ? '5' : e.type === 'symlink' ? '2' : '0', 156, 1);
  if (e.linkname) put(e.linkname, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

export function tar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.type === 'file' ? (e.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
    parts.push(tarHeader(e, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024)); // two zero blocks end the archive
  return Buffer.concat(parts);
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const json = (o: unknown) => Buffer.from(JSON.stringify(o));

const OCI_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

/** Writes the image tarball to `path` and returns its manifest digest. */
export function buildPauseImageTar(path: string): string {
  const architecture = OCI_ARCH[arch()];
  if (!architecture) throw new Error(`no OCI architecture name for ${arch()}`);
  // Mount points runc and containerd's CRI expect (they would otherwise be created in the rootfs).
  const dirs = ['bin/', 'dev/', 'etc/', 'proc/', 'sys/', 'tmp/', 'run/'];
  const layer = tar([
    ...dirs.map((name) => ({ name, type: 'dir' as const, mode: name === 'tmp/' ? 0o1777 : 0o755 })),
    { name: 'bin/busybox', type: 'file', mode: 0o755, data: readFileSync(BUSYBOX) },
    { name: 'bin/sh', type: 'symlink', mode: 0o777, linkname: 'busybox' },
  ]);
  const layerDigest = sha256(layer);
  const config = json({
    architecture,
    os: 'linux',
    config: {
      Entrypoint: ['/bin/sh', '-c', "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"],
      Env: ['PATH=/bin'],
      WorkingDir: '/',
    },
    rootfs: { type: 'layers', diff_ids: [`sha256:${layerDigest}`] },
    history: [{ created_by: 'vpcwire test/helpers/pause-image.ts' }],
  });
  const manifest = json({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha256(config)}`, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${layerDigest}`, size: layer.length }],
  });
  const manifestDigest = `sha256:${sha256(manifest)}`;
  const index = json({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: manifestDigest,
        size: manifest.length,
        platform: { architecture, os: 'linux' },
        // containerd's importer names the image from this annotation.
        annotations: { 'io.containerd.image.name': PAUSE_IMAGE, 'org.opencontainers.image.ref.name': '1' },
      },
    ],
  });
  const blob = (b: Buffer): TarEntry => ({ name: `blobs/sha256/${sha256(b)}`, type: 'file', mode: 0o644, data: b });
  writeFileSync(
    path,
    tar([
      { name: 'oci-layout', type: 'file', mode: 0o644, data: json({ imageLayoutVersion: '1.0.0' }) },
      { name: 'index.json', type: 'file', mode: 0o644, data: index },
      { name: 'blobs/', type: 'dir', mode: 0o755 },
      { name: 'blobs/sha256/', type: 'dir', mode: 0o755 },
      blob(layer),
      blob(config),
      blob(manifest),
    ]),
  );
  return manifestDigest;
}

/** Imports the image into containerd's k8s.io namespace (the CRI plugin's), unpacked for `snapshotter`. */
export async function importPauseImage(address: string, tarPath: string, snapshotter: string): Promise<void> {
  const r = await run('ctr', ['-a', address, '-n', 'k8s.io', 'images', 'import', '--snapshotter', snapshotter, tarPath]);
  if (r.code !== 0) throw new Error(`ctr images import ${tarPath} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
}
