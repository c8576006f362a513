#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on 127.0.0.1 for the tests that need one (Debian's postgresql
# package; installed with apt-get when missing) and prints its URL. Idempotent: a server already
# answering on the port is reused. The tests create and drop their own databases in it.
set -euo pipefail
PORT="${FACEGATE_TEST_PG_PORT:-55432}"
DIR="${FACEGATE_TEST_PG_DIR:-/tmp/facegate-test-pg}"

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
BIN="$(find_bin)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >&2
  BIN="$(find_bin)"
fi

# PostgreSQL refuses to run as root: as root, run it as the package's postgres user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if ! as_pg "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
  rm -rf "$DIR"
  mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$DIR"
  as_pg "$BIN/initdb" -D "$DIR/data" -U facegate --auth=trust -E UTF8 >/dev/null
  as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR" -w start >/dev/null
fi
echo "postgres://facegate@127.0.0.1:$PORT/postgres"
