#!/usr/bin/env bash
# `make ckan-up` / `make ckan-down`: a local CKAN 2.11 with ckanext-sdm,
# scheming and dcat on http://127.0.0.1:5000, on the private services of
# dev/services.sh with its own database (sdm_ckan_up).  A sysadmin `sdmadmin`
# is created; its API token is written to out/ckan/sysadmin.token.
# Both commands are idempotent; `down` stops only what `up` started.
#
# SDM_CKAN_PORT (5000), SDM_CKAN_OUT (out/ckan) and SDM_CKAN_HOLDER (ckan-up,
# which also names the database) let a test run an instance of its own.
# SDM_CKAN_THREADED=1 runs the development server with a thread a request
# (`ckan run --threaded`; benchmarks/feeds/ckan_bench.py's concurrency case).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=${SDM_CKAN_OUT:-out/ckan}
INI=$OUT/ckan.ini
RUN=${SDM_RUN_DIR:-$ROOT/.run}
PORT=${SDM_CKAN_PORT:-5000}
HOLDER=${SDM_CKAN_HOLDER:-ckan-up}
DB=sdm_${HOLDER//-/_}
PID=$RUN/$HOLDER.pid
LOG=$RUN/$HOLDER.log
CKAN=.venv/bin/ckan

running() { [ -f "$PID" ] && kill -0 "$(cat "$PID")" 2>/dev/null; }

up() {
  if running; then echo "CKAN already running on http://127.0.0.1:$PORT (pid $(cat "$PID"))"; return; fi
  dev/services.sh up "$HOLDER"
  mkdir -p "$OUT"
  dev/ckan-ini.sh "$INI" "$DB" "http://127.0.0.1:$PORT" >/dev/null
  "$CKAN" -c "$INI" db init >/dev/null 2>&1
  "$CKAN" -c "$INI" db pending-migrations --apply >/dev/null 2>&1
  if ! "$CKAN" -c "$INI" user show sdmadmin 2>/dev/null | grep -q "name=sdmadmin"; then
    "$CKAN" -c "$INI" user add sdmadmin email=sdmadmin@example.org password=sdm-admin-pass >/dev/null 2>&1
    "$CKAN" -c "$INI" sysadmin add sdmadmin >/dev/null 2>&1
  fi
  if [ ! -s "$OUT/sysadmin.token" ]; then
    "$CKAN" -c "$INI" user token add sdmadmin ckan-up 2>/dev/null | tail -n 1 | tr -d '[:space:]' >"$OUT/sysadmin.token"
  fi
  local threaded=()
  [ -n "${SDM_CKAN_THREADED:-}" ] && threaded=(--threaded)
  nohup "$CKAN" -c "$INI" run --host 127.0.0.1 --port "$PORT" --disable-reloader "${threaded[@]}" >"$LOG" 2>&1 &
  echo $! >"$PID"
  for _ in $(seq 120); do curl -fs "http://127.0.0.1:$PORT/api/3/action/status_show" >/dev/null 2>&1 && break; sleep 0.5; done
  curl -fs "http://127.0.0.1:$PORT/api/3/action/status_show" >/dev/null ||
    { echo "CKAN did not start; see $LOG" >&2; exit 1; }
  echo "CKAN on http://127.0.0.1:$PORT — sysadmin sdmadmin / sdm-admin-pass, API token in $OUT/sysadmin.token"
}

down() {
  if running; then kill "$(cat "$PID")"; for _ in $(seq 50); do running || break; sleep 0.2; done; fi
  rm -f "$PID"
  [ -d "$RUN/holders" ] && dev/services.sh down "$HOLDER"
  echo "ckan-up stopped"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
