#!/usr/bin/env bash
# `npm run bench:compare [-- flags]`: the historian against Telegraf and a raw line-protocol writer
# on the same Kafka topic contents and the same InfluxDB (scripts/bench-compare.ts; flags there:
# --readings 200000 --rounds 3 --partitions 4 --only historian,telegraf,raw
# --historian-node-args=--max-semi-space-size=4 --historian-env BUSBAR_PIPELINE__...=...).
# Builds Telegraf from the Go module proxy into the cache first (scripts/infra/build-telegraf.sh)
# and the historian (it runs from dist/). Loopback only; bounded by --readings and --timeout-s.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node-env.sh
telegraf="$(bash scripts/infra/build-telegraf.sh)"
npx turbo run build --output-logs=errors-only --filter=@busbar/historian >&2
exec npx tsx --disable-warning=TimeoutNegativeWarning --conditions=@busbar/source scripts/bench-compare.ts --telegraf "$telegraf" "$@"
