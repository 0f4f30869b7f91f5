# What the integration fixtures (victoria_metrics.sh, slurm.sh, cluster.sh, postgres.sh)
# share: picking free loopback ports, failing with the end of a server's log, a watchdog that
# cleans up after a test shell killed outright (ctest's timeout) without running its traps, and
# the parts of a test Slurm both Slurm fixtures use. Sourced by those files, not by tests.

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

# fixture_slurm_common_conf MUNGE_SOCKET DIR: the slurm.conf settings both test clusters share
# (root daemons, their own munged, pmix, no cgroups or accounting, a job completion log in DIR).
fixture_slurm_common_conf() {
  cat <<CONF
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# socket=: this cluster's own munged. cred_expire=10: a requeued job may start again after
# 10 s instead of the default 120 s.
AuthInfo=socket=$1,cred_expire=10
MailProg=/bin/true
MpiDefault=pmix
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# No accounting database, so sacct has nothing; finished jobs are kept by slurmctld for
# MinJobAge seconds (scontrol show job) and recorded in the job completion log.
JobCompType=jobcomp/filetxt
JobCompLoc=$2/jobcomp.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=600
# Schedule a submitted batch job at once (the default waits up to 3 s to batch them), and look
# at the queue every 2 s: a requeued job becomes eligible cred_expire seconds later, and
# without an event to trigger the scheduler it would wait for the next pass (60 s by default,
# or backfill's 30 s).
SchedulerParameters=batch_sched_delay=0,sched_interval=2,bf_interval=2
KillWait=5
PlugStackConfig=$2/plugstack.conf
CONF
  : >"$2/plugstack.conf"
  # Read by slurmd from the directory of slurm.conf. No cgroup plugin is configured
  # (proctrack/linuxproc, task/none, jobacct_gather/none), so nothing here is enforced; the
  # file keeps slurmd from looking for one elsewhere.
  printf 'CgroupPlugin=autodetect\nConstrainCores=no\nConstrainRAMSpace=no\nConstrainDevices=no\n' >"$2/cgroup.conf"
}

# fixture_start_munged DIR SOCKET_PARENT: munged in the foreground (backgrounded here) with its
# own key (DIR/munge-key, 0700) and a socket in a new directory under SOCKET_PARENT; prints
# "PID SOCKET" once it answers, or returns 1 after 10 s. munged refuses a socket whose
# directory or any parent is not traversable by everybody, so the socket gets a 0755 directory
# of its own (which also keeps it below the 108-byte socket path limit); DIR/pids/munged and
# DIR/pids/munge-socket-dir name them for the cleanup.
fixture_start_munged() {
  local d=$1 sockdir pid _
  sockdir=$(mktemp -d "$2/tsbatch-munge.XXXXXX")
  chmod 0755 "$sockdir"
  mkdir -p "$d/pids"
  echo "$sockdir" >"$d/pids/munge-socket-dir"
  install -d -m 0700 "$d/munge-key"
  mungekey --create --keyfile="$d/munge-key/munge.key" >>"$d/munged.log" 2>&1 || return 1
  munged -F --socket="$sockdir/munge.socket" --key-file="$d/munge-key/munge.key" \
    --pid-file="$d/munge-key/munged.pid" --seed-file="$d/munge-key/munged.seed" \
    --log-file="$d/munged.log" >>"$d/munged.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$d/pids/munged"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 1
    if munge -S "$sockdir/munge.socket" -n 2>/dev/null | unmunge -S "$sockdir/munge.socket" >/dev/null 2>&1; then
      echo "$pid $sockdir/munge.socket"
      return 0
    fi
    sleep 0.1
  done
  return 1
}
