#!/usr/bin/env bash
# `npm run bench:footprint [-- flags]`: the collectors at about 1,000 channels at 1 Hz against their
# simulators, RSS/CPU sampled every second, one heap snapshot each (scripts/bench-footprint.ts; flags
# there: --duration 60 --warmup 15 --rounds 1 --only arbin,modbus,maccor --variant label=<node options>
# --no-snapshot --no-idle); then the historian and the alerter idle. Builds the services first (they run
# from dist/). Loopback only; about 2 min a round, 1.5 min the idle round.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node-env.sh
npx turbo run build --output-logs=errors-only --filter=@busbar/collector-arbin --filter=@busbar/collector-modbus --filter=@busbar/collector-maccor --filter=@busbar/historian --filter=@busbar/alerter >&2
exec npx tsx --disable-warning=TimeoutNegativeWarning --conditions=@busbar/source scripts/bench-footprint.ts "$@"
