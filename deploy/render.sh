#!/usr/bin/env bash
# Renders deploy/vpcwire.yaml, the plain manifest (kubectl apply -f), from charts/vpcwire's default
# values with the real helm that test/control-plane/build.sh builds (issue 12 item 5). The chart is
# the source; test/install/chart.test.ts fails when the checked-in manifest differs from this output.
#
#   bash deploy/render.sh            rewrite deploy/vpcwire.yaml
#   bash deploy/render.sh FILE       write FILE instead (the test renders to a temporary file)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$repo/deploy/vpcwire.yaml}"
helm="$(bash "$repo/test/control-plane/build.sh")/helm"
{
  echo "# vpcwire for kube-system, rendered from charts/vpcwire with its default values. Do not edit:"
  echo "# regenerate with 'bash deploy/render.sh' after changing the chart. For other values use the"
  echo "# chart (helm install, README \"Install on EKS\"), or render your own with helm template."
  "$helm" template vpcwire "$repo/charts/vpcwire" --namespace kube-system --include-crds
} >"$out.tmp"
mv "$out.tmp" "$out"
