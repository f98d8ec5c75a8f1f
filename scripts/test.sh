#!/usr/bin/env bash
# The test command (README "Tests"): typecheck, lint, unused-export check, then every Vitest test, unit and integration,
# against the real servers (Kafka, InfluxDB, SMTP) and peers (pymodbus...) that setup installed.
# Ends with a plain summary line "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node-env.sh
npx turbo run typecheck
npx tsc -p tsconfig.json
npx tsc -p deploy/local/tsconfig.json
npx tsc -p deploy/grafana/tsconfig.json
npx tsx deploy/grafana/generate.ts --check
# type-aware lint of every workspace in one process: about 5.5 GB at its peak, above Node's default heap limit
NODE_OPTIONS="${NODE_OPTIONS:-} --max-old-space-size=8192" npx eslint .
# services run from dist/ in the demo test: build what changed (turbo caches the rest)
npx turbo run build --output-logs=errors-only
# unused exports, files and dependencies (knip.jsonc); after the build so that workspace imports
# resolved to dist/ map back to src/ (--tsConfig names each workspace's tsconfig with rootDir/outDir)
npm run --silent knip
mkdir -p .busbar
status=0
# the fault suite (test/faults, project `faults`) runs on its own: `npm run test:faults` (CI runs it after this)
npx vitest run --project unit --project integration --reporter=default --reporter=json --outputFile.json=.busbar/vitest-report.json "$@" || status=$?
node -e '
const r = JSON.parse(require("fs").readFileSync(".busbar/vitest-report.json", "utf8"));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' || true
exit "$status"
