#!/usr/bin/env bash
# The test command (README "Tests"): typecheck, lint, then every Vitest test, unit and integration,
# against the real servers (Kafka, InfluxDB, SMTP) and peers (pymodbus...) that setup installed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node-env.sh
npx turbo run typecheck
npx eslint .
npx vitest run "$@"
