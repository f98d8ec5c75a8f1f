# Source me: paths and pinned versions of the local real servers used by tests, the demo and CI.
#   source scripts/infra/env.sh
# Heavy artefacts live outside the repo, keyed by version, so only the first run pays.
export BUSBAR_CACHE_DIR="${BUSBAR_CACHE_DIR:-$HOME/.cache/busbar}"
export BUSBAR_KAFKA_VERSION="${BUSBAR_KAFKA_VERSION:-4.3.1}"
export BUSBAR_INFLUXD_VERSION="${BUSBAR_INFLUXD_VERSION:-2.8.0}"
export BUSBAR_KAFKA_HOME="$BUSBAR_CACHE_DIR/kafka/$BUSBAR_KAFKA_VERSION"
export BUSBAR_INFLUXD_BIN="$BUSBAR_CACHE_DIR/influxd/$BUSBAR_INFLUXD_VERSION/influxd"
export BUSBAR_HELM_VERSION="${BUSBAR_HELM_VERSION:-4.3.2}"
export BUSBAR_HELM_BIN="$BUSBAR_CACHE_DIR/helm/$BUSBAR_HELM_VERSION/helm"
export BUSBAR_APICURIO_VERSION="${BUSBAR_APICURIO_VERSION:-2.4.2.Final}"
export BUSBAR_APICURIO_HOME="$BUSBAR_CACHE_DIR/apicurio/$BUSBAR_APICURIO_VERSION"
export BUSBAR_CONNECT_HOME="$BUSBAR_CACHE_DIR/connect/$BUSBAR_KAFKA_VERSION-apicurio-$BUSBAR_APICURIO_VERSION"
