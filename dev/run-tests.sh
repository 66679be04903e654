#!/usr/bin/env bash
# `make test`: services up, a fresh test.ini and database, pytest with CKAN's
# plugin, and everything this script started stopped again, pass or fail.
#
#   dev/run-tests.sh [PYTEST_ARGS…]
#
# Given test paths, one pytest runs them with CKAN's plugin.  Given none, the
# whole suite runs in parallel, so both cores work while a test waits on
# Solr, PostgreSQL or a local server:
#   - the CKAN-free folders (CORE below: schema, RDF, evaluation, harvester;
#     the harvester's CKAN sites are processes of their own) in one pytest
#     without CKAN's plugin, its output kept in $RUN/pytest-core.log and
#     printed at the end;
#   - every other folder under tests/ with it, printed as it runs, shared
#     among SDM_TEST_WORKERS (2) pytest-xdist processes a test file at a
#     time (tests/conftest.py), each on a database, Solr core and Redis
#     database of its own, its ini named by SDM_TEST_WORKER_INI.
# Both answer for the exit status.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUN=${SDM_RUN_DIR:-$ROOT/.run}
# SDM_TEST_INI and the ports of dev/services.sh may be set to run a second
# suite beside this one.
INI=${SDM_TEST_INI:-test.ini}
CORE=(tests/schema tests/rdf tests/evaluation tests/harvester)
WORKERS=${SDM_TEST_WORKERS:-2}
export SDM_TEST_WORKER_INI=${INI%.ini}-%s.ini

trap 'dev/services.sh down test' EXIT
dev/services.sh up test
dev/ckan-ini.sh "$INI" sdm_test http://127.0.0.1:5000 >/dev/null
.venv/bin/ckan -c "$INI" db init >/dev/null
.venv/bin/ckan -c "$INI" db pending-migrations --apply >/dev/null

# Worker gwN's ini: a copy of the test database, a new Solr core, Redis
# database N+2 (the test ini has 1).
worker_inis() {
  local n
  for ((n = 0; n < WORKERS; n++)); do
    dev/services.sh copy-db sdm_test "sdm_test_gw$n"
    .venv/bin/python tests/solr_cores.py create "ckan-gw$n" >/dev/null
    # shellcheck disable=SC2059  # the name's pattern is ours
    SDM_SOLR_CORE=ckan-gw$n SDM_REDIS_DB=$((n + 2)) \
      dev/ckan-ini.sh "$(printf "$SDM_TEST_WORKER_INI" "gw$n")" "sdm_test_gw$n" http://127.0.0.1:5000 >/dev/null
  done
}

names_a_path() {
  local arg
  for arg in "$@"; do [[ $arg != -* && -e ${arg%%::*} ]] && return 0; done
  return 1
}

ckan_folders() {
  local folder
  for folder in tests/*/; do
    folder=${folder%/}
    [[ " ${CORE[*]} " == *" $folder "* ]] || echo "$folder"
  done
}

one_run=false
names_a_path "$@" && one_run=true
$one_run || worker_inis
set +e
if $one_run; then
  .venv/bin/pytest --ckan-ini="$INI" "$@"
  status=$?
else
  mkdir -p "$RUN"
  .venv/bin/pytest -p no:ckan "$@" "${CORE[@]}" >"$RUN/pytest-core.log" 2>&1 &
  core=$!
  mapfile -t with_ckan < <(ckan_folders)
  .venv/bin/pytest --ckan-ini="$INI" -n "$WORKERS" "$@" "${with_ckan[@]}"
  status=$?
  wait "$core"
  core_status=$?
  echo "=== the CKAN-free tests (${CORE[*]}), run beside the above ==="
  cat "$RUN/pytest-core.log"
  [ "$status" = 0 ] && status=$core_status
fi
set -e
# pytest's 5 means no test ran: that is a failure here, never a pass.
exit $status
