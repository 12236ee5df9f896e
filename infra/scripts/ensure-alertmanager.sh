#!/usr/bin/env bash
# Prints a directory holding `alertmanager` and `amtool` of version 0.26 or newer (the first with
# url_file in webhook_configs, which infra/alertmanager/alertmanager-sends.yml uses; compose runs
# 0.27), for infra/scripts/test-alerting.mjs. Uses the PATH's when they are recent enough;
# otherwise takes Debian's prometheus-alertmanager package of the next release (bookworm has
# 0.25) with apt-get download, through a private package list (the system's sources and installed
# packages stay as they are), and unpacks its two static binaries into ~/.cache/touchline-ci.
# Debian's build reads its default notification templates from /usr/share/prometheus/alertmanager
# (default.tmpl, email.tmpl), which that package does not ship: they are taken from the same
# release's golang-github-prometheus-alertmanager-dev and put there when missing.
# Progress goes to stderr, the directory alone to stdout.
#
#   bin="$(bash infra/scripts/ensure-alertmanager.sh)"; "$bin/amtool" check-config ...
set -euo pipefail

suite=trixie
cache="${XDG_CACHE_HOME:-$HOME/.cache}/touchline-ci/alertmanager-$suite"

recent() { # recent <alertmanager binary>: version >= 0.26
  local v
  v="$("$1" --version 2>/dev/null | head -n 1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1)" || return 1
  [ -n "$v" ] && [ "$(printf '%s\n0.26.0\n' "$v" | sort -V | head -n 1)" = "0.26.0" ]
}

for name in alertmanager prometheus-alertmanager; do
  found="$(command -v "$name" || true)"
  if [ -n "$found" ] && recent "$found" && command -v amtool >/dev/null 2>&1; then
    mkdir -p "$cache/path"
    ln -sf "$found" "$cache/path/alertmanager"
    ln -sf "$(command -v amtool)" "$cache/path/amtool"
    echo "$cache/path"
    exit 0
  fi
done

templates=/usr/share/prometheus/alertmanager
if ! { [ -x "$cache/alertmanager" ] && recent "$cache/alertmanager" && [ -f "$cache/templates/email.tmpl" ]; }; then
  echo "== alertmanager >= 0.26 missing: unpacking Debian $suite's prometheus-alertmanager" >&2
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/deb"
  # The machine's own Debian mirror (the one its apt sources name for the main archive).
  mirror="$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
    awk '$2 !~ /-(security|updates|backports)$/ { print $1; exit }')"
  [ -n "$mirror" ] || {
    echo "ensure-alertmanager: no Debian mirror in the apt sources" >&2
    exit 1
  }
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" >"$work/sources.list"
  apt_options=(
    -o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root
  )
  apt-get "${apt_options[@]}" update -qq >&2
  (cd "$work/deb" && apt-get "${apt_options[@]}" download -qq \
    prometheus-alertmanager golang-github-prometheus-alertmanager-dev >&2)
  for deb in "$work"/deb/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  mkdir -p "$cache"
  install -m 0755 "$work/root/usr/bin/prometheus-alertmanager" "$cache/alertmanager"
  install -m 0755 "$work/root/usr/bin/amtool" "$cache/amtool"
  mkdir -p "$cache/templates"
  install -m 0644 "$work"/root/usr/share/gocode/src/github.com/prometheus/alertmanager/template/*.tmpl "$cache/templates/"
fi
for file in "$cache"/templates/*.tmpl; do
  if [ ! -f "$templates/$(basename "$file")" ]; then
    mkdir -p "$templates"
    install -m 0644 "$file" "$templates/"
  fi
done
recent "$cache/alertmanager" || {
  echo "ensure-alertmanager: $cache/alertmanager is not 0.26 or newer" >&2
  exit 1
}
echo "$cache"
