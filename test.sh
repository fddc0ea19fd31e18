#!/usr/bin/env bash
# The README's test command: installs what is missing, builds everything (warnings are errors),
# runs every test (unit and integration: real PostgreSQL, real promtool/prometheus), and closes
# with one line `tests: N passed, N failed`.
#
#   ./test.sh                 everything
#   ./test.sh --filter EXPR   passes a dotnet test filter (e.g. FullyQualifiedName~Runner)
#
# Without a filter it also builds the native runner (scripts/publish.sh --aot, about 2 minutes) for the tests
# that run it.
#
# QUEUE_EXPORTER_TEST_DATABASE_URL=postgres://user:pass@host:port/postgres uses that server instead
# of a throwaway cluster (the role needs CREATEDB).
set -euo pipefail
cd "$(dirname "$0")"

filter=()
if [[ "${1:-}" == "--filter" && -n "${2:-}" ]]; then filter=(--filter "$2"); fi

scripts/install-prerequisites.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build QueueExporter.sln -c Release -nologo -v quiet -clp:ErrorsOnly

# The native runner as it ships (scripts/publish.sh --aot), run by RunnerCommandTests beside the standard build.
# Built here, before the tests, so that its minutes of compiling run on a quiet machine; with --filter a test
# that needs it builds it itself.
if [[ ${#filter[@]} -eq 0 ]]; then
  native=".artifacts/native-runner"
  rm -rf "$native"
  archive=$(scripts/publish.sh --aot --output "$native" | tail -n1)
  tar -C "$native" -xzf "$archive"
  export QUEUE_EXPORTER_NATIVE_RUNNER="$PWD/${archive%.tar.gz}/bin/queue-exporter"
fi

results=".artifacts/test-results"
rm -rf "$results"
status=0
dotnet test QueueExporter.sln -c Release --no-build -nologo -v quiet \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" "${filter[@]}" || status=$?

passed=0; failed=0
shopt -s nullglob
for trx in "$results"/*.trx; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; echo "test run failed before reporting results (exit $status)" >&2; fi
echo "tests: $passed passed, $failed failed"
exit $status
