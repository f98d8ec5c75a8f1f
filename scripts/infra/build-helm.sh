#!/usr/bin/env bash
# Build helm (v4) from the Go module proxy into the Busbar cache; the deploy tests run
# `helm lint --strict` and `helm template` with it (deploy/helm/busbar).
#
#   scripts/infra/build-helm.sh               -> prints the path of the binary
#   BUSBAR_HELM_VERSION=4.3.2 scripts/infra/build-helm.sh
#
# Output: ${BUSBAR_CACHE_DIR:-$HOME/.cache/busbar}/helm/<version>/helm (skipped if present).
# Needs: go >= the module's go directive. Cold cost on a 2-core machine: about 2 min, 1.3 GB peak
# memory, a 120 MB binary. `GOFLAGS=-mod=mod` because `go install pkg@version` must resolve the
# module's dependencies itself; they are checked against helm's go.sum.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"
VERSION="$BUSBAR_HELM_VERSION"
OUT="$BUSBAR_HELM_BIN"
DEST_DIR="$(dirname "$OUT")"

if [[ -x "$OUT" ]]; then
  echo "$OUT"
  exit 0
fi
command -v go >/dev/null || { echo "build-helm: 'go' not found on PATH" >&2; exit 1; }

mkdir -p "$DEST_DIR"
TMP_BIN="$(mktemp -d "$DEST_DIR/gobin.XXXXXX")"
trap 'rm -rf "$TMP_BIN"' EXIT
echo "build-helm: go install helm.sh/helm/v4/cmd/helm@v$VERSION (cold: ~2 min)" >&2
GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -mod=mod -buildvcs=false" GOBIN="$TMP_BIN" \
  go install -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=v$VERSION" "helm.sh/helm/v4/cmd/helm@v$VERSION"
mv "$TMP_BIN/helm" "$OUT"
"$OUT" version --short >&2 || true
echo "$OUT"
