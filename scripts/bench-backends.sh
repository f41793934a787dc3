#!/usr/bin/env bash
# The backend benchmark (store/storetest/bench.go) on the embedded store, on FerretDB as
# the test command builds it (lookups by _id use the _id index) and on FerretDB as
# released, back to back on one machine: the figures of docs/BENCHMARKS.md, "Embedded
# store and MongoDB (FerretDB)". Takes about 5 minutes on 2 cores, plus FerretDB's builds
# the first time (about 2 minutes each).
set -euo pipefail
cd "$(dirname "$0")/.."

bench() { go test -count=1 -run '^$' -bench Backend "$@" | grep -E '^Benchmark|^ok'; }

echo "== embedded store (SQLite)"
bench -benchtime 200x ./store/sqlite/

for stock in 0 1; do
	(
		export FERRETDB_STOCK=$stock
		source scripts/ferretdb.sh
		ferretdb_build
		trap ferretdb_stop EXIT
		ferretdb_start
		if [ "$stock" = 1 ]; then echo "== FerretDB $FERRETDB_VERSION as released"; else echo "== FerretDB $FERRETDB_VERSION as the tests build it"; fi
		NIMS_REQUIRE_MONGO=1 bench -benchtime 50x -timeout 30m ./store/mongo/
	)
done
