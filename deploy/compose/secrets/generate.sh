#!/usr/bin/env bash
# Creates the Compose secrets (files next to this script) if they do not exist:
#   influx-password  InfluxDB admin password (the web UI login of user "busbar")
#   influx-token     InfluxDB admin token (the historian reads it as influx.tokenFile)
# The files are ignored by git. Keep a copy with your backups: the token is needed to read InfluxDB.
set -euo pipefail
cd "$(dirname "$0")"
umask 077
for name in influx-password influx-token; do
  if [[ ! -s "$name" ]]; then
    head -c 32 /dev/urandom | base64 | tr -d '\n/+=' > "$name"
    echo "created $(pwd)/$name"
  fi
done
# Compose bind-mounts each file with its host owner and mode: the files must be readable by the
# services' user (uid 10001 in the image), so 0644, and this directory 0700 keeps others out.
chmod 0700 .
chmod 0644 influx-password influx-token
