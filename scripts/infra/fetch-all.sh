#!/usr/bin/env bash
# Fetch/build every real server the tests, the demo and CI use, into the Busbar cache
# (${BUSBAR_CACHE_DIR:-$HOME/.cache/busbar}, keyed by version). Idempotent: a second run only checks.
#
#   bash scripts/infra/fetch-all.sh
#
# Cold cost on the 2-core CI machine: Kafka jars ~15 s, influxd ~4 min (Go + Rust compile),
# Apicurio Registry ~2 min (Maven build, ~230 MB into ~/.m2), Kafka Connect + converter ~15 s;
# warm: about a second. SMTP needs nothing here (npm smtp-server, started in-process).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

step() {
  local name="$1"; shift
  local t0=$SECONDS
  echo "fetch-all: $name ..." >&2
  local out
  out="$("$@")"
  echo "fetch-all: $name ready in $((SECONDS - t0)) s: $out" >&2
}

step kafka bash "$HERE/fetch-kafka.sh"
step influxd bash "$HERE/build-influxd.sh"
step helm bash "$HERE/build-helm.sh"
step schema-registry bash "$HERE/fetch-apicurio.sh"
step kafka-connect bash "$HERE/fetch-connect.sh"
