#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/infra/apt/*.txt (one name per line, '#' comments)
# when any of them is missing. Needs root (CI and the developers' machines run as root); prints what
# it installs. Idempotent and cheap when everything is present (one dpkg query).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
shopt -s nullglob
lists=("$HERE"/apt/*.txt)
[ ${#lists[@]} -eq 0 ] && exit 0
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "${lists[@]}" | grep -v '^$' | sort -u)
[ ${#wanted[@]} -eq 0 ] && exit 0
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "apt-install: all ${#wanted[@]} Debian packages present" >&2
  exit 0
fi
echo "apt-install: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
