#!/usr/bin/env bash
# `npm run demo [-- --once] [-- --without-arbin|--without-maccor|--without-corus|--without-basytec|--without-rig]`: the whole
# pipeline on this machine (Kafka, InfluxDB, an SMTP sink, a simulated Modbus power supply, Arbin
# cycler, Maccor tester, Corus gas volume converter, BaSyTec test system and battery safety rig (its
# BMS and PCS are Python peers: skipped without the peers venv), every service as its own process), a short
# scenario that prints where to look, then it keeps running until Ctrl-C (or stops after the
# scenario with --once).
# Needs `npm run setup` once (servers in the cache, dependencies). See deploy/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node-env.sh
# the services run from their dist/: build them (cached by turbo when nothing changed)
npx turbo run build --output-logs=errors-only \
  --filter=@busbar/collector-modbus --filter=@busbar/collector-arbin --filter=@busbar/collector-maccor \
  --filter=@busbar/collector-corus --filter=@busbar/collector-basytec --filter=@busbar/collector-safety-rig --filter=@busbar/historian --filter=@busbar/alerter --filter=@busbar/commander >&2
# (kafkajs 2.2.4 schedules a negative timeout on Node >= 24: harmless, silenced)
exec npx tsx --disable-warning=TimeoutNegativeWarning --conditions=@busbar/source deploy/local/demo.ts "$@"
