#!/usr/bin/env bash
# Creates the PyProBE virtual environment (scripts/peers/requirements-pyprobe.txt) at
# $BUSBAR_CACHE_DIR/pyprobe-venv/<hash of requirements>, and links it as .venv/pyprobe in the repo.
# Kept apart from the shared peers venv because pyprobe-data pulls ~100 packages (~1.3 GB); only the
# BaSyTec cross-check test uses it, finding its interpreter through BUSBAR_PYPROBE_PYTHON or that link.
# Set BUSBAR_SKIP_PYPROBE=1 to skip it (the cross-check test then reports itself skipped).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${BUSBAR_SKIP_PYPROBE:-0}" = "1" ]; then
  echo "busbar: BUSBAR_SKIP_PYPROBE=1, not creating the PyProBE venv" >&2
  exit 0
fi
cache="${BUSBAR_CACHE_DIR:-$HOME/.cache/busbar}"
req=scripts/peers/requirements-pyprobe.txt
key=$(sha256sum "$req" | cut -c1-12)
venv="$cache/pyprobe-venv/$key"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  echo "busbar: creating PyProBE venv at $venv (about 1.3 GB)" >&2
  start=$(date +%s)
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet -r "$req"
  "$venv/bin/python" -c 'import pyprobe' 
  touch "$venv/.complete"
  echo "busbar: PyProBE venv ready in $(( $(date +%s) - start )) s" >&2
fi
mkdir -p .venv
ln -sfn "$venv" .venv/pyprobe
echo "busbar: PyProBE python: .venv/pyprobe/bin/python" >&2
