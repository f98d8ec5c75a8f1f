# Source me: where the Busbar image is built and stored on this machine (no Docker engine, no daemon).
# buildah, podman and skopeo all take the same storage flags: "${BUSBAR_CONTAINER_FLAGS[@]}".
#   source scripts/image/env.sh
# Storage: vfs (works on any filesystem and inside containers; copies every layer: slower, larger).
export BUSBAR_CACHE_DIR="${BUSBAR_CACHE_DIR:-$HOME/.cache/busbar}"
export BUSBAR_IMAGE_VERSION="${BUSBAR_IMAGE_VERSION:-0.1.0}"
export BUSBAR_IMAGE="${BUSBAR_IMAGE:-localhost/busbar:$BUSBAR_IMAGE_VERSION}"
export BUSBAR_CONTAINERS_ROOT="${BUSBAR_CONTAINERS_ROOT:-$BUSBAR_CACHE_DIR/containers/storage}"
export BUSBAR_CONTAINERS_RUNROOT="${BUSBAR_CONTAINERS_RUNROOT:-$BUSBAR_CACHE_DIR/containers/run}"
BUSBAR_CONTAINER_FLAGS=(--root "$BUSBAR_CONTAINERS_ROOT" --runroot "$BUSBAR_CONTAINERS_RUNROOT" --storage-driver vfs)
