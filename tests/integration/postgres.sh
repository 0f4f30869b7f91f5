# A PostgreSQL server of the test's own, for the integration tests of `export --to postgres`.
# Source it from a test script (after tests/cli/lib.sh):
#
#   source "$TSBATCH_SOURCE_DIR/tests/integration/postgres.sh"
#   pg_start "$WORK/pg"     # exports PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD (libpq's own)
#   pg_sql "SELECT 1"       # psql, unaligned, no headers
#   pg_stop_now             # an immediate shutdown (a crash, as far as clients know)
#   pg_restart              # the same data directory and port
#
# The server runs as the unprivileged `postgres` user (it refuses root) from Debian's
# postgresql package, in DIR on a free loopback port with password (SCRAM) authentication,
# and is stopped when the test exits, also by a watchdog when the test shell is killed
# outright. A server that cannot start fails the test: it never skips.
set -euo pipefail
_pg_fixture_dir=${BASH_SOURCE[0]%/*}
[ "$_pg_fixture_dir" != "${BASH_SOURCE[0]}" ] || _pg_fixture_dir=.
source "$_pg_fixture_dir/fixture_lib.sh"

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
PG_DIR=""
_PG_WATCHDOG=""

_pg_fail() { fixture_fail "${PG_DIR:+$PG_DIR/server.log}" "$@"; }

_pg_as_server() { runuser -u postgres -- "$@"; }

_pg_ctl() { _pg_as_server "$PG_BIN/pg_ctl" -D "$PG_DIR/data" "$@"; }

_pg_launch() {
  _pg_ctl -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -c unix_socket_directories=$PG_DIR -c fsync=off" start >/dev/null
}

# pg_start DIR: a new cluster in DIR (made readable to the postgres user) and its server.
pg_start() {
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || _pg_fail "PostgreSQL is not installed (apt-get install postgresql)"
  id postgres >/dev/null 2>&1 || _pg_fail "no postgres user (Debian's postgresql package makes it)"
  [ "$(id -u)" -eq 0 ] || _pg_fail "the test starts PostgreSQL as the postgres user and needs root for that"
  PG_DIR=$1
  mkdir -p "$PG_DIR"
  # Every directory above DIR must let the postgres user through.
  local d=$PG_DIR
  while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
  chown postgres: "$PG_DIR"
  export PGUSER=tsbatch PGDATABASE=postgres PGHOST=127.0.0.1
  export PGPASSWORD="pg-pass-$RANDOM$RANDOM"
  printf '%s\n' "$PGPASSWORD" > "$PG_DIR/pwfile"
  chown postgres: "$PG_DIR/pwfile"
  _pg_as_server "$PG_BIN/initdb" -D "$PG_DIR/data" -U "$PGUSER" --pwfile="$PG_DIR/pwfile" -A scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 || _pg_fail "initdb failed: $(tail -5 "$PG_DIR/initdb.log")"
  rm -f "$PG_DIR/pwfile"
  local attempt
  for attempt in 1 2 3; do
    PGPORT=$(fixture_free_ports 1)
    export PGPORT
    if _pg_launch; then
      fixture_start_watchdog _PG_WATCHDOG "" runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop
      trap 'pg_cleanup; rm -rf "$WORK"' EXIT
      echo "postgresql ready: $PG_BIN, 127.0.0.1:$PGPORT, data in $PG_DIR/data"
      return 0
    fi
    grep -q "already in use" "$PG_DIR/server.log" 2>/dev/null || break
  done
  _pg_fail "PostgreSQL did not start on port $PGPORT"
}

pg_sql() { psql -X -q -v ON_ERROR_STOP=1 -A -t -c "$1"; }

# pg_stop_now: stops the server at once (clients see their connection drop).
pg_stop_now() { _pg_ctl -m immediate stop >/dev/null 2>&1 || true; }

pg_restart() { _pg_launch || _pg_fail "PostgreSQL did not restart"; }

pg_cleanup() {
  if [ -n "$PG_DIR" ] && [ -d "$PG_DIR/data" ]; then _pg_ctl -m immediate stop >/dev/null 2>&1 || true; fi
  fixture_stop_watchdog _PG_WATCHDOG
}
