#!/usr/bin/env bash
# Starts a throwaway NATS server with JetStream for tests on 127.0.0.1:54222 and prints its URL as
# the last line of stdout:
#   nats://127.0.0.1:54222
# Installs the nats-server pinned in scripts/pins.env from the Go module proxy (`go install`, about a minute on 2 cores)
# when the one on PATH or in $(go env GOPATH)/bin is missing or another version, and starts it
# detached, with its store and log under a temporary directory. Loopback only. Non-interactive and
# idempotent: a second call finds the running server and only prints the URL. Diagnostics go to
# stderr. GOGEN_NATS_PORT and GOGEN_NATS_DIR override the port and the directory.
set -euo pipefail

# shellcheck source=../scripts/pins.env
source "$(dirname "$0")/../scripts/pins.env"
VERSION="$NATS_SERVER"
PORT="${GOGEN_NATS_PORT:-54222}"
BASE="${GOGEN_NATS_DIR:-${TMPDIR:-/tmp}/gogen-nats}"
URL="nats://127.0.0.1:${PORT}"

log() { echo "start-nats: $*" >&2; }

# serving succeeds when a NATS server with JetStream greets us on the port: its first line is
# `INFO {...}` and names jetstream.
serving() {
  local line
  # In a subshell, so that the descriptor and the silenced stderr stay there.
  line=$( { exec 3<>"/dev/tcp/127.0.0.1/${PORT}" && IFS= read -r -t 2 l <&3 && printf '%s' "$l"; } 2>/dev/null ) || return 1
  [[ "$line" == INFO* && "$line" == *'"jetstream":true'* ]]
}

if serving; then
  log "a NATS server with JetStream already listens on 127.0.0.1:${PORT}"
  echo "$URL"
  exit 0
fi

export PATH="$(go env GOPATH)/bin:$PATH"
if ! nats-server --version 2>/dev/null | grep -qx "nats-server: ${VERSION}"; then
  log "installing nats-server ${VERSION} from the Go module proxy"
  GOFLAGS= GOTOOLCHAIN=local go install "github.com/nats-io/nats-server/v2@${VERSION}"
fi

mkdir -p "$BASE/store"
# JetStream reserves each stream's MaxBytes against the server's storage limit up front (the service
# bounds its dead-letter stream and its bucket of processed ids at 256 MiB each), and by default that
# limit is a share of the free disk: with a few dozen tests in parallel, stream creation failed with
# "insufficient storage resources". The tests store little, so the limit is raised, not the disk.
cat >"$BASE/nats.conf" <<CONF
jetstream {
  store_dir: "$BASE/store"
  max_file_store: 1TB
  max_memory_store: 1GB
}
CONF
log "starting nats-server on 127.0.0.1:${PORT} (store and log in $BASE)"
# setsid: the server outlives this script, like the PostgreSQL that start-postgres.sh starts.
setsid nats-server -c "$BASE/nats.conf" -a 127.0.0.1 -p "$PORT" -js -P "$BASE/nats.pid" \
  -l "$BASE/server.log" </dev/null >/dev/null 2>&1 &

for _ in $(seq 1 100); do
  if serving; then
    echo "$URL"
    exit 0
  fi
  sleep 0.2
done
log "nats-server did not come up; its log:"
cat "$BASE/server.log" >&2 || true
exit 1
