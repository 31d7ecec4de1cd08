#!/usr/bin/env bash
# Starts a local nats-server with JetStream for trying wisp's cluster mode (README "Running on several nodes").
#   scripts/nats-dev.sh [port]      default port 4222; data in ${WISP_NATS_DIR:-/tmp/wisp-nats}; Ctrl+C stops it
# Install the server first: apt-get install nats-server (Debian/Ubuntu).
set -euo pipefail
port="${1:-4222}"
dir="${WISP_NATS_DIR:-/tmp/wisp-nats}"
server="$(command -v nats-server || echo /usr/sbin/nats-server)"
[ -x "$server" ] || { echo "nats-server not found: apt-get install nats-server" >&2; exit 1; }
mkdir -p "$dir"
echo "nats://127.0.0.1:$port  (JetStream data in $dir)" >&2
exec "$server" -a 127.0.0.1 -p "$port" -js -sd "$dir"
