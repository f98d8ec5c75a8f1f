#!/usr/bin/env bash
# Fetch the jars of Apache Kafka (KRaft, single node) from Maven Central into the Busbar cache.
#
#   scripts/infra/fetch-kafka.sh      -> prints the Kafka home: <cache>/kafka/<version>
#
# Layout written (skipped when <home>/.complete exists):
#   <home>/libs/*.jar            runtime classpath of kafka.Kafka and kafka.tools.StorageTool
#   <home>/log4j2.properties     logging config (copied from scripts/infra/kafka/)
# Needs: java >= 17 (Kafka 4 broker), mvn.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"
VERSION="$BUSBAR_KAFKA_VERSION"
HOME_DIR="$BUSBAR_KAFKA_HOME"

if [[ -f "$HOME_DIR/.complete" ]]; then
  echo "$HOME_DIR"
  exit 0
fi

for tool in java mvn; do
  command -v "$tool" >/dev/null || { echo "fetch-kafka: '$tool' not found on PATH" >&2; exit 1; }
done

rm -rf "$HOME_DIR/libs"
mkdir -p "$HOME_DIR/libs"
echo "fetch-kafka: resolving org.apache.kafka:kafka_2.13:$VERSION from Maven Central" >&2
mvn -B -q -Dstyle.color=never -f "$HERE/kafka/pom.xml" \
  -Dkafka.version="$VERSION" \
  -DoutputDirectory="$HOME_DIR/libs" \
  dependency:copy-dependencies >&2
cp "$HERE/kafka/log4j2.properties" "$HOME_DIR/log4j2.properties"

ls "$HOME_DIR/libs"/kafka_2.13-"$VERSION".jar >/dev/null
# Smoke check: the main classes load on this JVM.
java -cp "$HOME_DIR/libs/*" kafka.tools.StorageTool random-uuid >/dev/null
touch "$HOME_DIR/.complete"
echo "$HOME_DIR"
