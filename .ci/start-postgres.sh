#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for tests on 127.0.0.1:55432 and prints its URL as the
# last line of stdout:
#   postgres://gogen:gogen@127.0.0.1:55432/postgres?sslmode=disable
# For Debian 12 as root (CI's fresh machine): installs Debian's postgresql if it is missing,
# creates a cluster under a temporary directory owned by the postgres user and starts it with
# pg_ctl (unix sockets stay in that directory). Non-interactive and idempotent: a second call
# finds the running server and only prints the URL. Diagnostics go to stderr.
set -euo pipefail

PORT=55432
ROLE=gogen
PASSWORD=gogen
BASE="${GOGEN_PG_DIR:-${TMPDIR:-/tmp}/gogen-postgres}"
URL="postgres://${ROLE}:${PASSWORD}@127.0.0.1:${PORT}/postgres?sslmode=disable"

log() { echo "start-postgres: $*" >&2; }

pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -n "$dir" && -x "$dir/pg_ctl" ]]; then
    echo "$dir"
  elif command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
  fi
}

BIN=$(pg_bindir)
if [[ -z "$BIN" ]] || ! command -v psql >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]]; then
    log "PostgreSQL is not installed; run as root or install the postgresql package"
    exit 1
  fi
  log "installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  BIN=$(pg_bindir)
fi

# Run a server binary as the cluster owner: initdb and postgres refuse to run as root.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" >/dev/null 2>&1; }

if ready; then
  log "a server already listens on 127.0.0.1:${PORT}"
else
  if [[ $(id -u) -eq 0 ]]; then
    mkdir -p "$BASE"
    chown postgres:postgres "$BASE"
    chmod 0700 "$BASE"
  else
    mkdir -p -m 0700 "$BASE"
  fi
  if [[ ! -s "$BASE/data/PG_VERSION" ]]; then
    log "creating a cluster in $BASE/data"
    rm -rf "$BASE/data"
    pwfile="$BASE/pw"
    as_owner sh -c "umask 077; echo '$PASSWORD' > '$pwfile'"
    as_owner "$BIN/initdb" -D "$BASE/data" -U postgres --pwfile="$pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >&2
    rm -f "$pwfile"
  fi
  # A stale pid file from a killed server would stop pg_ctl from starting.
  if [[ -f "$BASE/data/postmaster.pid" ]] && ! as_owner "$BIN/pg_ctl" -D "$BASE/data" status >/dev/null 2>&1; then
    rm -f "$BASE/data/postmaster.pid"
  fi
  log "starting PostgreSQL on 127.0.0.1:${PORT}"
  as_owner "$BIN/pg_ctl" -D "$BASE/data" -l "$BASE/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p ${PORT} -c unix_socket_directories='$BASE' -c fsync=off -c max_connections=200" \
    start >&2 || { cat "$BASE/server.log" >&2; exit 1; }
fi

# Create (or reset) the role the URL names; connect over the unix socket in $BASE when it is
# ours, otherwise over TCP with the same credentials.
sql="DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${ROLE}') THEN
    CREATE ROLE ${ROLE} LOGIN SUPERUSER PASSWORD '${PASSWORD}';
  END IF;
END \$\$;"
if [[ -S "$BASE/.s.PGSQL.${PORT}" ]]; then
  as_owner psql -q -h "$BASE" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$sql" >&2
else
  psql -q "$URL" -v ON_ERROR_STOP=1 -c "SELECT 1" >/dev/null
fi

echo "$URL"
