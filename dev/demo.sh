#!/usr/bin/env bash
# `make demo`: harvest the sample department platforms in examples/platforms/
# into out/demo-data, then publish the feeds to out/feeds.  Everything
# printed comes from the commands themselves.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=$ROOT/.venv/bin
mkdir -p out
# the demo config names the bundled files by absolute file:// URLs
sed "s|@EXAMPLES@|$ROOT/examples|g" examples/harvest.yaml > out/harvest.yaml

echo "== sdm-harvest sources check --config out/harvest.yaml"
"$BIN/sdm-harvest" sources check --config out/harvest.yaml

echo "== sdm-harvest run --config out/harvest.yaml --data-dir out/demo-data --force"
set +e
"$BIN/sdm-harvest" run --config out/harvest.yaml --data-dir out/demo-data --force --report out/demo-report.json
status=$?
set -e
# the samples hold invalid and classified records on purpose, but every
# source must be read: anything but 0 is a real failure
if [ "$status" -ne 0 ]; then echo "demo: harvest failed with exit code $status (see out/demo-report.json)" >&2; exit "$status"; fi
"$BIN/python" - out/demo-report.json <<'PY'
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
print(f"run {report['run_id']}: exit code {report['exit_code']}, totals {report['totals']}")
for source in report["sources"]:
    print(f"  {source['name']:<28} {source['status']:<8} " + ", ".join(f"{k} {v}" for k, v in source["counts"].items() if v))
    for item in source["invalid"]:
        for error in item["fields"]:
            print(f"    invalid {item['record']}: {error['messages']['en']}")
    for error in source["errors"]:
        print(f"    error: {error}")
PY

echo "== sdm-harvest status --data-dir out/demo-data"
"$BIN/sdm-harvest" status --data-dir out/demo-data

BASE_URL="${SDM_BASE_URL:-http://127.0.0.1:5000}"
echo "== sdm-harvest publish --data-dir out/demo-data --out out/feeds --base-url $BASE_URL"
"$BIN/sdm-harvest" publish --data-dir out/demo-data --out out/feeds --base-url "$BASE_URL"
echo "demo: report out/demo-report.json, feeds in out/feeds/"
