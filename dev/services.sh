#!/usr/bin/env bash
# Private PostgreSQL, Redis and Apache Solr on 127.0.0.1, for the tests and
# for `make ckan-up`.  Never touches the system's own instances.
#
#   dev/services.sh up HOLDER     start what is not running; HOLDER (test,
#                                 ckan-up) marks who needs the services
#   dev/services.sh down HOLDER   drop HOLDER; stop everything when no one
#                                 else holds the services
#   dev/services.sh status
#   dev/services.sh copy-db FROM TO
#                                 database TO made afresh as a copy of FROM
#                                 (each process of a parallel suite has its own)
#
# Ports: SDM_PG_PORT (54329), SDM_REDIS_PORT (63799), SDM_SOLR_PORT (58983).
# Solr: SDM_SOLR_HEAP (512m), SDM_SOLR_CACHE (.cache/solr), SDM_SOLR_DIRECTORY
# (the index's Lucene directory factory: by default in memory when the tests
# start Solr, as their index is thrown away and commits then skip fsync, and
# solr.NRTCachingDirectoryFactory on disk for `make ckan-up`).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${SDM_RUN_DIR:-$ROOT/.run}
PY=${SDM_PYTHON:-$ROOT/.venv/bin/python}
PG_PORT=${SDM_PG_PORT:-54329}
REDIS_PORT=${SDM_REDIS_PORT:-63799}
SOLR_PORT=${SDM_SOLR_PORT:-58983}
SOLR_HEAP=${SDM_SOLR_HEAP:-512m}
SOLR_DIRECTORY=${SDM_SOLR_DIRECTORY:-}
SOLR_CACHE=${SDM_SOLR_CACHE:-$ROOT/.cache/solr}
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PG_HOME=$RUN
HOLDERS=$RUN/holders

log() { echo "services: $*" >&2; }

