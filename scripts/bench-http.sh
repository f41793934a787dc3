#!/usr/bin/env bash
# HTTP benchmark of docs/BENCHMARKS.md: NIMS create and read-by-id beside a bare gin
# handler answering a fixed FHIR body, in one run on this machine, at concurrency 1, 16, 64.
# Usage: scripts/bench-http.sh [seconds-per-level]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/nims" ./cmd/nims
go build -o "$work/nimsload" ./cmd/nimsload
"$work/nims" serve --addr 127.0.0.1:18080 --data "$work/data" --rate-limit 0 >/dev/null 2>&1 &
"$work/nims" serve --addr 127.0.0.1:18081 --data "$work/data-nocache" --cache-mb 0 --rate-limit 0 >/dev/null 2>&1 &
"$work/nimsload" bare -addr 127.0.0.1:18090 >/dev/null 2>&1 &
for port in 18080 18081 18090; do
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/fhir/Patient/x" -o /dev/null -w '' 2>/dev/null && break; curl -s "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
done
# Every request carries an admin token (the bare handler ignores it), so NIMS pays for
# token checks, policy and audit as in production.
tok=$("$work/nims" token --data "$work/data")
tok_nocache=$("$work/nims" token --data "$work/data-nocache")
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${secs}s per level, GOMAXPROCS default"
"$work/nimsload" -token "$tok" -target http://127.0.0.1:18090 -scenario bare -label "bare gin, fixed body" -d "${secs}s"
"$work/nimsload" -token "$tok" -target http://127.0.0.1:18080 -scenario read -label "NIMS read by id (cache on, default)" -d "${secs}s" | tail -n +3
"$work/nimsload" -token "$tok_nocache" -target http://127.0.0.1:18081 -scenario read -label "NIMS read by id (--cache-mb 0)" -d "${secs}s" | tail -n +3
"$work/nimsload" -token "$tok" -target http://127.0.0.1:18080 -scenario create -label "NIMS durable create" -d "${secs}s" | tail -n +3
echo
echo "store size after the run: $(du -sh "$work/data" | cut -f1) (creates) + $(du -sh "$work/data-nocache" | cut -f1)"
