# What the integration fixtures (victoria_metrics.sh, slurm.sh, postgres.sh) share: picking
# free loopback ports, failing with the end of a server's log, and a watchdog that cleans up
# after a test shell killed outright (ctest's timeout) without running its traps. Sourced by
# those files, not by tests.

# fixture_fail LOG MESSAGE...: prints FAIL: MESSAGE and the last lines of the server log LOG
# (when there is one), then exits 1.
fixture_fail() {
  local log=$1
  shift
  echo "FAIL: $*" >&2
  if [ -n "$log" ] && [ -f "$log" ]; then
    echo "--- last lines of $log ---" >&2
    tail -n 30 "$log" >&2 || true
  fi
  exit 1
}

# fixture_free_ports N: N distinct free loopback ports, separated by spaces. The sockets are
# held open together so that the ports differ; the kernel hands out ephemeral ports in turn,
# so parallel tests rarely get the same ones, and each fixture retries with new ports when a
# server still finds one taken.
fixture_free_ports() {
  /usr/bin/python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# fixture_start_watchdog VAR ALSO_PID CMD...: a background process that runs CMD once this
# shell is gone, and ends without running it when ALSO_PID (if not empty) is gone first. Its
# pid goes into the variable VAR. It ignores SIGINT (a test interrupting its server must not
# end it) and holds no pipe of the test open.
fixture_start_watchdog() {
  local var=$1 also=$2 shell_pid=$$
  shift 2
  ( trap '' INT
    while kill -0 "$shell_pid" 2>/dev/null && { [ -z "$also" ] || kill -0 "$also" 2>/dev/null; }; do sleep 1; done
    kill -0 "$shell_pid" 2>/dev/null || "$@"
  ) </dev/null >/dev/null 2>&1 &
  printf -v "$var" '%s' "$!"
}

# fixture_stop_watchdog VAR: stops the watchdog whose pid is in VAR, and empties VAR.
fixture_stop_watchdog() {
  local pid=${!1}
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    printf -v "$1" '%s' ""
  fi
}
