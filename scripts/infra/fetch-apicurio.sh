#!/usr/bin/env bash
# Build Apicurio Registry (Confluent-compatible schema registry API) from Maven Central into the
# Busbar cache, as a Quarkus fast-jar.
#
#   scripts/infra/fetch-apicurio.sh      -> prints the registry home: <cache>/apicurio/<version>
#
# Layout written (skipped when <home>/.complete exists):
#   <home>/quarkus-app/quarkus-run.jar   start: java -jar quarkus-run.jar (packages/testkit startSchemaRegistry)
# Steps: copy scripts/infra/apicurio/pom.xml into <home>/build; resolve the app jar and take its own
# application.properties, with the package type changed from legacy-jar to fast-jar; `mvn package`;
# keep target/quarkus-app; delete the build directory.
# Needs: java >= 17 (with `jar`), mvn. Cold cost: see scripts/infra/README.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"
VERSION="$BUSBAR_APICURIO_VERSION"
HOME_DIR="$BUSBAR_APICURIO_HOME"

if [[ -f "$HOME_DIR/.complete" ]]; then
  echo "$HOME_DIR"
  exit 0
fi

for tool in java jar mvn; do
  command -v "$tool" >/dev/null || { echo "fetch-apicurio: '$tool' not found on PATH" >&2; exit 1; }
done

BUILD="$HOME_DIR/build"
rm -rf "$BUILD" "$HOME_DIR/quarkus-app"
mkdir -p "$BUILD/src/main/resources"
sed "s|<apicurio.version>[^<]*</apicurio.version>|<apicurio.version>$VERSION</apicurio.version>|" "$HERE/apicurio/pom.xml" > "$BUILD/pom.xml"

echo "fetch-apicurio: resolving io.apicurio:apicurio-registry-app:$VERSION from Maven Central" >&2
mvn -B -q -Dstyle.color=never dependency:copy \
  -Dartifact="io.apicurio:apicurio-registry-app:$VERSION:jar" \
  -DoutputDirectory="$BUILD/app" >&2
(cd "$BUILD/app" && jar xf "apicurio-registry-app-$VERSION.jar" application.properties)
sed 's/^%prod\.quarkus\.package\.type=legacy-jar$/%prod.quarkus.package.type=fast-jar/' \
  "$BUILD/app/application.properties" > "$BUILD/src/main/resources/application.properties"
grep -q '^%prod.quarkus.package.type=fast-jar$' "$BUILD/src/main/resources/application.properties" \
  || { echo "fetch-apicurio: the app's application.properties has no %prod.quarkus.package.type=legacy-jar line to change" >&2; exit 1; }

echo "fetch-apicurio: building the Quarkus fast-jar (mvn package)" >&2
(cd "$BUILD" && mvn -B -q -Dstyle.color=never -DskipTests package >&2)
mv "$BUILD/target/quarkus-app" "$HOME_DIR/quarkus-app"
rm -rf "$BUILD"
test -f "$HOME_DIR/quarkus-app/quarkus-run.jar"
touch "$HOME_DIR/.complete"
echo "$HOME_DIR"
