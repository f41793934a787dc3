#!/usr/bin/env bash
# The cost of authentication, authorisation and audit over HTTP (docs/BENCHMARKS.md):
# NIMS as it is against NIMS built from the commit before auth landed, read by id and
# durable create at 16 clients, alternating, twice, in one run on this machine.
# Usage: scripts/bench-auth.sh [seconds-per-run] [baseline-commit]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
base=${2:-bd53885}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; git worktree remove --force "$work/base-src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
go build -o "$work/nims" ./cmd/nims
go build -o "$work/nimsload" ./cmd/nimsload
git worktree add --detach "$work/base-src" "$base" >/dev/null 2>&1
(cd "$work/base-src" && go build -o "$work/nims-base" ./cmd/nims)
"$work/nims-base" serve --addr 127.0.0.1:18082 --data "$work/data-base" >/dev/null 2>&1 &
"$work/nims" serve --addr 127.0.0.1:18083 --data "$work/data-auth" --rate-limit 0 >/dev/null 2>&1 &
for port in 18082 18083; do
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
done
tok=$("$work/nims" token --data "$work/data-auth")
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${secs}s per run, 16 clients; baseline $base (no auth), NIMS $(git rev-parse --short HEAD) (token, policy, audit)"
echo "| scenario | requests/s | p50 ms | p99 ms | errors |"
echo "|---|---|---|---|---|"
row() { tail -1 | awk -F'|' -v l="$1" '{printf "| %s |%s|%s|%s|%s|\n", l, $4, $5, $6, $7}'; }
for round in 1 2; do
  for scenario in read create; do
    "$work/nimsload" -target http://127.0.0.1:18082 -scenario $scenario -c 16 -d "${secs}s" | row "$scenario, baseline (round $round)"
    "$work/nimsload" -token "$tok" -target http://127.0.0.1:18083 -scenario $scenario -c 16 -d "${secs}s" | row "$scenario, with auth and audit (round $round)"
  done
done
