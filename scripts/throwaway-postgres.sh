#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the demo: `start DIR PORT` initialises DIR and starts a server on
# 127.0.0.1:PORT (as the postgres user when run as root: PostgreSQL refuses to run as root);
# `stop DIR` stops it and removes DIR. Trust authentication on loopback only: it is a demo.
set -euo pipefail
action="${1:?usage: throwaway-postgres.sh start DIR PORT | stop DIR}"
dir="${2:?directory required}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
[[ -x "$bin/initdb" ]] || { echo "throwaway-postgres: no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 1; }
as_pg=()
[[ $(id -u) -eq 0 ]] && as_pg=(runuser -u postgres --)
# The postgres user may not be allowed into the caller's directory (a checkout under a mode-700 temp
# dir, say); its programs would then warn "could not change directory". Absolute paths need no cwd.
cd /

case "$action" in
  start)
    port="${3:?port required}"
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$dir"
    "${as_pg[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >/dev/null
    cat >>"$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 200
CONF
    "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
    ;;
  stop)
    if [[ -d "$dir/data" ]]; then
      "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *) echo "throwaway-postgres: unknown action $action" >&2; exit 2 ;;
esac