pg_as() {
  # initdb and postgres refuse to run as root; from / as the current folder
  # may be one user postgres cannot enter.
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# As root, PostgreSQL runs as user postgres, which must be able to enter every
# folder above its data.  A checkout inside a folder only root may enter (e.g.
# made by mktemp -d) gets its PostgreSQL folder under /var/tmp instead, named
# after the run dir so each checkout keeps its own.
place_pg() {
  if [ "$(id -u)" != 0 ] || runuser -u postgres -- test -x "$RUN" 2>/dev/null; then PG_HOME=$RUN; return; fi
  PG_HOME=/var/tmp/sdm-pg-$(printf '%s' "$RUN" | sha256sum | cut -c1-16)
  if [ ! -d "$PG_HOME" ]; then
    mkdir -m 700 "$PG_HOME" && chown postgres "$PG_HOME" ||
      { log "user postgres cannot enter $RUN, and $PG_HOME could not be made for it"; exit 1; }
  fi
  [ "$(stat -c %U "$PG_HOME")" = postgres ] ||
    { log "$PG_HOME (PostgreSQL's folder for $RUN) is not owned by user postgres; remove it"; exit 1; }
}

pg_running() { [ -f "$PG_DATA/postmaster.pid" ] && pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

start_pg() {
  if pg_running; then return; fi
  if [ "$PG_HOME" != "$RUN" ]; then log "PostgreSQL's data in $PG_HOME (user postgres cannot enter $RUN)"; fi
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    mkdir -p "$PG_DATA"
    [ "$(id -u)" = 0 ] && chown postgres "$PG_DATA"
    pg_as "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$RUN/pg-init.log"
  fi
  mkdir -p "$PG_HOME/pg-socket"
  [ "$(id -u)" = 0 ] && chown postgres "$PG_HOME/pg-socket"
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PG_HOME/pg-socket -c fsync=off -c full_page_writes=off" start >/dev/null
  log "PostgreSQL on 127.0.0.1:$PG_PORT"
  psql_admin -tc "SELECT 1 FROM pg_roles WHERE rolname='ckan_default'" | grep -q 1 ||
    psql_admin -c "CREATE ROLE ckan_default LOGIN PASSWORD 'pass'" >/dev/null
}

psql_admin() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }

create_db() {
  psql_admin -tc "SELECT 1 FROM pg_database WHERE datname='$1'" | grep -q 1 ||
    psql_admin -c "CREATE DATABASE $1 OWNER ckan_default ENCODING 'UTF8' TEMPLATE template0" >/dev/null
}

copy_db() {
  psql_admin -c "DROP DATABASE IF EXISTS $2" >/dev/null
  psql_admin -c "CREATE DATABASE $2 OWNER ckan_default TEMPLATE $1" >/dev/null
}

start_redis() {
  if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then return; fi
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
    --dir "$RUN" --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log"
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  log "Redis on 127.0.0.1:$REDIS_PORT"
}

# Solr: the real Apache Solr 9 (dev/solr/), its jars fetched by
# `dev/bootstrap.sh solr`.  Solr home and index live under the run dir, the
# core's conf is copied afresh at every start so it is always the checkout's.
solr_up() { curl -fs "http://127.0.0.1:$SOLR_PORT/solr/ckan/admin/ping" >/dev/null 2>&1; }

solr_home() {
  local home=$RUN/solr conf=$RUN/solr/ckan/conf
  mkdir -p "$conf" "$home/ckan/data"
  cp "$ROOT/dev/solr/solr.xml" "$home/solr.xml"
  cp "$ROOT/dev/solr/solrconfig.xml" "$conf/solrconfig.xml"
  cp "$ROOT"/schemas/solr/schema.xml "$ROOT"/schemas/solr/*.txt "$conf/"
  printf 'name=ckan\nconfig=solrconfig.xml\nschema=schema.xml\ndataDir=data\n' >"$home/ckan/core.properties"
}

solr_fail() {
  log "Apache Solr did not start on 127.0.0.1:$SOLR_PORT: $1"
  [ -f "$RUN/solr.log" ] && tail -n 20 "$RUN/solr.log" | sed 's/^/  solr.log: /' >&2
  [ -f "$RUN/solr.out" ] && tail -n 20 "$RUN/solr.out" | sed 's/^/  solr.out: /' >&2
  log "full logs: $RUN/solr.log, $RUN/solr.out"
  stop_solr
  exit 1
}

start_solr() {
  if solr_up; then return; fi
  "$ROOT/dev/bootstrap.sh" solr || { log "Solr's jars are missing and could not be fetched"; exit 1; }
  solr_home
  local started=$SECONDS
  # An index in memory has no lock file to share; Solr insists on "single".
  local SOLR_LOCK=native
  [ "$SOLR_DIRECTORY" = solr.ByteBuffersDirectoryFactory ] && SOLR_LOCK=single
  # Serial GC and a small heap: the machine runs several test sessions at once.
  nohup java -Xms64m -Xmx"$SOLR_HEAP" -XX:+UseSerialGC -Dsdm.solr.log="$RUN/solr.log" \
    -Dlog4j2.configurationFile="$ROOT/dev/solr/log4j2.xml" -Dsolr.directoryFactory="$SOLR_DIRECTORY" -Dsolr.lock.type="$SOLR_LOCK" \
    -Dsolr.log.dir="$RUN" -Dsolr.install.dir="$SOLR_CACHE" \
    -cp "$SOLR_CACHE/lib/*:$SOLR_CACHE/classes" SolrMain "$RUN/solr" "$SOLR_PORT" >"$RUN/solr.out" 2>&1 &
  echo $! >"$RUN/solr.pid"
  for _ in $(seq 600); do
    solr_up && break
    kill -0 "$(cat "$RUN/solr.pid")" 2>/dev/null || solr_fail "the JVM exited"
    solr_init_failed && solr_fail "the core ckan failed to load (schema.xml or solrconfig.xml)"
    sleep 0.2
  done
  solr_up || solr_fail "no answer from /solr/ckan/admin/ping after 120 s"
  log "Apache Solr $(solr_version) on 127.0.0.1:$SOLR_PORT (started in $((SECONDS - started)) s)"
}

solr_init_failed() {
  curl -fs "http://127.0.0.1:$SOLR_PORT/solr/admin/cores?action=STATUS&wt=json" 2>/dev/null |
    "$PY" -c 'import json, sys; sys.exit(0 if json.load(sys.stdin).get("initFailures") else 1)' 2>/dev/null
}

solr_version() {
  curl -fs "http://127.0.0.1:$SOLR_PORT/solr/admin/info/system?wt=json" |
    "$PY" -c 'import json, sys; print(json.load(sys.stdin)["lucene"]["solr-spec-version"])' 2>/dev/null || echo "?"
}

stop_solr() {
  [ -f "$RUN/solr.pid" ] || return 0
  local pid
  pid=$(cat "$RUN/solr.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$RUN/solr.pid"
}

stop_all() {
  stop_solr
  if [ -f "$RUN/redis.pid" ]; then kill "$(cat "$RUN/redis.pid")" 2>/dev/null || true; rm -f "$RUN/redis.pid"; fi
  if pg_running; then pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null; fi
  log "stopped"
}

cmd=${1:-status}
holder=${2:-manual}
mkdir -p "$RUN" "$HOLDERS"
place_pg
PG_DATA=$PG_HOME/pg
case "$cmd" in
  up)
    touch "$HOLDERS/$holder"
    start_pg
    create_db "sdm_${holder//-/_}"
    start_redis
    if [ -z "$SOLR_DIRECTORY" ]; then
      [ "$holder" = test ] && SOLR_DIRECTORY=solr.ByteBuffersDirectoryFactory || SOLR_DIRECTORY=solr.NRTCachingDirectoryFactory
    fi
    start_solr
    ;;
  down)
    rm -f "$HOLDERS/$holder"
    if [ -z "$(ls -A "$HOLDERS")" ]; then stop_all; else log "still held by: $(ls "$HOLDERS" | tr '\n' ' ')"; fi
    ;;
  copy-db) copy_db "$2" "$3" ;;
  status)
    pg_running && echo "postgresql: up ($PG_PORT)" || echo "postgresql: down"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && echo "redis: up ($REDIS_PORT)" || echo "redis: down"
    solr_up && echo "solr: up ($SOLR_PORT, $(solr_version))" || echo "solr: down"
    echo "held by: $(ls "$HOLDERS" | tr '\n' ' ')"
    ;;
  *) echo "usage: $0 up|down|status [HOLDER] | copy-db FROM TO" >&2; exit 2 ;;
esac
