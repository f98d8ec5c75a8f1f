#!/usr/bin/env bash
# `npm run bench [-- --pipeline-only] [-- pipeline flags]`: every workspace's `bench` script
# (turbo task `bench`), then the pipeline benchmark deploy/local/bench-pipeline.ts
# (simulated Modbus devices → collector → Kafka → historian → InfluxDB, loopback only).
# Pipeline flags: --devices N --hz F --duration S (see deploy/README.md). Figures are printed;
# the pipeline's JSON goes to .busbar/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node-env.sh
packages=1
pipeline_args=()
for a in "$@"; do
  if [ "$a" = "--pipeline-only" ]; then packages=0; else pipeline_args+=("$a"); fi
done
if [ "$packages" = 1 ]; then
  npx turbo run bench --concurrency=1
fi
npx turbo run build --output-logs=errors-only --filter=@busbar/collector-modbus --filter=@busbar/historian >&2
exec npx tsx --disable-warning=TimeoutNegativeWarning --conditions=@busbar/source deploy/local/bench-pipeline.ts "${pipeline_args[@]}"
