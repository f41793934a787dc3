#!/usr/bin/env bash
# The whole test suite, as CI runs it. Needs only Go (and the C compiler Go's cgo uses,
# which a Go machine has); modules come from the Go module proxy.
#
# The MongoDB backend (store/mongo) is tested against FerretDB, which this script builds
# from the Go module proxy (cached in ~/.cache/nims-ferretdb: about 2 minutes the first
# time) and runs for the length of the suite (scripts/ferretdb.sh). MONGO_URI names it and
# NIMS_REQUIRE_MONGO=1 makes the MongoDB tests fail rather than skip without it, so that a
# green run means the backend was tested. Steps:
#   gofmt, go vet;
#   go test ./...: every package, store/mongo (its differential search test included) and
#     cmd/nims's nims migrate on FerretDB;
#   go test ./api again with NIMS_TEST_STORE=mongodb: the HTTP suite over the MongoDB
#     backend (each test server on a database of its own), not only the embedded store;
#   go test -race on the concurrency-critical packages, store/mongo among them.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [[ -n "$unformatted" ]]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== FerretDB (the MongoDB backend's test server)"
source scripts/ferretdb.sh
ferretdb_build
# Tests fail with the driver's words for what FerretDB refused; only a server that died
# under them (it drops the connection on some BSON types) needs its log to explain.
on_exit() {
  if [[ -n "${FERRETDB_PID:-}" ]] && ! kill -0 "$FERRETDB_PID" 2>/dev/null; then
    echo "== FerretDB exited during the tests; the end of its log:"
    tail -n 40 "$FERRETDB_DATA/ferretdb.log" || true
  fi
  ferretdb_stop
}
trap on_exit EXIT
ferretdb_start
export NIMS_REQUIRE_MONGO=1 # MONGO_URI is exported by ferretdb_start
echo "listening at $MONGO_URI"

echo "== go test"
# store/mongo takes the longest (25 minutes on 2 cores here, most of it the
# differential search test on FerretDB), so the timeout is the package's, not the suite's.
go test -count=1 -timeout 60m ./...

echo "== go test ./api on MongoDB (the HTTP suite again, over FerretDB)"
NIMS_TEST_STORE=mongodb go test -count=1 -timeout 20m ./api/

echo "== go test -race (store with store/mongo on FerretDB, API, auth and audit: the concurrency-critical packages)"
# store/mongo's differential search test is left out here: it has no concurrency, ran in
# the step above, and takes most of half an hour on FerretDB (more under -race).
go test -count=1 -race -timeout 30m $(go list ./store/... ./api/... ./auth/... ./audit/... | grep -v '/store/mongo$')
go test -count=1 -race -timeout 30m -skip '^TestStore$/^SearchDifferential$' ./store/mongo/
