# A one-node Slurm (munged + slurmctld + slurmd) on 127.0.0.1, for the integration tests that
# submit jobs/slurm/*.sbatch for real (DESIGN §10; reference/hpc-infra.md §2). Source it from a
# test script, as root:
#
#   source "$TSBATCH_SOURCE_DIR/tests/integration/slurm.sh"
#   slurm_start "$WORK/slurm"           # exports SLURM_CONF (sbatch, squeue, scontrol use it),
#                                       # SLURM_TEST_NODE, SLURM_TEST_CPUS, SLURM_TEST_DIR
#   J=$(sbatch --parsable -n 2 -o "$WORK/%x-%j.out" jobs/slurm/run.sbatch)
#   slurm_wait_job "$J" 120             # every (array) task COMPLETED with ExitCode 0:0
#   slurm_stop                          # cancels what is left, stops the daemons
#
# Everything lives under DIR: slurm.conf and cgroup.conf, the munge key, state and spool
# directories, pid files and the daemons' logs (only munged's socket has to live elsewhere,
# in a /tmp/tsbatch-munge.* directory removed at the end). Nothing in /etc/slurm or /etc/munge
# is read or written, so the test neither needs nor disturbs a Slurm or munge of the machine.
#
# The daemons run in the foreground (-D/-F) as children of the test shell, so their pids are
# known; job steps left over at the end are found by the slurm.conf path in their environment,
# never by a process name alone. A cluster that cannot start fails the test (exit 1 with
# the end of each daemon's log): DESIGN §10 says an integration test whose service cannot
# start must not skip. Every daemon and job is stopped when the test exits, and a watchdog
# process does it even when the test shell is killed outright (ctest's timeout).
#
# SLURM_TEST_CPUS=N advertises N CPUs instead of the machine's (SlurmdParameters=
# config_overrides), for tests that want more tasks than cores (hpc-infra.md §2).
set -euo pipefail
# Its own folder without dirname: a test may run this with an empty PATH.
_fixture_dir=${BASH_SOURCE[0]%/*}
[ "$_fixture_dir" != "${BASH_SOURCE[0]}" ] || _fixture_dir=.
source "$_fixture_dir/fixture_lib.sh"

SLURM_TEST_DIR=""
SLURM_TEST_NODE=""
_SLURM_MUNGED_PID=""
_SLURM_CTLD_PID=""
_SLURM_SLURMD_PID=""
_SLURM_WATCHDOG=""
_SLURM_CTLD_PORT=""
_SLURM_SLURMD_PORT=""

_slurm_logs() {
  local f
  [ -n "$SLURM_TEST_DIR" ] || return 0
  for f in munged.log slurmctld.out slurmctld.log slurmd.out slurmd.log; do
    if [ -s "$SLURM_TEST_DIR/$f" ]; then
      echo "--- last lines of $SLURM_TEST_DIR/$f ---" >&2
      tail -n 25 "$SLURM_TEST_DIR/$f" >&2 || true
    fi
  done
}

_slurm_fail() {
  echo "FAIL: $*" >&2
  _slurm_logs
  exit 1
}

_SLURM_MUNGE_SOCKET=""
_slurm_start_munge() {
  local started
  started=$(fixture_start_munged "$SLURM_TEST_DIR" /tmp) || _slurm_fail "munged did not start or answer within 10 s"
  _SLURM_MUNGED_PID=${started% *}
  _SLURM_MUNGE_SOCKET=${started#* }
}

_slurm_write_conf() {
  local d=$SLURM_TEST_DIR node extra=""
  # slurmd -C gives a node line that matches the machine (sockets, cores, threads, memory);
  # a hand-written CPUs= alone makes slurmd complain about socket/core boundaries.
  node=$(slurmd -C 2>/dev/null | head -n 1)
  [[ $node == NodeName=* ]] || _slurm_fail "slurmd -C printed no node line: '$node'"
  if [ -n "${SLURM_TEST_CPUS:-}" ]; then
    node="NodeName=$SLURM_TEST_NODE CPUs=$SLURM_TEST_CPUS RealMemory=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node")"
    extra="SlurmdParameters=config_overrides"
  else
    SLURM_TEST_CPUS=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$node")
  fi
  {
    cat <<CONF
# One-node test cluster written by tests/integration/slurm.sh.
ClusterName=tsbatch-test
SlurmctldHost=${SLURM_TEST_NODE}(127.0.0.1)
SlurmctldPort=${_SLURM_CTLD_PORT}
SlurmdPort=${_SLURM_SLURMD_PORT}
CONF
    fixture_slurm_common_conf "$_SLURM_MUNGE_SOCKET" "$d"
    cat <<CONF
# Job ids from a range of its own (the port is unique while this cluster runs), so that
# two test clusters on one machine never share a job id (pmix names its /tmp dirs by it).
FirstJobId=$(( _SLURM_CTLD_PORT * 1000 ))
StateSaveLocation=${d}/state
SlurmdSpoolDir=${d}/spool
SlurmctldPidFile=${d}/slurmctld.pid
SlurmdPidFile=${d}/slurmd.pid
SlurmctldLogFile=${d}/slurmctld.log
SlurmdLogFile=${d}/slurmd.log
${extra}
${node} NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  } >"$d/slurm.conf"
}

# Starts slurmctld and slurmd on the ports chosen; returns 1 when the node did not become idle.
_slurm_launch() {
  local d=$SLURM_TEST_DIR
  rm -rf "$d/state" "$d/spool"
  install -d -m 0755 "$d/state" "$d/spool"
  _slurm_write_conf
  slurmctld -D -f "$SLURM_CONF" >>"$d/slurmctld.out" 2>&1 </dev/null &
  _SLURM_CTLD_PID=$!
  echo "$_SLURM_CTLD_PID" >"$d/pids/slurmctld"
  slurmd -D -f "$SLURM_CONF" >>"$d/slurmd.out" 2>&1 </dev/null &
  _SLURM_SLURMD_PID=$!
  echo "$_SLURM_SLURMD_PID" >"$d/pids/slurmd"
  local _ state=""
  for _ in $(seq 1 300); do
    if ! kill -0 "$_SLURM_CTLD_PID" 2>/dev/null; then
      echo "slurmctld exited while starting: $(tail -n 5 "$d/slurmctld.out" 2>/dev/null)" >&2
      return 1
    fi
    if ! kill -0 "$_SLURM_SLURMD_PID" 2>/dev/null; then
      echo "slurmd exited while starting: $(tail -n 5 "$d/slurmd.out" 2>/dev/null)" >&2
      return 1
    fi
    state=$(sinfo -h -n "$SLURM_TEST_NODE" -o %T 2>/dev/null || true)
    [ "$state" = idle ] && return 0
    sleep 0.2
  done
  echo "node $SLURM_TEST_NODE is '$state' after 60 s, not idle" >&2
  return 1
}

# Each daemon's pid is also written to DIR/pids/NAME, so that the watchdog, a process forked
# before the daemons start, can find them.
_slurm_pid() { cat "$SLURM_TEST_DIR/pids/$1" 2>/dev/null || true; }

# Cancels every job of this cluster and waits (up to 30 s) until slurmctld has none left, so
# that no job step outlives the daemons.
_slurm_cancel_all() {
  local ctld ids _
  ctld=$(_slurm_pid slurmctld)
  [ -n "${SLURM_CONF:-}" ] && [ -n "$ctld" ] && kill -0 "$ctld" 2>/dev/null || return 0
  ids=$(squeue -h -o %A 2>/dev/null || true)
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086
  scancel $ids 2>/dev/null || true
  for _ in $(seq 1 150); do
    [ -z "$(squeue -h -o %A 2>/dev/null || true)" ] && return 0
    sleep 0.2
  done
}

_slurm_kill_pid() {  # PID: SIGTERM, wait up to 10 s, then SIGKILL
  local pid=$1 _
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# slurmstepd processes started by this cluster's slurmd (they inherit its environment, which
# names our slurm.conf); normally gone once the jobs are cancelled.
_slurm_stepd_pids() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = slurmstepd ] || continue
    tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qxF "SLURM_CONF=$SLURM_TEST_DIR/slurm.conf" &&
      echo "${p#/proc/}"
  done
  return 0
}

# Stops whatever runs, without judging how it ends (cleanup paths and the watchdog).
_slurm_stop_quietly() {
  [ -n "$SLURM_TEST_DIR" ] || return 0
  _slurm_cancel_all
  local name p _
  # A cancelled job's slurmstepd may still be tidying up when the queue is empty.
  for _ in $(seq 1 50); do [ -z "$(_slurm_stepd_pids)" ] && break; sleep 0.2; done
  for name in slurmd slurmctld; do
    _slurm_kill_pid "$(_slurm_pid $name)"
    rm -f "$SLURM_TEST_DIR/pids/$name"
  done
  for p in $(_slurm_stepd_pids); do kill -KILL "$p" 2>/dev/null || true; done
  _slurm_kill_pid "$(_slurm_pid munged)"
  rm -f "$SLURM_TEST_DIR/pids/munged"
  # munged removes its socket when it ends; the directory is ours.
  local sockdir
  sockdir=$(_slurm_pid munge-socket-dir)
  case $sockdir in /tmp/tsbatch-munge.*) rm -rf "$sockdir" ;; esac
  rm -f "$SLURM_TEST_DIR/pids/munge-socket-dir"
  _SLURM_MUNGED_PID="" _SLURM_CTLD_PID="" _SLURM_SLURMD_PID=""
}

_slurm_kill_watchdog() {
  fixture_stop_watchdog _SLURM_WATCHDOG
}

# Watchdog: when the test shell is gone (killed without running its traps), cancel the jobs
# and stop the daemons. It holds no pipe of the test open.
_slurm_start_watchdog() {
  fixture_start_watchdog _SLURM_WATCHDOG "" _slurm_stop_quietly
}

# slurm_start DIR: munged, slurmctld and slurmd for one node on 127.0.0.1, all under DIR.
slurm_start() {
  [ $# -eq 1 ] || _slurm_fail "usage: slurm_start DIR"
  [ -z "$_SLURM_CTLD_PID" ] || _slurm_fail "slurm_start: a cluster is already running"
  local c
  for c in slurmctld slurmd sbatch squeue scontrol sinfo munged munge unmunge mungekey; do
    command -v "$c" >/dev/null ||
      _slurm_fail "$c is not installed (apt-get install --no-install-recommends slurm-wlm munge)"
  done
  [ "$(id -u)" -eq 0 ] || _slurm_fail "the one-node Slurm needs root (slurmd starts jobs as their user)"
  SLURM_TEST_DIR=$(mkdir -p "$1" && cd "$1" && pwd)
  chmod 0755 "$SLURM_TEST_DIR"
  mkdir -p "$SLURM_TEST_DIR/pids"
  # SlurmctldHost must be this machine's short name, or slurmctld refuses to run.
  SLURM_TEST_NODE=$(hostname -s)
  # Set before anything starts, so that the watchdog's scancel and squeue reach this cluster.
  export SLURM_CONF=$SLURM_TEST_DIR/slurm.conf
  export SLURM_TEST_DIR SLURM_TEST_NODE
  _slurm_start_watchdog
  _slurm_start_munge
  local _ ports
  for _ in 1 2 3; do
    ports=$(fixture_free_ports 2)
    _SLURM_CTLD_PORT=${ports% *}
    _SLURM_SLURMD_PORT=${ports#* }
    if _slurm_launch; then
      # Debian's Open MPI starts under srun through pmix only (hpc-infra.md §2).
      srun --mpi=list 2>&1 | grep -q pmix || _slurm_fail "Slurm has no pmix MPI plugin: $(srun --mpi=list 2>&1)"
      export SLURM_TEST_CPUS
      echo "slurm ready: node $SLURM_TEST_NODE ($SLURM_TEST_CPUS CPUs), slurmctld :$_SLURM_CTLD_PORT, slurmd :$_SLURM_SLURMD_PORT, SLURM_CONF=$SLURM_CONF"
      return 0
    fi
    _slurm_kill_pid "$_SLURM_SLURMD_PID"; _SLURM_SLURMD_PID=""
    _slurm_kill_pid "$_SLURM_CTLD_PID"; _SLURM_CTLD_PID=""
    rm -f "$SLURM_TEST_DIR/pids/slurmd" "$SLURM_TEST_DIR/pids/slurmctld"
    # Most likely another test took a port between our pick and the daemon's bind.
    if ! grep -qi "address already in use" "$SLURM_TEST_DIR"/slurm*.log "$SLURM_TEST_DIR"/slurm*.out 2>/dev/null; then
      break
    fi
    echo "slurm: a port was taken, retrying with new ports" >&2
  done
  _slurm_fail "the one-node Slurm did not start (ports $_SLURM_CTLD_PORT, $_SLURM_SLURMD_PORT)"
}

# slurm_stop: cancel every job left, stop slurmd, slurmctld and munged.
slurm_stop() {
  [ -n "$_SLURM_CTLD_PID" ] || _slurm_fail "slurm_stop: no cluster is running"
  _slurm_stop_quietly
  _slurm_kill_watchdog
}

# slurm_alive: fails the test when a daemon died (so that a job failure is not blamed on the
# job script when the cluster itself went away).
slurm_alive() {
  local name pid
  for name in munged:$_SLURM_MUNGED_PID slurmctld:$_SLURM_CTLD_PID slurmd:$_SLURM_SLURMD_PID; do
    pid=${name#*:}
    { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; } || _slurm_fail "${name%%:*} is not running"
  done
}

# slurm_job_log JOBID: the StdOut file of every task of the job, one per line.
slurm_job_log() {
  scontrol -o show job "$1" 2>/dev/null | grep -o ' StdOut=[^ ]*' | sed 's/^ StdOut=//' | sort -u
}

# slurm_wait_job JOBID [TIMEOUT_S]: waits until the job (every task of an array) has left the
# queue, then requires each task to be COMPLETED with ExitCode=0:0. Otherwise (or on timeout,
# after scancel) fails with the job's records and the end of its logs.
slurm_wait_job() {
  local job=$1 timeout=${2:-300} end q
  end=$((SECONDS + timeout))
  while :; do
    q=$(squeue -h -j "$job" -o '%i %T %r' 2>&1) || {
      # squeue fails for a job id slurmctld never heard of, or when slurmctld is gone.
      slurm_alive
      _slurm_job_fail "$job" "squeue -j $job failed: $q"
    }
    [ -n "$q" ] || break
    if ((SECONDS >= end)); then
      scancel "$job" 2>/dev/null || true
      _slurm_job_fail "$job" "job $job still queued after $timeout s:
$q"
    fi
    sleep 0.5
  done
  local records bad
  records=$(scontrol -o show job "$job" 2>&1) || _slurm_job_fail "$job" "scontrol show job $job failed: $records"
  # One line per task; each must say JobState=COMPLETED and ExitCode=0:0.
  bad=$(grep -v -e ' JobState=COMPLETED .* ExitCode=0:0 ' <<<"$records" || true)
  if [ -z "$records" ] || [ -n "$bad" ]; then
    _slurm_job_fail "$job" "job $job did not complete cleanly"
  fi
  echo "job $job: $(grep -c . <<<"$records") task(s) COMPLETED, ExitCode 0:0"
}

_slurm_job_fail() {
  local job=$1 msg=$2 f
  {
    echo "FAIL: $msg"
    echo "--- scontrol show job $job ---"
    scontrol show job "$job" 2>&1 || true
    echo "--- sacct -j $job (empty without accounting) ---"
    sacct -n -X -j "$job" -o JobID,State,ExitCode 2>&1 || true
    echo "--- job completion log ---"
    grep -E "JobId=${job}([^0-9]|$)" "$SLURM_TEST_DIR/jobcomp.log" 2>/dev/null || true
    for f in $(slurm_job_log "$job"); do
      echo "--- job log $f ---"
      tail -n 40 "$f" 2>/dev/null || echo "(missing)"
    done
  } >&2
  _slurm_logs
  exit 1
}

# Cleanup on exit: stop the cluster, then run whatever EXIT trap was set before this library
# (tests/cli/lib.sh removes its scratch directory). INT/TERM exit through the EXIT trap.
_slurm_trap_command() { _SLURM_PREVIOUS_EXIT_TRAP=${3:-}; }  # called as: trap -- 'COMMAND' EXIT
_SLURM_PREVIOUS_EXIT_TRAP=""
eval "_slurm_trap_command $(trap -p EXIT)"
_slurm_on_exit() {
  local rc=$?
  _slurm_stop_quietly
  _slurm_kill_watchdog
  if [ -n "$_SLURM_PREVIOUS_EXIT_TRAP" ]; then eval "$_SLURM_PREVIOUS_EXIT_TRAP"; fi
  exit "$rc"
}
trap _slurm_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
