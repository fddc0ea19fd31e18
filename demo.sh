#!/usr/bin/env bash
# The README's demo command: the whole pipeline on this machine.
#   ./demo.sh                       run until Ctrl-C
#   ./demo.sh --duration 60         stop by itself after 60 s
#   ./demo.sh --database-url URL    use an existing database (its queue_job table is installed if missing)
# It installs what is missing (no npm: the dashboards and rules are committed), builds, creates a
# throwaway PostgreSQL cluster (removed at the end), starts the worker (demo handlers), the runner and
# the scraper, and Prometheus + Alertmanager with the project's configuration and the demo's rules
# (alerts/demo/: QueueJobFailureBurst fires within the first minute), feeds jobs and prints a live
# summary. At the end: a final summary, the alerts Alertmanager received, and where the logs are (kept).
set -euo pipefail
cd "$(dirname "$0")"
root="$PWD"

duration=0; database_url=""; own_cluster=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration="${2:?}"; shift 2 ;;
    --database-url) database_url="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

scripts/install-prerequisites.sh --without-npm
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "demo: building…"
# Quiet when it works; when it does not, the compiler's errors are what a person needs to see.
if ! build_output=$(dotnet build exporter/QueueExporter -c Release -nologo -v quiet -clp:ErrorsOnly 2>&1); then
  echo "demo: the build failed:" >&2
  echo "$build_output" >&2
  exit 1
fi
qe=(dotnet "$root/exporter/QueueExporter/bin/Release/net10.0/queue-exporter.dll")

work="$(mktemp -d /tmp/queue-exporter-demo.XXXXXX)"
chmod 755 "$work"  # the postgres user must reach the cluster directory inside it
# Logs outlive the run (everything else in $work is removed): they are what a person reads after.
logs="$(mktemp -d /tmp/queue-exporter-demo-logs.XXXXXX)"
pids=()
am_url=
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }

# What reached Alertmanager, asked with amtool (Debian's Alertmanager ships no web UI).
report_alerts() {
  [[ -n "$am_url" ]] || return 0
  local alerts
  alerts="$(amtool alert query --alertmanager.url="$am_url" --output=extended 2>&1 || true)"
  if [[ "$(wc -l <<<"$alerts")" -gt 1 ]]; then
    echo "demo: alerts in Alertmanager ($am_url):"
    sed 's/^/  /' <<<"$alerts"
  else
    echo "demo: no alert reached Alertmanager ($am_url)"
  fi
}

cleanup() {
  trap - INT TERM EXIT
  echo
  report_alerts
  echo "demo: stopping…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $own_cluster -eq 1 ]]; then scripts/throwaway-postgres.sh stop "$work/pg" || true; fi
  rm -rf "$work"
  echo "demo: logs kept in $logs (runner, worker, scraper, prometheus, alertmanager)"
  echo "demo: stopped, everything removed but the logs"
}
trap cleanup INT TERM HUP PIPE EXIT

if [[ -z "$database_url" ]]; then
  pg_port="$(free_port)"
  echo "demo: starting a throwaway PostgreSQL on 127.0.0.1:$pg_port"
  own_cluster=1
  scripts/throwaway-postgres.sh start "$work/pg" "$pg_port"
  "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE demo" postgres
  database_url="postgres://postgres@127.0.0.1:$pg_port/demo"
fi
"${qe[@]}" schema install --database-url "$database_url"

worker_port="$(free_port)"; runner_port="$(free_port)"; scraper_port="$(free_port)"
"${qe[@]}" worker --database-url "$database_url" --listen "127.0.0.1:$worker_port" --demo-handlers >"$logs/worker.log" 2>&1 & pids+=($!)
"${qe[@]}" runner --database-url "$database_url" --channels "root:6,root.mail:2,root.edi:1:sequential,root.reports:2,root.sync:1:throttle=1" \
  --worker-url "http://127.0.0.1:$worker_port" --listen "127.0.0.1:$runner_port" --log-format odoo >"$logs/runner.log" 2>&1 & pids+=($!)
"${qe[@]}" scrape --database-url "$database_url" --listen "127.0.0.1:$scraper_port" --log-file "$logs/runner.log" >"$logs/scraper.log" 2>&1 & pids+=($!)

urls=("runner metrics:  http://127.0.0.1:$runner_port/metrics (and /healthz)" "worker metrics:  http://127.0.0.1:$worker_port/metrics" "scraper metrics: http://127.0.0.1:$scraper_port/metrics")
if command -v prometheus >/dev/null && command -v prometheus-alertmanager >/dev/null; then
  prom_port="$(free_port)"; am_port="$(free_port)"
  sed -e "s/@RUNNER@/127.0.0.1:$runner_port/; s/@WORKER@/127.0.0.1:$worker_port/; s/@SCRAPER@/127.0.0.1:$scraper_port/; s/@ALERTMANAGER@/127.0.0.1:$am_port/; s|@ROOT@|$root|g" \
    deploy/prometheus/prometheus.demo.yml.tmpl >"$work/prometheus.yml"
  prometheus-alertmanager --config.file=deploy/alertmanager/alertmanager.yml --storage.path="$work/am" \
    --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= >"$logs/alertmanager.log" 2>&1 & pids+=($!)
  prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom" \
    --web.listen-address="127.0.0.1:$prom_port" >"$logs/prometheus.log" 2>&1 & pids+=($!)
  am_url="http://127.0.0.1:$am_port"
  # Debian's Prometheus serves the classic UI only (/alerts is a 404 there); its Alertmanager has no
  # UI at all: its API, or amtool.
  urls+=("Prometheus:      http://127.0.0.1:$prom_port/classic/alerts (rules: /classic/rules, queries: /classic/graph)"
         "Alertmanager:    $am_url/api/v2/alerts, or: amtool alert query --alertmanager.url=$am_url")
fi

show=(); for u in "${urls[@]}"; do show+=(--show-url "$u"); done
echo "demo: logs in $logs"
"${qe[@]}" demo --database-url "$database_url" --duration "$duration" "${show[@]}"
