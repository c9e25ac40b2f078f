#!/usr/bin/env bash
# Builds the real control-plane binaries the Kubernetes tests run against (issue 11): kube-apiserver
# and kubectl from k8s.io/kubernetes, etcd from go.etcd.io/etcd/server/v3, and helm from
# helm.sh/helm/v4 for the chart tests (issue 12), at the versions pinned in kubernetes/go.mod,
# etcd/go.mod and helm/go.mod (with go.sum). They land in a cache directory keyed by a hash of
# those files, so a second run (or a go.mod unchanged since) builds nothing. Prints the directory.
#
#   test/control-plane/build.sh            build if needed, print the bin directory
#   VPCWIRE_CONTROL_PLANE_CACHE=dir ...    where the cache lives (default: <repo>/.cache/control-plane)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${VPCWIRE_CONTROL_PLANE_CACHE:-$repo/.cache/control-plane}"
key="$(cat "$here"/build.sh "$here"/kubernetes/go.mod "$here"/kubernetes/go.sum "$here"/etcd/go.mod "$here"/etcd/go.sum "$here"/helm/go.mod "$here"/helm/go.sum | sha256sum | cut -c1-16)"
k8s_version="$(awk '/^require k8s.io\/kubernetes /{print $3}' "$here/kubernetes/go.mod")"
bin="$cache/$k8s_version-$key"
if [[ -x "$bin/kube-apiserver" && -x "$bin/kubectl" && -x "$bin/etcd" && -x "$bin/helm" ]]; then
  echo "control plane $k8s_version: cached in $bin" >&2
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "build.sh: go is not on PATH; the Kubernetes tests need Go 1.26 to build kube-apiserver and etcd" >&2; exit 1; }
start=$(date +%s)
tmp="$bin.partial.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
# Stamp the release as Kubernetes' own build does (hack/lib/version.sh), so the API server reports
# v1.37.x (its version and emulation version come from these) instead of v0.0.0-master.
minor="$(echo "$k8s_version" | cut -d. -f2)"
ld="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ld+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
flags=(-trimpath -buildvcs=false -ldflags "$ld")
echo "control plane $k8s_version: building kube-apiserver, kubectl, etcd and helm into $bin (cold: several minutes)" >&2
(cd "$here/kubernetes" && go build "${flags[@]}" -o "$tmp/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl)
(cd "$here/etcd" && go build "${flags[@]}" -o "$tmp/etcd" go.etcd.io/etcd/server/v3)
# helm stamps its version from helm.sh/helm/v4/internal/version, as its Makefile does.
helm_version="$(awk '/^require helm.sh\/helm\/v4 /{print $3}' "$here/helm/go.mod")"
(cd "$here/helm" && go build -trimpath -buildvcs=false -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$helm_version -X helm.sh/helm/v4/internal/version.gitTreeState=clean" -o "$tmp/helm" helm.sh/helm/v4/cmd/helm)
"$tmp/kube-apiserver" --version >&2
# sed, not head: head would close the pipe early and pipefail would turn etcd's SIGPIPE into a failed build.
"$tmp/etcd" --version | sed -n 1p >&2
"$tmp/helm" version --short >&2
rm -rf "$bin"
mv "$tmp" "$bin"
trap - EXIT
echo "control plane $k8s_version: built in $(( $(date +%s) - start )) s" >&2
echo "$bin"
