#!/usr/bin/env bash
# One-time setup of a fresh clone: Node >= 22, npm dependencies, the real servers the tests and the
# demo use (Kafka jars, influxd, SMTP comes from npm), the Python peers' virtual environment, and a build.
# Idempotent: cached artefacts live in $BUSBAR_CACHE_DIR (default ~/.cache/busbar).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node-env.sh
echo "busbar: node $(node --version), npm $(npm --version)"
# `npm install` rather than `npm ci`: the registry mirror this project is built against serves only the
# linux builds of platform packages (turbo, rolldown...), so the lock file cannot list the others and
# `npm ci` refuses it as out of sync. `npm install` follows the lock file for everything it lists.
npm install --no-audit --no-fund
bash scripts/infra/apt-install.sh
bash scripts/infra/fetch-all.sh
bash scripts/peers/setup-venv.sh
bash scripts/peers/setup-pyprobe-venv.sh
npx turbo run build
# the workspace bins (busbar, busbar-<service>) point into dist/, which npm install did not find on a
# fresh clone: link them now (node_modules/.bin; README "Send a command from the shell")
npm rebuild --ignore-scripts >/dev/null
