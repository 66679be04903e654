#!/usr/bin/env bash
# Private PostgreSQL, Redis and the Solr test double on 127.0.0.1, for the
# tests and for `make ckan-up`.  Never touches the system's own instances.
#
#   dev/services.sh up HOLDER     start what is not running; HOLDER (test,
#                                 ckan-up) marks who needs the services
#   dev/services.sh down HOLDER   drop HOLDER; stop everything when no one
#                                 else holds the services
#   dev/services.sh status
#
# Ports: SDM_PG_PORT (54329), SDM_REDIS_PORT (63799), SDM_SOLR_PORT (58983).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${SDM_RUN_DIR:-$ROOT/.run}
PY=${SDM_PYTHON:-$ROOT/.venv/bin/python}
PG_PORT=${SDM_PG_PORT:-54329}
REDIS_PORT=${SDM_REDIS_PORT:-63799}
SOLR_PORT=${SDM_SOLR_PORT:-58983}
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PG_DATA=$RUN/pg
HOLDERS=$RUN/holders

log() { echo "services: $*" >&2; }

pg_as() {
  # initdb and postgres refuse to run as root.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_running() { [ -f "$PG_DATA/postmaster.pid" ] && pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

start_pg() {
  if pg_running; then return; fi
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    mkdir -p "$PG_DATA"
    [ "$(id -u)" = 0 ] && chown postgres "$PG_DATA"
    pg_as "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$RUN/pg-init.log"
  fi
  mkdir -p "$RUN/pg-socket"
  [ "$(id -u)" = 0 ] && chown postgres "$RUN/pg-socket"
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $RUN/pg-socket -c fsync=off -c full_page_writes=off" start >/dev/null
  log "PostgreSQL on 127.0.0.1:$PG_PORT"
  psql_admin -tc "SELECT 1 FROM pg_roles WHERE rolname='ckan_default'" | grep -q 1 ||
    psql_admin -c "CREATE ROLE ckan_default LOGIN PASSWORD 'pass'" >/dev/null
}

psql_admin() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }

create_db() {
  psql_admin -tc "SELECT 1 FROM pg_database WHERE datname='$1'" | grep -q 1 ||
    psql_admin -c "CREATE DATABASE $1 OWNER ckan_default ENCODING 'UTF8' TEMPLATE template0" >/dev/null
}

start_redis() {
  if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then return; fi
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
    --dir "$RUN" --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log"
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  log "Redis on 127.0.0.1:$REDIS_PORT"
}

solr_schema() {
  if [ -f "$ROOT/schemas/solr/schema.xml" ]; then echo "$ROOT/schemas/solr/schema.xml"; return; fi
  "$PY" -c 'import ckan, os; print(os.path.join(os.path.dirname(ckan.__file__), "config/solr/schema.xml"))'
}

solr_up() { curl -fs "http://127.0.0.1:$SOLR_PORT/solr/ckan/admin/ping" >/dev/null 2>&1; }

start_solr() {
  if solr_up; then return; fi
  nohup "$PY" "$ROOT/tests/solr_double/run.py" --host 127.0.0.1 --port "$SOLR_PORT" --core ckan \
    --schema "$(solr_schema)" >"$RUN/solr.log" 2>&1 &
  echo $! >"$RUN/solr.pid"
  for _ in $(seq 100); do solr_up && break; sleep 0.1; done
  solr_up || { log "the Solr test double did not start; see $RUN/solr.log"; exit 1; }
  log "Solr test double on 127.0.0.1:$SOLR_PORT"
}

stop_all() {
  if [ -f "$RUN/solr.pid" ]; then kill "$(cat "$RUN/solr.pid")" 2>/dev/null || true; rm -f "$RUN/solr.pid"; fi
  if [ -f "$RUN/redis.pid" ]; then kill "$(cat "$RUN/redis.pid")" 2>/dev/null || true; rm -f "$RUN/redis.pid"; fi
  if pg_running; then pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null; fi
  log "stopped"
}

cmd=${1:-status}
holder=${2:-manual}
mkdir -p "$RUN" "$HOLDERS"
case "$cmd" in
  up)
    touch "$HOLDERS/$holder"
    start_pg
    create_db "sdm_${holder//-/_}"
    start_redis
    start_solr
    ;;
  down)
    rm -f "$HOLDERS/$holder"
    if [ -z "$(ls -A "$HOLDERS")" ]; then stop_all; else log "still held by: $(ls "$HOLDERS" | tr '\n' ' ')"; fi
    ;;
  status)
    pg_running && echo "postgresql: up ($PG_PORT)" || echo "postgresql: down"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && echo "redis: up ($REDIS_PORT)" || echo "redis: down"
    solr_up && echo "solr double: up ($SOLR_PORT)" || echo "solr double: down"
    echo "held by: $(ls "$HOLDERS" | tr '\n' ' ')"
    ;;
  *) echo "usage: $0 up|down|status [HOLDER]" >&2; exit 2 ;;
esac
