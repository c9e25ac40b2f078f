#!/usr/bin/env bash
# Builds vpcwire's image with podman (issue 12 item 5) from the Dockerfile, on the base
# image/base.sh makes locally (no registry needed) unless BASE names another (node:24-bookworm-slim
# where a registry is reachable). Cached: the image is tagged with a hash of its inputs (the
# Dockerfile, .dockerignore, this script, the base image's ID and every file of the build context,
# which .dockerignore lists), so a second run with nothing changed builds nothing; a run after a
# source change reuses podman's cached layers up to the first changed COPY. Prints the image name
# (localhost/vpcwire:<hash>, also tagged localhost/vpcwire:dev) on stdout.
#
#   image/build.sh                    build if needed, print the image name
#   BASE=node:24-bookworm-slim ...    build on that base instead of the local one
#
# RUN steps use the host's network (--network host): apt reaches deb.debian.org and npm its
# registry without podman creating a bridge or NAT rules on this machine.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cd "$repo"
name="${VPCWIRE_IMAGE_NAME:-localhost/vpcwire}"
command -v podman >/dev/null || { echo "build.sh: podman is not on PATH (apt-get install -y podman)" >&2; exit 1; }

base="${BASE:-$(bash "$here/base.sh")}"
base_id="$(podman image inspect --format '{{.Id}}' "$base" 2>/dev/null || echo "$base")"

# The build context: the paths .dockerignore lets in (lines "!path").
mapfile -t context < <(sed -n 's/^!\(.*[^/]\)\/*$/\1/p' .dockerignore)
key="$( (cat Dockerfile .dockerignore "$here/build.sh"; echo "$base_id"
  find "${context[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16)"
image="$name:$key"
if podman image exists "$image"; then
  podman tag "$image" "$name:dev"
  echo "image $image: cached" >&2
  echo "$image"
  exit 0
fi

start=$(date +%s)
echo "image $image: building on $base" >&2
# runc on this kind of machine cannot raise the open-files limit above the caller's hard limit.
nofile="$(ulimit -Hn)"
[[ "$nofile" == unlimited ]] && nofile=1048576
# A TLS-intercepting proxy's CA (the host trusts it through NODE_EXTRA_CA_CERTS): mounted into the
# RUN steps only, so npm in the build stage reaches its registry; the image does not keep it.
ca=()
if [[ -n "${NODE_EXTRA_CA_CERTS:-}" && -f "$NODE_EXTRA_CA_CERTS" ]]; then
  ca=(-v "$NODE_EXTRA_CA_CERTS:/run/vpcwire-build-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/vpcwire-build-ca.crt)
fi
podman build --network host --ulimit "nofile=$nofile:$nofile" --build-arg "BASE=$base" "${ca[@]}" \
  --label "org.vpcwire.image.inputs=$key" -t "$image" -t "$name:dev" -f Dockerfile . >&2
echo "image $image: built in $(( $(date +%s) - start )) s, $(podman image inspect --format '{{.Size}}' "$image") bytes" >&2
echo "$image"
