#!/usr/bin/env bash
# Bulk-load benchmarks of docs/BENCHMARKS.md, on a synthetic England of N people (nims seed):
#   1. nims seed --data: generate and load into an empty store;
#   2. nims import of the same population as NDJSON (written by nims seed --out);
#   3. $import over HTTP: the NDJSON as one body to a running server, kick-off to report.
# Each with its rate and peak memory (VmHWM / max RSS). Usage: scripts/bench-load.sh [people]
set -euo pipefail
cd "$(dirname "$0")/.."
people=${1:-100000}
work=$(mktemp -d /tmp/nims-bench-load.XXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/nims" ./cmd/nims
nims=$work/nims
# took N T0 T1: seconds and rate
took() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f s | %d/s", b - a, n / (b - a) }'; }
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $people people"

t0=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$work/seed.rss" "$nims" seed --quiet --data "$work/seed" --patients "$people" > "$work/seed.out"
t1=$(date +%s.%N)
res=$(grep -o '([0-9]* resources)' "$work/seed.out" | tr -dc 0-9)
echo "| nims seed --data | $res resources | $(took "$res" "$t0" "$t1") | $(( $(cat "$work/seed.rss") / 1024 )) MiB |"
rm -rf "$work/seed"

"$nims" seed --quiet --out "$work/nd" --patients "$people" > /dev/null
bytes=$(du -cb "$work"/nd/*.ndjson | tail -1 | cut -f1)
t0=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$work/import.rss" "$nims" import --quiet --data "$work/imp" "$work"/nd/*.ndjson > "$work/import.out"
t1=$(date +%s.%N)
echo "| nims import ($((bytes / 1048576)) MiB NDJSON) | $res resources | $(took "$res" "$t0" "$t1") | $(( $(cat "$work/import.rss") / 1024 )) MiB |"
rm -rf "$work/imp"

# $import over HTTP: one body, types in reference order.
cat "$work"/nd/Organization.ndjson "$work"/nd/Patient.ndjson "$work"/nd/Flag.ndjson "$work"/nd/Immunization.ndjson > "$work/body.ndjson"
rm -rf "$work/nd"
"$nims" serve --addr 127.0.0.1:18090 --data "$work/srv" --rate-limit 0 --log-level warn >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs http://127.0.0.1:18090/readyz >/dev/null 2>&1 && break; sleep 0.2; done
token=$("$nims" token --data "$work/srv")
t0=$(date +%s.%N)
loc=$(curl -fs -D - -o /dev/null -X POST -H "Authorization: Bearer $token" -H 'Prefer: respond-async' \
  -H 'Content-Type: application/fhir+ndjson' --data-binary @"$work/body.ndjson" 'http://127.0.0.1:18090/fhir/$import' |
  tr -d '\r' | awk -F': ' 'tolower($1)=="content-location" {print $2}')
while [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$loc") == 202 ]]; do sleep 1; done
t1=$(date +%s.%N)
hwm=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$pid/status)
echo "| \$import over HTTP (one $((bytes / 1048576)) MiB body) | $res resources | $(took "$res" "$t0" "$t1") | $hwm MiB (server) |"
