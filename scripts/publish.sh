#!/usr/bin/env bash
# Builds the release archives: a self-contained single-file `queue-exporter` per platform (no .NET
# needed on the server), with the version and git revision stamped in (queue_exporter_build_info,
# `queue-exporter --version`), packed with the systemd units, their environment files and the docs.
#
#   scripts/publish.sh                      linux-x64 and linux-arm64 into .artifacts/publish/
#   scripts/publish.sh --rid linux-x64      one platform (repeatable)
#   scripts/publish.sh --output DIR         elsewhere
#   scripts/publish.sh --aot                a Native AOT build of the runner for this machine's platform,
#                                           into .artifacts/publish-aot/ (runs `runner` only; about half the
#                                           RSS at rest, see docs/benchmarks.md). Takes minutes: not in the tests.
#
# Needs the .NET 10 SDK and a NuGet feed that has the runtime packs of each platform
# (Microsoft.NETCore.App.Runtime.<rid>, Microsoft.AspNetCore.App.Runtime.<rid>); the first run
# downloads them, later runs use the local cache.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/publish.sh [--rid RID]... [--output DIR] [--aot]" >&2; exit 2; }
rids=()
output=
aot=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --aot) aot=true; shift ;;
    --rid) [[ -n "${2:-}" ]] || usage; rids+=("$2"); shift 2 ;;
    --output) [[ -n "${2:-}" ]] || usage; output="$2"; shift 2 ;;
    *) usage ;;
  esac
done
# Its own default folder: each run writes SHA256SUMS for the archives it built.
[[ -n "$output" ]] || { if $aot; then output=.artifacts/publish-aot; else output=.artifacts/publish; fi; }
host_rid="linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')"
if $aot; then
  # Native AOT links with the platform's own toolchain: no cross-compiling here.
  [[ ${#rids[@]} -gt 0 ]] || rids=("$host_rid")
  for rid in "${rids[@]}"; do
    [[ "$rid" == "$host_rid" ]] || { echo "publish: --aot builds for this machine's platform only ($host_rid), not $rid" >&2; exit 2; }
  done
fi
[[ ${#rids[@]} -gt 0 ]] || rids=(linux-x64 linux-arm64)
for rid in "${rids[@]}"; do
  [[ "$rid" =~ ^linux-(x64|arm64|musl-x64|musl-arm64)$ ]] || { echo "publish: unsupported --rid $rid (linux-x64, linux-arm64, linux-musl-x64, linux-musl-arm64)" >&2; exit 2; }
done

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)
# The revision of the sources built; a build of uncommitted changes says so rather than
# claiming a commit it does not match.
revision=$(git rev-parse HEAD)
if [[ -n "$(git status --porcelain --untracked-files=no)" ]]; then revision="$revision-dirty"; fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
mkdir -p "$output"
archives=()
for rid in "${rids[@]}"; do
  name="queue-exporter-$version-$rid"
  if $aot; then
    name="queue-exporter-runner-aot-$version-$rid"
    # Native code, no JIT and no runtime files to map. The analysis warnings this build prints (Dapper,
    # reflection JSON in enqueue, the console formatter's options binding) belong to code the runner does
    # not reach; the native binary refuses every command but `runner` (NativeAotCommands), so they stay warnings.
    build=(-p:PublishAot=true -p:TreatWarningsAsErrors=false)
  else
    # PublishSingleFile: one executable (the runtime's native parts are linked into its host, nothing
    # is extracted at start, so it runs under ProtectSystem=strict). DebugType=embedded keeps line
    # numbers in stack traces without a .pdb beside it.
    build=(--self-contained -p:PublishSingleFile=true -p:DebugType=embedded)
  fi
  staging="$output/$name"
  rm -rf "$staging" "$staging.out"
  dotnet publish exporter/QueueExporter/QueueExporter.csproj -c Release -r "$rid" "${build[@]}" \
    -p:SourceRevisionId="$revision" -o "$staging.out" -nologo -v quiet -clp:ErrorsOnly
  # Only the executable ships: the files publish leaves beside it are the runtime's optional
  # crash-dump and debugger parts (createdump, libmscordaccore.so, ...), not needed to run.
  mkdir -p "$staging/bin" "$staging/systemd" "$staging/docs"
  cp "$staging.out/queue-exporter" "$staging/bin/"
  rm -rf "$staging.out"
  if $aot; then
    cp deploy/systemd/queue-exporter-runner.service deploy/systemd/runner.env "$staging/systemd/"
  else
    cp deploy/systemd/*.service deploy/systemd/*.env "$staging/systemd/"
  fi
  cp README.md "$staging/"
  cp docs/operations.md docs/beside-odoo.md docs/metrics.md "$staging/docs/"
  tar -C "$output" -czf "$output/$name.tar.gz" "$name"
  rm -rf "$staging"
  archives+=("$name.tar.gz")
  echo "$output/$name.tar.gz"
done
(cd "$output" && sha256sum "${archives[@]}" > SHA256SUMS)
