#!/usr/bin/env bash
# One-time setup of a fresh clone: Node >= 22, npm dependencies, the real servers the tests and the
# demo use (Kafka jars, influxd, SMTP comes from npm), the Python peers' virtual environment, and a build.
# Idempotent: cached artefacts live in $BUSBAR_CACHE_DIR (default ~/.cache/busbar).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node-env.sh
echo "busbar: node $(node --version), npm $(npm --version)"
npm ci --no-audit --no-fund
bash scripts/infra/fetch-all.sh
bash scripts/peers/setup-venv.sh
npx turbo run build
