#!/usr/bin/env bash
# Build InfluxDB OSS 2.x `influxd` from the Go module proxy (no UI assets) into the Busbar cache.
#
#   scripts/infra/build-influxd.sh            -> prints the path of the binary
#   BUSBAR_INFLUXD_VERSION=2.7.12 scripts/infra/build-influxd.sh
#
# Output: ${BUSBAR_CACHE_DIR:-$HOME/.cache/busbar}/influxd/<version>/influxd (skipped if present).
# Needs: go >= the module's go directive, cargo (rustup stable), a C compiler.
# Cold cost on a 2-core machine: see scripts/infra/README.md.
#
# How it works:
#  - `go mod download` fetches the influxdb module; its go.mod has a `replace` directive, so
#    `go install pkg@version` refuses it: we copy the module into a writable build dir and
#    `go build ./cmd/influxd` there (the module's own go.sum verifies every dependency).
#  - flux's Rust library (libflux) is compiled by influxdata's pkg-config wrapper, which Go
#    invokes through $PKG_CONFIG. flux pins Rust 1.72 via rust-toolchain.toml, which cannot be
#    fetched here: RUSTUP_TOOLCHAIN=stable overrides it. flux-core has
#    `#![cfg_attr(feature = "strict", deny(warnings))]` and today's rustc warns more (dead_code,
#    mismatched_lifetime_syntaxes): lints must be capped at "warn". RUSTFLAGS is NOT enough:
#    the wrapper builds with `--target <triple>`, and flux-core is also compiled for the host as
#    a build-dependency, which RUSTFLAGS does not reach then. So a RUSTC_WRAPPER appends
#    `--cap-lints=warn` to every rustc call that has no --cap-lints of its own.
#  - Built without the `assets` tag: the HTTP API (/api/v2/*, /health, /ping) is complete,
#    only the browser UI answers 404.
#  - GOSUMDB=off only for the download of the influxdb module itself: the checksum database
#    is not reachable here (the proxy answers 404 for its lookup). Dependencies are still
#    checked against the module's go.sum.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"
VERSION="$BUSBAR_INFLUXD_VERSION"
OUT="$BUSBAR_INFLUXD_BIN"
DEST_DIR="$(dirname "$OUT")"
MODULE="github.com/influxdata/influxdb/v2"

if [[ -x "$OUT" ]]; then
  echo "$OUT"
  exit 0
fi

for tool in go cargo cc; do
  command -v "$tool" >/dev/null || { echo "build-influxd: '$tool' not found on PATH" >&2; exit 1; }
done

mkdir -p "$DEST_DIR"
BUILD="$DEST_DIR/build"
TOOLS="$DEST_DIR/tools"
rm -rf "$BUILD"
mkdir -p "$BUILD" "$TOOLS"

export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
export RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-stable}"
export CARGO_NET_RETRY=5

log() { echo "build-influxd: $*" >&2; }

log "downloading $MODULE@v$VERSION"
json="$(GOSUMDB=off go mod download -json "$MODULE@v$VERSION")"
src="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
if [[ -z "$src" || ! -d "$src" ]]; then
  log "go mod download failed:"; printf '%s\n' "$json" >&2; exit 1
fi

cp -r "$src/." "$BUILD/"
chmod -R u+w "$BUILD"
cd "$BUILD"

# The pkg-config wrapper at the version influxdb pins.
pcver="$(awk '$1=="github.com/influxdata/pkg-config" {print $2; exit}' go.mod)"
log "installing github.com/influxdata/pkg-config@$pcver"
GOBIN="$TOOLS" go install "github.com/influxdata/pkg-config@$pcver"
export PKG_CONFIG="$TOOLS/pkg-config"
cat > "$TOOLS/rustc-cap-lints" <<'WRAP'
#!/usr/bin/env bash
# RUSTC_WRAPPER: cap lints at "warn" unless cargo already capped them (it passes
# --cap-lints=allow for registry crates, and rustc refuses the option twice).
rustc="$1"; shift
for a in "$@"; do case "$a" in --cap-lints*) exec "$rustc" "$@" ;; esac; done
exec "$rustc" "$@" --cap-lints=warn
WRAP
chmod +x "$TOOLS/rustc-cap-lints"
export RUSTC_WRAPPER="$TOOLS/rustc-cap-lints"
export PATH="$TOOLS:$PATH"

commit="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Hash": "\(.*\)",\{0,1\}$/\1/p' | cut -c1-10)"
log "go build ./cmd/influxd (first run compiles libflux with cargo and all Go deps; long)"
go build \
  -tags 'sqlite_foreign_keys,sqlite_json' \
  -ldflags "-s -w -X main.version=v$VERSION -X main.commit=${commit:-unknown}" \
  -o "$OUT.tmp" ./cmd/influxd
mv "$OUT.tmp" "$OUT"
"$OUT" version >&2 || true
cd "$DEST_DIR" && rm -rf "$BUILD"
echo "$OUT"
