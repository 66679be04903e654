#!/usr/bin/env bash
# Install what the project needs on a fresh Debian 12 machine, idempotently.
#   dev/bootstrap.sh apt        PostgreSQL, Redis, libpq (as root, only when missing)
#   dev/bootstrap.sh base       .venv with the harvester and schema (no CKAN)
#   dev/bootstrap.sh ckan       .venv with CKAN 2.11, scheming, dcat and test tools
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=$ROOT/.venv
CKAN_VERSION=${SDM_CKAN_VERSION:-2.11.6}

need_apt() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  [ -f /usr/include/postgresql/libpq-fe.h ] || missing+=(libpq-dev)
  command -v curl >/dev/null || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "bootstrap: installing ${missing[*]}" >&2
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    # Debian starts a system cluster on install; the project never uses it.
  fi
}

venv() {
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip setuptools wheel
}

base() {
  local stamp=$VENV/.sdm-base
  if [ -f "$stamp" ] && [ "$stamp" -nt "$ROOT/setup.py" ]; then return; fi
  venv
  "$VENV/bin/pip" install -q -e "$ROOT"
  touch "$stamp"
}

ckan() {
  local stamp=$VENV/.sdm-ckan
  if [ -f "$stamp" ] && [ "$stamp" -nt "$ROOT/setup.py" ]; then return; fi
  venv
  "$VENV/bin/pip" install -q "ckan[requirements]==$CKAN_VERSION"
  "$VENV/bin/pip" install -q -e "$ROOT[ckan,test]"
  touch "$stamp" "$VENV/.sdm-base"
}

case "${1:-}" in
  apt) need_apt ;;
  base) base ;;
  ckan) ckan ;;
  *) echo "usage: $0 apt|base|ckan" >&2; exit 2 ;;
esac
