# VictoriaMetrics as an OpenTSDB-protocol server on loopback, for the integration tests
# (DESIGN §8, §10; reference/opentsdb.md §2-4). Source it from a test script:
#
#   source "$TSBATCH_SOURCE_DIR/tests/integration/victoria_metrics.sh"
#   vm_start "$WORK/vm"       # exports VM_PID, VM_PUT_URL (OpenTSDB HTTP), VM_HTTP (API)
#   ... push to $VM_PUT_URL, vm_flush, read back from $VM_HTTP/api/v1/export ...
#   vm_stop                   # SIGINT and wait; vm_restart reuses the data dir and ports
#
# A server that cannot start fails the test (exit 1 with the end of its log): DESIGN §10 says
# an integration test whose service cannot start must not skip. Every server started here is
# stopped when the test exits, and a watchdog process stops it even when the test shell is
# killed outright (ctest's timeout), so no server outlives its test.
set -euo pipefail
# Its own folder without dirname: a test may run this with an empty PATH.
_fixture_dir=${BASH_SOURCE[0]%/*}
[ "$_fixture_dir" != "${BASH_SOURCE[0]}" ] || _fixture_dir=.
source "$_fixture_dir/fixture_lib.sh"

VM_BIN=${VM_BIN:-/usr/bin/victoria-metrics}
VM_PID=""
VM_DIR=""
VM_PUT_URL=""
VM_HTTP=""
_VM_HTTP_PORT=""
_VM_PUT_PORT=""
_VM_WATCHDOG=""

_vm_fail() { fixture_fail "${VM_DIR:+$VM_DIR/vm.log}" "$@"; }

# Starts the server on the ports in _VM_HTTP_PORT/_VM_PUT_PORT; returns 1 when it did not
# become ready (the caller decides whether to retry).
_vm_launch() {
  mkdir -p "$VM_DIR"
  # -retentionPeriod=100y: the default (1 month) silently drops older points.
  # The process gets its own stdin/stdout so that ctest, which waits for the test's output
  # pipes to close, is never held up by it.
  "$VM_BIN" \
    -storageDataPath="$VM_DIR/data" \
    -retentionPeriod=100y \
    -httpListenAddr="127.0.0.1:$_VM_HTTP_PORT" \
    -opentsdbHTTPListenAddr="127.0.0.1:$_VM_PUT_PORT" \
    >>"$VM_DIR/vm.log" 2>&1 </dev/null &
  VM_PID=$!
  echo "$VM_PID" > "$VM_DIR/vm.pid"
  VM_HTTP="http://127.0.0.1:$_VM_HTTP_PORT"
  VM_PUT_URL="http://127.0.0.1:$_VM_PUT_PORT"
  export VM_PID VM_HTTP VM_PUT_URL VM_DIR

  # Watchdog: stops the server when this shell is gone (killed without running its traps).
  fixture_start_watchdog _VM_WATCHDOG "$VM_PID" kill -INT "$VM_PID"

  # /health answers once every listener is up (reference/opentsdb.md §2); 30 s leaves room
  # for a loaded machine. The put port must answer HTTP too (VictoriaMetrics answers 400 to
  # a GET there, which is enough to know it listens).
  local i
  for i in $(seq 1 300); do
    if ! kill -0 "$VM_PID" 2>/dev/null; then
      local rc=0
      wait "$VM_PID" 2>/dev/null || rc=$?
      echo "victoria-metrics exited with status $rc while starting" >&2
      VM_PID=""
      return 1
    fi
    if curl -fsS --max-time 2 "$VM_HTTP/health" >/dev/null 2>&1 &&
       curl -sS --max-time 2 -o /dev/null "$VM_PUT_URL/api/put" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

_vm_kill_watchdog() {
  fixture_stop_watchdog _VM_WATCHDOG
}

# vm_start DIR: a fresh server with its data under DIR/data and its log in DIR/vm.log.
vm_start() {
  [ $# -eq 1 ] || _vm_fail "usage: vm_start DIR"
  [ -x "$VM_BIN" ] || _vm_fail "VictoriaMetrics is not installed at $VM_BIN (apt-get install victoria-metrics)"
  [ -z "$VM_PID" ] || _vm_fail "vm_start: a server is already running (pid $VM_PID)"
  VM_DIR=$1
  rm -rf "$VM_DIR/data"
  local attempt ports
  for attempt in 1 2 3; do
    ports=$(fixture_free_ports 2)
    _VM_HTTP_PORT=${ports% *}
    _VM_PUT_PORT=${ports#* }
    if _vm_launch; then
      echo "victoria-metrics ready: pid $VM_PID, put $VM_PUT_URL, api $VM_HTTP"
      return 0
    fi
    # Most likely another test took a port between our pick and the server's bind.
    _vm_stop_quietly
    if ! grep -q "address already in use" "$VM_DIR/vm.log" 2>/dev/null; then break; fi
    echo "victoria-metrics: a port was taken, retrying with new ports" >&2
  done
  _vm_fail "victoria-metrics did not start (ports $_VM_HTTP_PORT, $_VM_PUT_PORT)"
}

# Stops the server if it runs, without judging how it ended (for cleanup paths).
_vm_stop_quietly() {
  if [ -n "$VM_PID" ]; then
    kill -INT "$VM_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 100); do kill -0 "$VM_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$VM_PID" 2>/dev/null || true
    wait "$VM_PID" 2>/dev/null || true
    VM_PID=""
  fi
  _vm_kill_watchdog
}

# vm_stop: SIGINT (VictoriaMetrics' graceful shutdown, which flushes its buffers to disk) and
# wait for the process to end. Fails the test when it does not end within 30 s.
vm_stop() {
  [ -n "$VM_PID" ] || _vm_fail "vm_stop: no server is running"
  kill -INT "$VM_PID" 2>/dev/null || _vm_fail "vm_stop: server pid $VM_PID was already gone"
  local i
  for i in $(seq 1 300); do kill -0 "$VM_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$VM_PID" 2>/dev/null; then
    kill -KILL "$VM_PID" 2>/dev/null || true
    wait "$VM_PID" 2>/dev/null || true
    VM_PID=""
    _vm_kill_watchdog
    _vm_fail "victoria-metrics did not stop within 30 s of SIGINT"
  fi
  local rc=0
  wait "$VM_PID" 2>/dev/null || rc=$?
  VM_PID=""
  _vm_kill_watchdog
  # 0 is a clean shutdown; 130 (128+SIGINT) is tolerated since the exit status of a signalled
  # Go program varies between versions.
  [ "$rc" -eq 0 ] || [ "$rc" -eq 130 ] || _vm_fail "victoria-metrics exited $rc on SIGINT"
}

# vm_restart: stop, then start again on the same ports with the same data directory.
vm_restart() {
  [ -n "$VM_DIR" ] || _vm_fail "vm_restart: vm_start was never called"
  if [ -n "$VM_PID" ]; then vm_stop; fi
  _vm_launch || _vm_fail "victoria-metrics did not restart on ports $_VM_HTTP_PORT, $_VM_PUT_PORT"
  echo "victoria-metrics restarted: pid $VM_PID, put $VM_PUT_URL, api $VM_HTTP"
}

# vm_flush: makes every point received so far visible to /api/v1/export.
vm_flush() {
  [ -n "$VM_PID" ] || _vm_fail "vm_flush: no server is running"
  kill -0 "$VM_PID" 2>/dev/null || _vm_fail "victoria-metrics (pid $VM_PID) is no longer running"
  curl -fsS --max-time 60 -o /dev/null "$VM_HTTP/internal/force_flush" ||
    _vm_fail "victoria-metrics: /internal/force_flush failed"
}

# vm_alive: fails the test when the server died (reference/opentsdb.md §3 saw it exit once
# under load; a test must not blame tsbatch for that).
vm_alive() {
  if [ -z "$VM_PID" ] || ! kill -0 "$VM_PID" 2>/dev/null; then
    _vm_fail "victoria-metrics (pid ${VM_PID:-none}) is not running"
  fi
}

# vm_metrics: the server's counters of stored, invalid and ignored rows (for reports).
vm_metrics() {
  curl -fsS --max-time 10 "$VM_HTTP/metrics" |
    grep -E '^vm_rows_added_to_storage_total|^vm_rows_invalid_total\{type="opentsdbhttp"|^vm_rows_ignored_total' || true
}

# vm_counter 'NAME{LABELS}': one counter of /metrics, exactly as the server spells it, e.g.
# vm_counter 'vm_protoparser_rows_read_total{type="opentsdbhttp"}' (points received over
# HTTP /api/put) or 'vm_ingestserver_requests_total{type="opentsdbhttp", name="write", net="tcp"}'.
vm_counter() {
  local value
  value=$(curl -fsS --max-time 10 "$VM_HTTP/metrics" | awk -v k="$1" 'index($0, k " ") == 1 {print $NF}')
  [ -n "$value" ] || _vm_fail "victoria-metrics has no counter $1"
  echo "$value"
}

# kill_at_exit PID: a helper process of the test (a relay, a stub) to end when the test exits.
_VM_EXTRA_PIDS=()
kill_at_exit() { _VM_EXTRA_PIDS+=("$1"); }

# Cleanup on exit: stop the server and the helpers, then run whatever EXIT trap was set before
# this library (tests/cli/lib.sh removes its scratch directory). INT/TERM exit through the
# EXIT trap.
_vm_trap_command() { _VM_PREVIOUS_EXIT_TRAP=${3:-}; }  # called as: trap -- 'COMMAND' EXIT
_VM_PREVIOUS_EXIT_TRAP=""
eval "_vm_trap_command $(trap -p EXIT)"
_vm_on_exit() {
  local rc=$? p
  for p in "${_VM_EXTRA_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  _vm_stop_quietly
  if [ -n "$_VM_PREVIOUS_EXIT_TRAP" ]; then eval "$_VM_PREVIOUS_EXIT_TRAP"; fi
  exit "$rc"
}
trap _vm_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
