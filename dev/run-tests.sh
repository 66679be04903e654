#!/usr/bin/env bash
# `make test`: services up, a fresh test.ini and database, pytest with CKAN's
# plugin, and everything this script started stopped again, pass or fail.
#
#   dev/run-tests.sh [PYTEST_ARGS…]
#
# Given test paths, one pytest runs them with CKAN's plugin.  Given none, the
# whole suite runs as two pytest processes side by side, so both cores work
# while the other waits on Solr, PostgreSQL or a local server:
#   - the CKAN-free folders (CORE below: schema, RDF, evaluation, harvester;
#     the harvester's CKAN sites are processes of their own) without CKAN's
#     plugin, its output kept in $RUN/pytest-core.log and printed at the end;
#   - every other folder under tests/ with it, printed as it runs.
# Both answer for the exit status.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUN=${SDM_RUN_DIR:-$ROOT/.run}
# SDM_TEST_INI and the ports of dev/services.sh may be set to run a second
# suite beside this one.
INI=${SDM_TEST_INI:-test.ini}
CORE=(tests/schema tests/rdf tests/evaluation tests/harvester)

trap 'dev/services.sh down test' EXIT
dev/services.sh up test
dev/ckan-ini.sh "$INI" sdm_test http://127.0.0.1:5000 >/dev/null
.venv/bin/ckan -c "$INI" db init >/dev/null
.venv/bin/ckan -c "$INI" db pending-migrations --apply >/dev/null

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

set +e
if names_a_path "$@"; then
  .venv/bin/pytest --ckan-ini="$INI" "$@"
  status=$?
else
  mkdir -p "$RUN"
  .venv/bin/pytest -p no:ckan "$@" "${CORE[@]}" >"$RUN/pytest-core.log" 2>&1 &
  core=$!
  mapfile -t with_ckan < <(ckan_folders)
  .venv/bin/pytest --ckan-ini="$INI" "$@" "${with_ckan[@]}"
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
