#!/usr/bin/env bash
# Creates the Python virtual environment with the interop peers (scripts/peers/requirements.txt)
# at $BUSBAR_CACHE_DIR/peers-venv/<hash of requirements>, and links it as .venv/peers in the repo.
# Tests find its interpreter through BUSBAR_PEERS_PYTHON or that link.
set -euo pipefail
cd "$(dirname "$0")/../.."
cache="${BUSBAR_CACHE_DIR:-$HOME/.cache/busbar}"
req=scripts/peers/requirements.txt
key=$(sha256sum "$req" | cut -c1-12)
venv="$cache/peers-venv/$key"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  echo "busbar: creating peers venv at $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet -r "$req"
  touch "$venv/.complete"
fi
mkdir -p .venv
ln -sfn "$venv" .venv/peers
echo "busbar: peers python: .venv/peers/bin/python" >&2
