#!/usr/bin/env bash
# Starts podman's Docker-compatible API (no daemon besides this process) on a unix socket, with the
# storage of scripts/image/env.sh, so Docker clients (testcontainers...) can use the local images.
#
#   bash scripts/image/podman-service.sh [SOCKET]      # default .busbar/podman/podman.sock; runs until killed
#   DOCKER_HOST=unix://$PWD/.busbar/podman/podman.sock TESTCONTAINERS_RYUK_DISABLED=true <client>
#
# Tried with testcontainers 11.14 (deploy/README.md, "testcontainers"): a GenericContainer of
# localhost/busbar starts, its mapped port answers and it stops, given
#  - deploy/image/containers.conf (default ulimits runc accepts here),
#  - TESTCONTAINERS_RYUK_DISABLED=true (the reaper image testcontainers/ryuk cannot be pulled here),
#  - every port the image EXPOSEs passed to withExposedPorts: podman 4.3 lists unpublished EXPOSEd
#    ports in HostConfig.PortBindings with a null binding, and testcontainers waits for all of them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=env.sh
. "$ROOT/scripts/image/env.sh"
SOCKET="${1:-$ROOT/.busbar/podman/podman.sock}"
mkdir -p "$(dirname "$SOCKET")" "$ROOT/.busbar/podman/tmp"
echo "podman-service: DOCKER_HOST=unix://$SOCKET" >&2
export CONTAINERS_CONF="$ROOT/deploy/image/containers.conf"
exec podman "${BUSBAR_CONTAINER_FLAGS[@]}" --cgroup-manager cgroupfs --events-backend file --tmpdir "$ROOT/.busbar/podman/tmp" --runtime runc \
  system service --time=0 "unix://$SOCKET"
