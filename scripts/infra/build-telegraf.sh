#!/usr/bin/env bash
# Build Telegraf (only the plugins the side-by-side benchmark uses) from the Go module proxy into
# the Busbar cache; used by `npm run bench:compare` (scripts/bench-compare.ts), never by tests.
#
#   scripts/infra/build-telegraf.sh            -> prints the path of the binary
#   BUSBAR_TELEGRAF_VERSION=1.37.2 scripts/infra/build-telegraf.sh
#
# Output: ${BUSBAR_CACHE_DIR:-$HOME/.cache/busbar}/telegraf/<version>/telegraf (skipped if present).
# Needs: go >= the module's go directive. Cold cost on a 2-core machine: a few minutes.
# Build tags `custom,inputs.kafka_consumer,outputs.influxdb_v2,parsers.influx,serializers.influx`
# keep only the Kafka input, the InfluxDB v2 output and the line-protocol parser (Telegraf's
# custom-build mechanism). Its Kafka input needs `version = "3.9.0"` in its configuration to read
# from Kafka 4.x (the benchmark writes it).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"
VERSION="$BUSBAR_TELEGRAF_VERSION"
OUT="$BUSBAR_TELEGRAF_BIN"
DEST_DIR="$(dirname "$OUT")"

if [[ -x "$OUT" ]]; then
  echo "$OUT"
  exit 0
fi
command -v go >/dev/null || { echo "build-telegraf: 'go' not found on PATH" >&2; exit 1; }
mkdir -p "$DEST_DIR"
echo "build-telegraf: go install github.com/influxdata/telegraf/cmd/telegraf@v$VERSION (long the first time)" >&2
GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false" GOBIN="$DEST_DIR/bin.tmp" \
  go install -ldflags "-s -w" -tags "custom,inputs.kafka_consumer,outputs.influxdb_v2,parsers.influx,serializers.influx" \
  "github.com/influxdata/telegraf/cmd/telegraf@v$VERSION"
mv "$DEST_DIR/bin.tmp/telegraf" "$OUT"
rm -rf "$DEST_DIR/bin.tmp"
"$OUT" --version >&2 || true
echo "$OUT"
