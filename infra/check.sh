#!/usr/bin/env bash
# Checks everything under infra/: Prometheus configuration and alert rules (promtool), the alert
# unit tests, the Grafana dashboard and alerting provisioning, the compose stack, the Kubernetes
# manifests as rendered by `kubectl kustomize` (schemas, namespace, image, hardening), the
# alerting of the compose stack with a real Alertmanager, the runbook's log queries against real
# log lines, and that every YAML file parses. Needs node and the repository's node_modules
# (`npm ci`); installs Debian's prometheus package for promtool when it is missing.
#
#   bash infra/check.sh
set -euo pipefail
cd "$(dirname "$0")"
infra="$(pwd)"

step() { echo "== $*"; }

# --- promtool ------------------------------------------------------------------------------
if ! command -v promtool >/dev/null 2>&1; then
  step "installing promtool (Debian package prometheus)"
  before="$(pgrep -x prometheus || true)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus) >/dev/null
  # The package may start a Prometheus server; test machines share ports, so stop it. Only the
  # processes that appeared with the install are ended, by pid.
  service prometheus stop >/dev/null 2>&1 || true
  for pid in $(pgrep -x prometheus || true); do
    if ! grep -qx "$pid" <<<"$before"; then kill "$pid" 2>/dev/null || true; fi
  done
fi
command -v promtool >/dev/null 2>&1 || { echo "promtool is not available" >&2; exit 1; }
step "$(promtool --version 2>&1 | head -n 1)"

# --- Prometheus ----------------------------------------------------------------------------
cd "$infra/prometheus"
step "promtool check config prometheus.yml"
promtool check config prometheus.yml
step "promtool check rules alerts.yml"
rules_out="$(promtool check rules alerts.yml)"
echo "$rules_out"
step "promtool test rules alerts.test.yml"
promtool test rules alerts.test.yml

cd "$infra/k8s/prometheus"
step "promtool check config k8s/prometheus/prometheus.yml"
if ! out="$(promtool check config prometheus.yml 2>&1)"; then
  if grep -q 'field kubernetes_sd_configs not found' <<<"$out"; then
    # Debian builds promtool without Kubernetes discovery; the file still has to parse (below).
    echo "  skipped: this promtool build has no Kubernetes service discovery"
  else
    echo "$out" >&2
    exit 1
  fi
else
  echo "$out"
fi
cd "$infra"

# --- Grafana, compose, Kubernetes ----------------------------------------------------------
step "dashboard"
node scripts/check-dashboard.mjs --self-test
node scripts/check-dashboard.mjs
step "Grafana alert rules in step with alerts.yml"
node scripts/grafana-rules.mjs --check
step "compose, Kubernetes, alert test coverage, runbook anchors"
node scripts/check-infra.mjs
# The compose file against the compose specification's schema. dclint's ordering rules are style,
# and its port-interface rule cannot read the interface from ${CRM_LISTENER_BIND:-127.0.0.1}.
step "compose: dclint (compose-spec schema)"
(cd .. && npx --no-install dclint -c infra/dclint.json infra/docker-compose.yml) && echo "  docker-compose.yml matches the compose specification"

# --- alerting: one sender, the webhook URL intact -------------------------------------------
step "alerting: one sender per ALERT_SENDER; a real Alertmanager posts to a URL with & and #"
alertmanager_bin="$(bash scripts/ensure-alertmanager.sh)"
node scripts/test-alerting.mjs --bin "$alertmanager_bin"

# --- Kubernetes: render every kustomization, validate what apply would create ---------------
step "Kubernetes: kubectl kustomize + schemas, namespace, image, scale, hardening, network"
kubectl_bin="$(bash scripts/ensure-kubectl.sh)"
step "$("$kubectl_bin" version --client 2>/dev/null | tr '\n' ' ')"
node scripts/check-k8s.mjs --kubectl "$kubectl_bin"

# --- the image, without Docker: Dockerfile stages, the production tree, read-only run -------
step "image: Dockerfile stages; npm ci --omit=dev tree; every role from it, read-only"
node scripts/check-image.mjs

# --- the runbook's log queries on real log lines ---------------------------------------------
# Runs a worker and `touchline demo` for a few seconds (Redis at REDIS_URL, or the demo's own).
if ! command -v jq >/dev/null 2>&1; then
  step "installing jq"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jq) >/dev/null
fi
step "docs/operations.md log queries (jq) against real log lines"
node scripts/check-log-queries.mjs

# --- every YAML file parses ----------------------------------------------------------------
step "YAML"
yaml_files="$(find . -type f \( -name '*.yml' -o -name '*.yaml' \) | sort)"
if command -v python3 >/dev/null 2>&1 && python3 -c 'import yaml' >/dev/null 2>&1; then
  # shellcheck disable=SC2086
  python3 - $yaml_files <<'EOF'
import sys, yaml
for path in sys.argv[1:]:
    with open(path) as f:
        list(yaml.safe_load_all(f))
print(f"  {len(sys.argv) - 1} YAML files parse (python3 yaml)")
EOF
else
  echo "  skipped: python3 with PyYAML is not available"
fi

if docker compose version >/dev/null 2>&1 && [ -f .env ]; then
  step "docker compose config"
  docker compose -f docker-compose.yml --profile demo config -q && echo "  compose file valid"
fi

rule_count="$(grep -oE '[0-9]+ rules found' <<<"$rules_out" | head -n 1 | grep -oE '[0-9]+')"
echo "infra/check.sh: OK (${rule_count} alert rules; promtool unit tests passed)"
