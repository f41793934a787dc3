#!/usr/bin/env bash
# The whole test suite, as CI runs it. Needs only Go (and the C compiler Go's cgo uses,
# which a Go machine has); modules come from the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [[ -n "$unformatted" ]]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test"
go test -count=1 -timeout 20m ./...

echo "== go test -race (store, API, auth and audit: the concurrency-critical packages)"
go test -count=1 -race -timeout 30m ./store/... ./api/... ./auth/... ./audit/...
