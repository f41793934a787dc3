#!/usr/bin/env bash
# Regenerates the OpenAPI description in api/openapi/ (swagger.json, served at
# /docs/doc.json, and swagger.yaml) from the swag annotations in api/docs.go and above the
# handlers in api/handlers_*.go. swag is pinned and run with go run: nothing to install.
# Only JSON and YAML are written: api embeds swagger.json (see api/docs.go), so swag's
# generated Go package is not needed. swag fmt is not run: it rewrites code lines too.
set -euo pipefail
cd "$(dirname "$0")/.."

SWAG=github.com/swaggo/swag/cmd/swag@v1.16.6

go run "$SWAG" init \
  --quiet \
  --dir api \
  --generalInfo docs.go \
  --output api/openapi \
  --outputTypes json,yaml \
  --parseGoList=false
echo "wrote api/openapi/swagger.json and api/openapi/swagger.yaml"
