#!/usr/bin/env bash
# Install what the project needs on a fresh Debian 12 machine, idempotently.
#   dev/bootstrap.sh apt        PostgreSQL, Redis, libpq, Chromium, ApacheBench (as root, only when missing)
#   dev/bootstrap.sh base       .venv with the harvester and schema (no CKAN)
#   dev/bootstrap.sh ckan       .venv with CKAN 2.11, scheming, dcat and test tools
#   dev/bootstrap.sh solr       Apache Solr's jars from Maven Central into
#                               .cache/solr (dev/solr/README.md)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=$ROOT/.venv
SOLR_CACHE=${SDM_SOLR_CACHE:-$ROOT/.cache/solr}
CKAN_VERSION=${SDM_CKAN_VERSION:-2.11.6}

need_apt() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  [ -f /usr/include/postgresql/libpq-fe.h ] || missing+=(libpq-dev)
  command -v curl >/dev/null || missing+=(curl)
  command -v restic >/dev/null || missing+=(restic)
  command -v java >/dev/null || missing+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null || missing+=(maven)
  # ApacheBench, for benchmarks/feeds/ckan_bench.py's concurrency case
  command -v ab >/dev/null || missing+=(apache2-utils)
  # the browser tests (tests/browser) and a CJK font for what their screenshots show
  command -v chromium >/dev/null || missing+=(chromium)
  [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
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
  # the stock site of tests/harvester/test_dcat_rdf_harvester.py (dev/vendor/README.md)
  "$VENV/bin/pip" install -q "$ROOT/dev/vendor/ckanext-fluent"
  touch "$stamp" "$VENV/.sdm-base"
}

die() { echo "bootstrap: $*" >&2; exit 1; }

java_check() {
  command -v java >/dev/null || die "Solr needs Java 11 or newer and there is no java on PATH (apt-get install openjdk-17-jdk-headless)"
  command -v javac >/dev/null || die "Solr's launcher needs javac (apt-get install openjdk-17-jdk-headless)"
  command -v mvn >/dev/null || die "Solr's jars come from Maven Central through mvn, which is not on PATH (apt-get install maven)"
  local major
  major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [ "${major%%.*}" -ge 11 ] 2>/dev/null || die "Solr 9 needs Java 11 or newer; java on PATH is ${major:-unknown}"
}

solr() {
  # Fresh when the stamp is newer than what it was made from.
  local stamp=$SOLR_CACHE/.stamp src=$ROOT/dev/solr
  if [ -f "$stamp" ] && [ "$stamp" -nt "$src/pom.xml" ] && [ "$stamp" -nt "$src/SolrMain.java" ]; then return; fi
  java_check
  mkdir -p "$SOLR_CACHE"
  # Several runs may share one checkout: one fetches, the others wait for it.
  exec 9>"$SOLR_CACHE/.lock"
  flock 9
  if [ -f "$stamp" ] && [ "$stamp" -nt "$src/pom.xml" ] && [ "$stamp" -nt "$src/SolrMain.java" ]; then return; fi
  echo "bootstrap: fetching Apache Solr's jars from Maven Central (first time only)" >&2
  local tmp=$SOLR_CACHE/.new
  rm -rf "$tmp" && mkdir -p "$tmp/classes"
  mvn -q -B -f "$src/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$tmp/lib" >"$SOLR_CACHE/mvn.log" 2>&1 ||
    die "mvn could not fetch Solr's jars (Maven Central reachable? ~/.m2 writable?); see $SOLR_CACHE/mvn.log"
  javac -nowarn -cp "$tmp/lib/*" -d "$tmp/classes" "$src/SolrMain.java" ||
    die "javac could not compile dev/solr/SolrMain.java"
  rm -rf "$SOLR_CACHE/lib" "$SOLR_CACHE/classes"
  mv "$tmp/lib" "$tmp/classes" "$SOLR_CACHE/" && rm -rf "$tmp"
  touch "$stamp"
}

case "${1:-}" in
  apt) need_apt ;;
  base) base ;;
  ckan) ckan ;;
  solr) solr ;;
  *) echo "usage: $0 apt|base|ckan|solr" >&2; exit 2 ;;
esac
