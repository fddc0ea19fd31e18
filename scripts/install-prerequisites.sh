#!/usr/bin/env bash
# Installs what a fresh machine of this kind lacks, and nothing it already has.
# Used by ./test.sh and ./demo.sh (with --without-npm). Needs root (or sudo) only when something is missing.
set -euo pipefail

need_apt=()
pg_bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }

[[ -n "$(pg_bin_dir)" && -x "$(pg_bin_dir)/initdb" ]] || need_apt+=(postgresql)
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || need_apt+=(prometheus-alertmanager)
command -v docker-compose >/dev/null 2>&1 || need_apt+=(docker-compose)
# Real headless Chromium for the status-page tests (Debian's package: no browser download at run time).
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# systemd-analyze checks the service units (the package installs the tools; nothing is started).
command -v systemd-analyze >/dev/null 2>&1 || need_apt+=(systemd)
# The tests build the native runner (scripts/publish.sh --aot): Native AOT links with the platform's C toolchain.
# .NET 10's compiler brings its own zlib, so no zlib1g-dev.
command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || need_apt+=(gcc)

if ((${#need_apt[@]})); then
  echo "install-prerequisites: installing ${need_apt[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq >/dev/null
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# Debian's postgresql package starts nothing here (no init system); we only need its binaries.
command -v dotnet >/dev/null 2>&1 || { echo "install-prerequisites: the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }

# Dashboards and rules as code: the Grafana Foundation SDK and yaml from npm, for the tests that
# regenerate them. ./demo.sh passes --without-npm: it uses the committed, generated files.
[[ "${1:-}" == "--without-npm" ]] && exit 0
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -f "$root/dashboards/package.json" && ! -d "$root/dashboards/node_modules/yaml" ]]; then
  (cd "$root/dashboards" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
