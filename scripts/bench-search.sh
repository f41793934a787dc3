#!/usr/bin/env bash
# Search benchmark of docs/BENCHMARKS.md: generates a population (patients, each with three
# Immunizations, and 6,500 GP practices) into an embedded store, serves it, and measures
# each query shape of issue 3 at 16 clients, with the server's memory after each.
# Usage: scripts/bench-search.sh [patients] [seconds-per-shape] [data-dir]
# The data directory is kept, so a second run skips the generation.
set -euo pipefail
cd "$(dirname "$0")/.."
patients=${1:-1000000}
secs=${2:-15}
data=${3:-/tmp/nims-bench-$patients}
bin=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$bin"' EXIT
go build -o "$bin/nims" ./cmd/nims
go build -o "$bin/nimsload" ./cmd/nimsload
if [[ ! -f "$data/nims.db" ]]; then
  echo "generating $patients patients into $data"
  "$bin/nimsload" gen --data "$data" --patients "$patients"
fi
"$bin/nims" serve --addr 127.0.0.1:18080 --data "$data" --rate-limit 0 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs http://127.0.0.1:18080/readyz >/dev/null 2>&1 && break; sleep 0.2; done
export NIMS_TOKEN=$("$bin/nims" token --data "$data")
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $patients patients + $((3 * patients)) immunizations, store $(du -sh "$data" | cut -f1), 16 clients, ${secs}s per shape"
echo "| shape | requests/s | p50 ms | p99 ms | errors | server RSS MiB (peak) |"
echo "|---|---|---|---|---|---|"
for shape in patient-by-nhs imm-by-patient chain include has token-date count; do
  row=$("$bin/nimsload" -target http://127.0.0.1:18080 -scenario "$shape" -patients "$patients" -c 16 -d "${secs}s" -warmup 2s | tail -1)
  rss=$(awk '/VmRSS/ {r=$2} /VmHWM/ {h=$2} END {printf "%d (%d)", r/1024, h/1024}' /proc/$pid/status)
  echo "$row" | awk -v s="$shape" -v m="$rss" -F'|' '{printf "| %s |%s|%s|%s|%s| %s |\n", s, $4, $5, $6, $7, m}'
done
