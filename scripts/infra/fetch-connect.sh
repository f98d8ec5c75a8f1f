#!/usr/bin/env bash
# Fetch a Kafka Connect standalone worker (connect-runtime, connect-file) and Apicurio Registry's
# Avro converter from Maven Central into the Busbar cache: the interop peer of the Confluent framing.
#
#   scripts/infra/fetch-connect.sh      -> prints <cache>/connect/<kafka>-apicurio-<apicurio>
#
# Layout written (skipped when <home>/.complete exists): <home>/libs/*.jar, the classpath of
# org.apache.kafka.connect.cli.ConnectStandalone. Needs: java >= 17, mvn.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"
HOME_DIR="$BUSBAR_CONNECT_HOME"

if [[ -f "$HOME_DIR/.complete" ]]; then
  echo "$HOME_DIR"
  exit 0
fi
for tool in java mvn; do
  command -v "$tool" >/dev/null || { echo "fetch-connect: '$tool' not found on PATH" >&2; exit 1; }
done
rm -rf "$HOME_DIR/libs"
mkdir -p "$HOME_DIR/libs"
echo "fetch-connect: resolving connect-runtime $BUSBAR_KAFKA_VERSION + apicurio-registry-utils-converter $BUSBAR_APICURIO_VERSION" >&2
mvn -B -q -Dstyle.color=never -f "$HERE/connect/pom.xml" \
  -Dkafka.version="$BUSBAR_KAFKA_VERSION" -Dapicurio.version="$BUSBAR_APICURIO_VERSION" \
  -DoutputDirectory="$HOME_DIR/libs" \
  dependency:copy-dependencies >&2
ls "$HOME_DIR/libs"/connect-runtime-"$BUSBAR_KAFKA_VERSION".jar "$HOME_DIR/libs"/apicurio-registry-utils-converter-"$BUSBAR_APICURIO_VERSION".jar >/dev/null
touch "$HOME_DIR/.complete"
echo "$HOME_DIR"
