#!/usr/bin/env bash
# `make test`: services up, a fresh test.ini and database, pytest with CKAN's
# plugin, and everything this script started stopped again, pass or fail.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# SDM_TEST_INI and the ports of dev/services.sh may be set to run a second
# suite beside this one.
INI=${SDM_TEST_INI:-test.ini}
trap 'dev/services.sh down test' EXIT
dev/services.sh up test
dev/ckan-ini.sh "$INI" sdm_test http://127.0.0.1:5000 >/dev/null
.venv/bin/ckan -c "$INI" db init >/dev/null
.venv/bin/ckan -c "$INI" db pending-migrations --apply >/dev/null
set +e
.venv/bin/pytest --ckan-ini="$INI" "$@"
status=$?
set -e
# pytest's 5 means no test ran: that is a failure here, never a pass.
exit $status
